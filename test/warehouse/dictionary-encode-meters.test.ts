import { describe, expect, it } from 'vitest';
import { dictionaryEncodeMeters } from '../../src/warehouse/dictionary-encode-meters.js';
import { meterTableDdl } from '../../src/warehouse/star-schema.js';
import { upsertMeters } from '../../src/warehouse/upsert-meters.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob } from '../support/fixtures.js';

describe('dictionaryEncodeMeters', () => {
  it('turns only columns with few distinct values into ENUMs and keeps every value', async () => {
    const { context } = testJob();
    const w = await Warehouse.open(':memory:');
    try {
      await w.run(meterTableDdl('m_text'));
      await upsertMeters(w.connection, context.fleet, context.scenario.area, 'm_text');
      // 20 meters: meter_id has 20 distinct values, service_area one; a limit of 10 splits them.
      await dictionaryEncodeMeters(w.connection, 'm_text', 'm_enum', 10);
      const types = Object.fromEntries(
        (await w.rows(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'm_enum'`)).map((r) => [r.column_name, String(r.data_type)]),
      );
      expect(types.meter_id).toBe('VARCHAR');
      expect(types.meter_key).toBe('INTEGER');
      expect(types.latitude).toBe('DOUBLE');
      expect(types.service_area).toBe(`ENUM('TEXAS_GULF_COAST')`);
      expect(types.customer_segment).toMatch(/^ENUM\(/);
      const differing = await w.number(`SELECT count(*) FROM (SELECT * FROM m_text EXCEPT ALL SELECT * FROM m_enum)`);
      expect(differing).toBe(0);
      expect(await w.number('SELECT count(*) FROM m_enum')).toBe(20);
    } finally {
      w.close();
    }
  });
});
