import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { LabelCollector, type AnomalyLabel } from '../../src/generator/anomaly-labels.js';
import { generationDays } from '../../src/generator/calendar.js';
import { labelCollectorAt } from '../../src/generator/label-history.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';

const RATES = 'theft=0.04,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05';
const text = (l: AnomalyLabel): string => `${l.meterIndex}|${l.eventType}|${l.startUtcMs}|${l.endUtcMs}|${l.startLocalMs}|${l.endLocalMs}|${l.readings}|${l.severity}`;

describe('labelCollectorAt: the collector of an uninterrupted run at a day\'s start', () => {
  it('gives, from that day on, exactly the windows a collector fed from the first day gives (generated scenarios, meter ranges, days)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }), fc.integer({ min: 2, max: 7 }), fc.constantFrom(30, 60), fc.nat(1_000), fc.boolean(), fc.nat(), fc.nat(), fc.nat(),
        (meters, dayCount, interval, seed, storm, a, b, c) => {
          const scenario = resolveScenario({ meters, days: dayCount, start: '2025-10-20', interval, seed, storm, anomalyRate: RATES });
          const fleet = buildFleet(scenario);
          const days = generationDays(scenario);
          const start = a % meters;
          const end = start + 1 + (b % (meters - start));
          const at = 1 + (c % (days.length - 1));
          const generator = new ReadingGenerator(scenario, fleet);
          const whole = new LabelCollector(scenario, fleet);
          const resumed = labelCollectorAt(scenario, fleet, days, at, start, end);
          const fromWhole: string[] = [];
          const fromResumed: string[] = [];
          for (const [k, day] of days.entries()) {
            const batch = generator.generate(day, start, end);
            whole.add(batch);
            const closed = whole.endDay();
            if (k < at) continue;
            fromWhole.push(...closed.map(text));
            resumed.add(batch);
            fromResumed.push(...resumed.endDay().map(text));
          }
          fromWhole.push(...whole.finish().map(text));
          fromResumed.push(...resumed.finish().map(text));
          expect(fromResumed.sort()).toEqual(fromWhole.sort());
          // Nothing before the day is counted again.
          const begun = Object.values(resumed.windowsByType()).reduce((x, y) => x + y, 0);
          expect(begun).toBeLessThanOrEqual(fromResumed.length);
        },
      ),
      { seed: 20261206, numRuns: 40 },
    );
  });

  it('is a fresh collector at the first day, and carries a theft window begun days before', () => {
    const scenario = resolveScenario({ meters: 60, days: 6, start: '2025-09-01', interval: 60, seed: 31, anomalyRate: RATES });
    const fleet = buildFleet(scenario);
    const days = generationDays(scenario);
    expect(labelCollectorAt(scenario, fleet, days, 0, 0, 60).finish()).toEqual([]);
    const open = labelCollectorAt(scenario, fleet, days, 4, 0, 60).finish();
    expect(open.some((l) => l.eventType === 'TAMPER' && l.startUtcMs < days[3]!.firstUtcMs)).toBe(true);
  });
});
