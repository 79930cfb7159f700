import fc from 'fast-check';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { EMISSION_PATTERNS } from '../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES } from '../../src/scenario/service-areas.js';

/** A generated day of readings: its scenario, fleet and batch (with emission times when the case drew them). */
export interface RecordCase {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly batch: ReadingBatch;
}

/** Generated one-day scenarios over every area, interval and emission pattern, with PV and EV homes, some with emission times. */
export const generatedRecordCases: fc.Arbitrary<RecordCase> = fc
  .record({
    area: fc.constantFrom(...SERVICE_AREA_NAMES),
    start: fc.date({ min: new Date('1971-01-01'), max: new Date('2098-12-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    meters: fc.integer({ min: 1, max: 12 }),
    interval: fc.constantFrom(5, 15, 30, 60),
    pvShare: fc.constantFrom(0, 0.3, 1),
    evShare: fc.constantFrom(0, 0.5),
    emissionPattern: fc.constantFrom(...EMISSION_PATTERNS),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    emitted: fc.option(fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }), { nil: undefined }),
  })
  .map(({ emitted, ...input }) => {
    const scenario = resolveScenario({ ...input, days: 1 });
    const fleet = buildFleet(scenario);
    const generated = new ReadingGenerator(scenario, fleet).generate(generationDays(scenario)[0]!, 0, scenario.meters);
    const batch: ReadingBatch =
      emitted === undefined ? generated : { ...generated, emittedUtcMs: Float64Array.from(generated.tsUtcMs, (ts, i) => ts + emitted + i * 997) };
    return { scenario, fleet, batch };
  });

const hostileBase = (() => {
  const scenario = resolveScenario({ area: 'ERCOT', start: '2026-03-08', days: 1, meters: 3, seed: 7 });
  const fleet = buildFleet(scenario);
  return { scenario, fleet, batch: new ReadingGenerator(scenario, fleet).generate(generationDays(scenario)[0]!, 0, scenario.meters) };
})();

/**
 * A day of 3 meters whose ids and transformer id are any text (quotes, control characters, unicode, lone surrogates)
 * and whose usage, voltage, power factor and temperature are any double (-0, NaN, infinities, extremes).
 */
export const hostileRecordCases: fc.Arbitrary<RecordCase> = fc
  .record({
    ids: fc.array(fc.string({ unit: 'binary', maxLength: 24 }), { minLength: 3, maxLength: 3 }),
    transformerId: fc.string({ unit: 'binary', maxLength: 24 }),
    values: fc.array(fc.oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324)), { minLength: 4, maxLength: 4 }),
  })
  .map(({ ids, transformerId, values }) => {
    const { scenario, fleet: baseFleet, batch: base } = hostileBase;
    const fleet: Fleet = { ...baseFleet, meterIds: ids, transformerIds: baseFleet.transformerIds.map(() => transformerId) };
    const batch: ReadingBatch = {
      ...base,
      usageKwh: base.usageKwh.map(() => values[0]!),
      voltage: base.voltage.map(() => values[1]!),
      powerFactor: base.powerFactor.map(() => values[2]!),
      temperatureC: base.temperatureC.map(() => values[3]!),
    };
    return { scenario, fleet, batch };
  });
