import { describe, expect, it } from 'vitest';
import { allocateBatch } from '../../src/generator/reading-batch.js';
import { ColumnarAppender } from '../../src/warehouse/columnar-appender.js';
import { factTableDdl } from '../../src/warehouse/star-schema.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

async function withMemory<T>(fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(':memory:');
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

describe('ColumnarAppender', () => {
  it('appends batches longer than a data chunk, mapping keys, timestamps and NULL events exactly', async () => {
    await withMemory(async (w) => {
      await w.run(factTableDdl('f'));
      const n = 5000;
      const b = allocateBatch(n, 30);
      // Timestamps on both sides of the epoch and far from it exercise the (lo, hi) word split.
      const base = [-86_400_000 * 365 * 30, 0, 1_772_949_600_000, 4_102_444_800_000];
      for (let i = 0; i < n; i++) {
        b.meterIndex[i] = i % 3;
        b.tsUtcMs[i] = base[i % 4]! + i * 1_800_000;
        b.tsLocalMs[i] = b.tsUtcMs[i]! - 5 * 3_600_000;
        b.usageKwh[i] = i / 7;
        b.isOutage[i] = i % 2;
        b.dataQuality[i] = 3 - (i % 4);
        // All rows of the first chunk have an event, the second none, the third a mix: masks must not leak.
        b.eventType[i] = i < 2048 ? 1 + (i % 9) : i < 4096 ? 0 : i % 3;
        b.emissionPattern[i] = i % 4;
      }
      const appender = await ColumnarAppender.create(w.connection, 'f');
      appender.append(b, Int32Array.of(10, 20, 30));
      appender.close();
      expect(appender.rows).toBe(n);
      const rows = await w.rows(
        `SELECT meter_key AS k, epoch_ms(reading_ts_utc) AS u, epoch_ms(reading_ts) AS l, interval_minutes AS im, usage_kwh AS kwh,
                is_outage AS o, CAST(data_quality AS VARCHAR) AS q, CAST(event_type AS VARCHAR) AS e, CAST(emission_pattern AS VARCHAR) AS p
         FROM f`,
      );
      expect(rows).toHaveLength(n);
      const events = [null, 'OUTAGE', 'LAST_GASP', 'POWER_RESTORE', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL', 'TAMPER', 'METER_FAULT'];
      const qualities = ['VALID', 'ESTIMATED', 'OUTAGE', 'ANOMALY'];
      const patterns = ['UNIFORM', 'STAGGERED_REALISTIC', 'PARTIAL_REPORTING', 'DEGRADED_NETWORK'];
      const byUtc = new Map(rows.map((r) => [`${String(r.u)}`, r]));
      for (let i = 0; i < n; i++) {
        expect(byUtc.get(String(b.tsUtcMs[i]))).toEqual({
          k: [10, 20, 30][i % 3], u: String(b.tsUtcMs[i]), l: String(b.tsLocalMs[i]), im: 30, kwh: i / 7, o: i % 2 === 1,
          q: qualities[3 - (i % 4)], e: events[b.eventType[i]!], p: patterns[i % 4],
        });
      }
    });
  });

  it('refuses a meter index outside the key map before anything reaches the table', async () => {
    await withMemory(async (w) => {
      await w.run(factTableDdl('f'));
      const b = allocateBatch(3, 15);
      b.meterIndex.set([0, 1, 2]);
      const appender = await ColumnarAppender.create(w.connection, 'f');
      expect(() => appender.append(b, Int32Array.of(1, 2))).toThrow(/meter index 2 is outside the fleet of 2 meters/);
      appender.close();
      expect(await w.number('SELECT count(*) FROM f')).toBe(0);
    });
  });

  it('refuses a table that is not fact-shaped', async () => {
    await withMemory(async (w) => {
      await w.run('CREATE TABLE g (a INTEGER, b DOUBLE)');
      await expect(ColumnarAppender.create(w.connection, 'g')).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    });
  });
});
