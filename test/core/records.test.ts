import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { allocateBatch, batchBuffers, BATCH_COLUMNS, sliceBatch } from '../../src/generator/reading-batch.js';
import { FLAT_COLUMNS, flatReading, messageId, nestedReading, recordOf } from '../../src/generator/reading-records.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { eventCode } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-11-01', days: 1, meters: 4, seed: 42, emissionPattern: 'STAGGERED_REALISTIC' });
const fleet = buildFleet(scenario);
const day = generationDays(scenario)[0]!;
const batch = new ReadingGenerator(scenario, fleet).generate(day, 0, scenario.meters);

describe('flat readings', () => {
  it('have exactly the columns of the schema, in order', () => {
    expect(Object.keys(flatReading(batch, 0, fleet, scenario.area))).toEqual([...FLAT_COLUMNS]);
  });

  it('turn codes into the schema values and topology indices into ids', () => {
    const r = flatReading(batch, 5, fleet, scenario.area);
    expect(r.meter_id).toBe('MTR-TGC-0000001');
    // 00:00 CDT on 1 November is 05:00 UTC; the sixth reading is 75 minutes later.
    expect(r.reading_ts).toBe('2026-11-01 01:15:00');
    expect(r.reading_ts_utc).toBe('2026-11-01T06:15:00Z');
    expect(r.interval_minutes).toBe(15);
    expect(r.service_area).toBe('TEXAS_GULF_COAST');
    expect(r.transformer_id).toBe(fleet.transformerIds[fleet.transformer[0]!]);
    expect(r.circuit_id).toBe(fleet.feederIds[fleet.feeder[0]!]);
    expect(r.substation_id).toBe(fleet.substationIds[fleet.substation[0]!]);
    expect(['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL']).toContain(r.customer_segment);
    expect(r.emission_pattern).toBe('STAGGERED_REALISTIC');
    expect(r.usage_kwh).toBe(batch.usageKwh[5]);
    expect(typeof r.is_outage).toBe('boolean');
  });

  it('the repeated fall-back hour keeps its local text and differs in UTC', () => {
    // Rows 4 and 8 of a meter are 01:00 CDT and 01:00 CST.
    const a = flatReading(batch, 4, fleet, scenario.area);
    const b = flatReading(batch, 8, fleet, scenario.area);
    expect(a.reading_ts).toBe('2026-11-01 01:00:00');
    expect(b.reading_ts).toBe('2026-11-01 01:00:00');
    expect(a.reading_ts_utc).toBe('2026-11-01T06:00:00Z');
    expect(b.reading_ts_utc).toBe('2026-11-01T07:00:00Z');
  });

  it('map event code 0 to null and the others to their names, and outage flags to booleans', () => {
    const one = allocateBatch(3, 15);
    one.eventType.set([0, eventCode('LAST_GASP'), eventCode('POWER_RESTORE')]);
    one.isOutage.set([0, 1, 0]);
    one.dataQuality.set([0, 2, 0]);
    const rows = [0, 1, 2].map((i) => flatReading(one, i, fleet, scenario.area));
    expect(rows.map((r) => r.event_type)).toEqual([null, 'LAST_GASP', 'POWER_RESTORE']);
    expect(rows.map((r) => r.is_outage)).toEqual([false, true, false]);
    expect(rows.map((r) => r.data_quality)).toEqual(['VALID', 'OUTAGE', 'VALID']);
  });
});

describe('nested readings', () => {
  it('group the flat fields as header, meter, reading, quality and metadata', () => {
    const flat = flatReading(batch, 7, fleet, scenario.area);
    const nested = nestedReading(flat, batch.tsUtcMs[7]!);
    expect(nested.header).toEqual({
      message_id: `MTR-TGC-0000001:${batch.tsUtcMs[7]! / 1000}`,
      source_system: 'AMI_HEAD_END',
      message_type: 'METER_READING',
      schema_version: '1.0',
    });
    const regrouped = { ...nested.meter, ...nested.reading, ...nested.quality, emission_pattern: nested.metadata.emission_pattern };
    expect(Object.keys(regrouped).sort()).toEqual([...FLAT_COLUMNS].sort());
    for (const column of FLAT_COLUMNS) expect(regrouped[column], column).toEqual(flat[column]);
    expect(recordOf(batch, 7, fleet, scenario.area, 'nested')).toEqual(nested);
    expect(recordOf(batch, 7, fleet, scenario.area, 'flat')).toEqual(flat);
  });

  it('message ids are the unique key: equal for a re-sent reading, distinct across the fall-back hour', () => {
    expect(messageId('MTR-TGC-0000001', 1_000)).toBe(messageId('MTR-TGC-0000001', 1_000));
    const ids = new Set<string>();
    for (let r = 0; r < batch.length; r++) ids.add(messageId(fleet.meterIds[batch.meterIndex[r]!]!, batch.tsUtcMs[r]!));
    expect(ids.size).toBe(batch.length);
  });
});

describe('reading batches', () => {
  it('slices share memory and list one transferable buffer per column', () => {
    const own = new ReadingGenerator(scenario, fleet).generate(day, 0, 2);
    const slice = sliceBatch(own, 10, 20);
    expect(slice.length).toBe(10);
    expect(slice.intervalMinutes).toBe(15);
    expect(slice.usageKwh[0]).toBe(own.usageKwh[10]);
    slice.voltage[0] = 1;
    expect(own.voltage[10]).toBe(1);
    const fresh = allocateBatch(5, 60);
    const buffers = batchBuffers(fresh);
    expect(buffers).toHaveLength(BATCH_COLUMNS.length);
    expect(new Set(buffers).size).toBe(BATCH_COLUMNS.length);
  });
});
