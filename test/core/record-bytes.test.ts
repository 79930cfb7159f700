import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { RecordBytes } from '../../src/generator/record-bytes.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { recordOf } from '../../src/generator/reading-records.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { EMISSION_PATTERNS } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES, type ServiceAreaName } from '../../src/scenario/service-areas.js';
import { ByteChunks } from '../../src/util/byte-chunks.js';

/** What the stage sink wrote before RecordBytes, and must still write: each record object stringified, a line each. */
const reference = (batch: ReadingBatch, fleet: Fleet, area: ServiceAreaName, rows: readonly number[]): Buffer =>
  Buffer.from(rows.map((row) => `${JSON.stringify(recordOf(batch, row, fleet, area, 'nested'))}\n`).join(''), 'utf8');

/** RecordBytes' lines for `rows`, in small chunks so that lines cross chunk ends. */
function written(batch: ReadingBatch, fleet: Fleet, area: ServiceAreaName, rows: readonly number[], chunkSize: number): Buffer {
  const out = new ByteChunks(chunkSize);
  const bytes = new RecordBytes(fleet, area);
  for (const row of rows) bytes.append(batch, row, out);
  return out.toBuffer();
}

describe('RecordBytes writes exactly the bytes of JSON.stringify(recordOf(...)) and a newline', () => {
  it('for generated scenarios, with and without emission times (every row)', () => {
    const scenarios = fc.record({
      area: fc.constantFrom(...SERVICE_AREA_NAMES),
      start: fc.date({ min: new Date('1971-01-01'), max: new Date('2098-12-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      meters: fc.integer({ min: 1, max: 12 }),
      interval: fc.constantFrom(5, 15, 30, 60),
      pvShare: fc.constantFrom(0, 0.3, 1),
      evShare: fc.constantFrom(0, 0.5),
      emissionPattern: fc.constantFrom(...EMISSION_PATTERNS),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
      emitted: fc.option(fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }), { nil: undefined }),
      chunkSize: fc.integer({ min: 1, max: 4096 }),
    });
    fc.assert(
      fc.property(scenarios, ({ emitted, chunkSize, ...input }) => {
        const scenario = resolveScenario({ ...input, days: 1 });
        const fleet = buildFleet(scenario);
        const generated = new ReadingGenerator(scenario, fleet).generate(generationDays(scenario)[0]!, 0, scenario.meters);
        const batch: ReadingBatch =
          emitted === undefined ? generated : { ...generated, emittedUtcMs: Float64Array.from(generated.tsUtcMs, (ts, i) => ts + emitted + i * 997) };
        const rows = Array.from({ length: batch.length }, (_, i) => i);
        expect(written(batch, fleet, scenario.area, rows, chunkSize).equals(reference(batch, fleet, scenario.area, rows))).toBe(true);
      }),
      { seed: 20261207, numRuns: 60 },
    );
  });

  it('for hostile ids and values: quotes, control characters, unicode, lone surrogates, -0, NaN and infinities', () => {
    const base = resolveScenario({ area: 'ERCOT', start: '2026-03-08', days: 1, meters: 3, seed: 7 });
    const baseFleet = buildFleet(base);
    const batchOf = new ReadingGenerator(base, baseFleet).generate(generationDays(base)[0]!, 0, base.meters);
    const text = fc.string({ unit: 'binary', maxLength: 24 });
    const value = fc.oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324));
    fc.assert(
      fc.property(fc.array(text, { minLength: 3, maxLength: 3 }), text, fc.array(value, { minLength: 4, maxLength: 4 }), (ids, transformerId, values) => {
        const fleet: Fleet = { ...baseFleet, meterIds: ids, transformerIds: baseFleet.transformerIds.map(() => transformerId) };
        const batch: ReadingBatch = {
          ...batchOf,
          usageKwh: batchOf.usageKwh.map(() => values[0]!),
          voltage: batchOf.voltage.map(() => values[1]!),
          powerFactor: batchOf.powerFactor.map(() => values[2]!),
          temperatureC: batchOf.temperatureC.map(() => values[3]!),
        };
        const rows = Array.from({ length: Math.ceil(batch.length / 7) }, (_, i) => i * 7);
        expect(written(batch, fleet, base.area, rows, 64).toString('utf8')).toBe(reference(batch, fleet, base.area, rows).toString('utf8'));
      }),
      { seed: 43, numRuns: 200 },
    );
  });
});
