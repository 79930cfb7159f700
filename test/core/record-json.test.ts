import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { RecordJson } from '../../src/generator/record-json.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { recordOf, SHAPES } from '../../src/generator/reading-records.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { EMISSION_PATTERNS } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES } from '../../src/scenario/service-areas.js';

/** What the sinks wrote before RecordJson, and must still write: the record object, stringified. */
const reference = (batch: ReadingBatch, row: number, fleet: Fleet, area: (typeof SERVICE_AREA_NAMES)[number], shape: (typeof SHAPES)[number]) =>
  JSON.stringify(recordOf(batch, row, fleet, area, shape));

describe('RecordJson writes exactly what JSON.stringify(recordOf(...)) writes', () => {
  it('for generated scenarios, both shapes, with and without emission times (every row)', () => {
    const scenarios = fc.record({
      area: fc.constantFrom(...SERVICE_AREA_NAMES),
      start: fc.date({ min: new Date('1971-01-01'), max: new Date('2098-12-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      meters: fc.integer({ min: 1, max: 12 }),
      interval: fc.constantFrom(5, 15, 30, 60),
      pvShare: fc.constantFrom(0, 0.3, 1),
      evShare: fc.constantFrom(0, 0.5),
      emissionPattern: fc.constantFrom(...EMISSION_PATTERNS),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
      shape: fc.constantFrom(...SHAPES),
      emitted: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(scenarios, ({ shape, emitted, ...input }) => {
        const scenario = resolveScenario({ ...input, days: 1 });
        const fleet = buildFleet(scenario);
        const generated = new ReadingGenerator(scenario, fleet).generate(generationDays(scenario)[0]!, 0, scenario.meters);
        const batch: ReadingBatch =
          emitted === undefined ? generated : { ...generated, emittedUtcMs: Float64Array.from(generated.tsUtcMs, (ts, i) => ts + emitted + i * 997) };
        const json = new RecordJson(fleet, scenario.area, shape);
        for (let row = 0; row < batch.length; row++) expect(json.of(batch, row)).toBe(reference(batch, row, fleet, scenario.area, shape));
      }),
      { seed: 20261206, numRuns: 60 },
    );
  });

  it('for hostile ids and values: quotes, control characters, unicode, -0, NaN and infinities', () => {
    const base = resolveScenario({ area: 'ERCOT', start: '2026-03-08', days: 1, meters: 3, seed: 7 });
    const baseFleet = buildFleet(base);
    const batchOf = new ReadingGenerator(base, baseFleet).generate(generationDays(base)[0]!, 0, base.meters);
    const text = fc.string({ unit: 'binary', maxLength: 24 });
    const value = fc.oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324));
    fc.assert(
      fc.property(fc.array(text, { minLength: 3, maxLength: 3 }), text, fc.array(value, { minLength: 4, maxLength: 4 }), fc.constantFrom(...SHAPES), (ids, transformerId, values, shape) => {
        const fleet: Fleet = { ...baseFleet, meterIds: ids, transformerIds: baseFleet.transformerIds.map(() => transformerId) };
        const batch: ReadingBatch = {
          ...batchOf,
          usageKwh: batchOf.usageKwh.map(() => values[0]!),
          voltage: batchOf.voltage.map(() => values[1]!),
          powerFactor: batchOf.powerFactor.map(() => values[2]!),
          temperatureC: batchOf.temperatureC.map(() => values[3]!),
        };
        const json = new RecordJson(fleet, base.area, shape);
        for (let row = 0; row < batch.length; row += 7) expect(json.of(batch, row)).toBe(reference(batch, row, fleet, base.area, shape));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
