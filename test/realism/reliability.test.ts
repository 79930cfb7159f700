import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { reliabilitySummary, type Interruption } from '../../src/validate/reliability-indices.js';

/** One customer interruption as the generator produced it: when it began and ended (UTC ms), on which assets. */
interface Run {
  readonly meter: number;
  readonly startMs: number;
  endMs: number;
  readonly day: string;
}

/**
 * Houston 2025, hourly, a storm forced on 15 August. A small fleet spans two or three feeders, so (as the grid test)
 * blocks of neighbouring meters across a 60,000-meter utility: 30 meters at every 1,000th, about 60 feeders, so the
 * storm hits dozens of them and the lateral and transformer stages of its restoration show.
 */
const SCENARIO = resolveScenario({ area: 'TEXAS_GULF_COAST', start: '2025-01-01', days: 365, meters: 60_000, seed: 42, interval: 60, storm: '2025-08-15' });
const BLOCK = 30;

let year: { runs: Run[]; sampled: number[]; fleet: ReturnType<typeof buildFleet> } | undefined;

/** Every customer interruption of the sampled meters over the year: runs of consecutive outage readings. */
function generatedYear(): NonNullable<typeof year> {
  if (year) return year;
  const fleet = buildFleet(SCENARIO);
  const generator = new ReadingGenerator(SCENARIO, fleet);
  const firsts: number[] = [];
  for (let m = 0; m < fleet.size; m += 1_000) firsts.push(m);
  const open = new Map<number, Run>();
  const runs: Run[] = [];
  const stepMs = SCENARIO.intervalMinutes * 60_000;
  for (const day of generationDays(SCENARIO)) {
    for (const first of firsts) {
      const batch = generator.generate(day, first, first + BLOCK);
      for (let r = 0; r < batch.length; r++) {
        const m = batch.meterIndex[r]!;
        const t = batch.tsUtcMs[r]!;
        const run = open.get(m);
        if (batch.isOutage[r] !== 1) {
          open.delete(m);
        } else if (run && run.endMs === t) {
          run.endMs = t + stepMs;
        } else {
          const started: Run = { meter: m, startMs: t, endMs: t + stepMs, day: new Date(batch.tsLocalMs[r]!).toISOString().slice(0, 10) };
          runs.push(started);
          open.set(m, started);
        }
      }
    }
  }
  const sampled = firsts.flatMap((first) => Array.from({ length: BLOCK }, (_, i) => first + i));
  return (year = { runs, sampled, fleet });
}

const asInterruptions = (runs: readonly Run[]): Interruption[] => runs.map((r) => ({ day: r.day, minutes: (r.endMs - r.startMs) / 60_000 }));

describe('a year with a forced storm: IEEE 1366 indices', () => {
  it('indices are positive, the storm day is a major event day, and without it SAIFI and SAIDI are lower and in the EIA range', () => {
    const { runs, sampled, fleet } = generatedYear();
    expect(new Set(sampled.map((m) => fleet.feeder[m])).size).toBeGreaterThanOrEqual(40);
    const summary = reliabilitySummary(asInterruptions(runs), sampled.length, 365);
    expect(summary.all.saifi).toBeGreaterThan(0);
    expect(summary.all.saidiMinutes).toBeGreaterThan(0);
    expect(summary.all.caidiMinutes).toBeGreaterThan(0);
    expect(summary.majorEventDays.map((d) => d.day)).toContain('2025-08-15');
    expect(summary.withoutMajorEvents.saifi).toBeLessThan(summary.all.saifi);
    expect(summary.withoutMajorEvents.saidiMinutes).toBeLessThan(summary.all.saidiMinutes);
    // EIA: SAIDI without major events about 2 to 5 hours a year in most states (US 2023: 124 minutes), SAIFI about 1.
    expect(summary.withoutMajorEvents.saidiMinutes).toBeGreaterThan(60);
    expect(summary.withoutMajorEvents.saidiMinutes).toBeLessThan(300);
    expect(summary.withoutMajorEvents.saifi).toBeGreaterThan(0.5);
    expect(summary.withoutMajorEvents.saifi).toBeLessThan(1.6);
  }, 120_000);

  it('the storm restores over hours, feeder by feeder and lateral by lateral, with a long tail of single transformers', () => {
    const { runs, fleet } = generatedYear();
    const storm = runs.filter((r) => r.day === '2025-08-15' || r.day === '2025-08-16');
    // Most storm interruptions are whole feeders: well over a thousand sampled customers.
    expect(storm.length).toBeGreaterThan(500);
    const hours = storm.map((r) => (r.endMs - r.startMs) / 3_600_000).sort((a, b) => a - b);
    const at = (q: number): number => hours[Math.floor(q * (hours.length - 1))]!;
    // Not every meter in the same interval: restorations spread over many hours, and some take more than a day.
    expect(new Set(storm.map((r) => r.endMs)).size).toBeGreaterThan(30);
    expect(at(0.9) - at(0.1)).toBeGreaterThan(6);
    expect(at(1)).toBeGreaterThan(24);

    // Who comes back together: per restoration instant, the transformers restored at it. Early and typical instants
    // restore many transformers at once (a feeder's backbone, a lateral); the last 3% of restorations are transformers
    // restored on their own.
    const transformersAt = new Map<number, Set<number>>();
    for (const r of storm) {
      const set = transformersAt.get(r.endMs) ?? new Set<number>();
      set.add(fleet.transformer[r.meter]!);
      transformersAt.set(r.endMs, set);
    }
    const ends = storm.map((r) => r.endMs).sort((a, b) => a - b);
    const tailFrom = ends[Math.floor(0.97 * (ends.length - 1))]!;
    const tail = [...transformersAt.entries()].filter(([end]) => end >= tailFrom);
    const median = transformersAt.get(ends[Math.floor(ends.length / 2)]!)!;
    expect(median.size).toBeGreaterThan(1);
    expect(tail.length).toBeGreaterThan(3);
    expect(tail.filter(([, set]) => set.size === 1).length / tail.length).toBeGreaterThan(0.6);
  }, 120_000);
});

describe('reliabilitySummary', () => {
  it('computes SAIFI, SAIDI and CAIDI and the 2.5 beta threshold on a hand-worked case', () => {
    // 10 customers, 4 days; daily SAIDI 1, 2, 4 and 1,000 minutes.
    const list: Interruption[] = [
      { day: '2025-01-01', minutes: 10 },
      { day: '2025-01-02', minutes: 20 },
      { day: '2025-01-03', minutes: 40 },
      ...Array.from({ length: 10 }, () => ({ day: '2025-01-04', minutes: 1_000 })),
    ];
    const s = reliabilitySummary(list, 10, 4);
    expect(s.all.interruptions).toBe(13);
    expect(s.all.saifi).toBeCloseTo(1.3, 12);
    expect(s.all.saidiMinutes).toBeCloseTo(1_007, 9);
    expect(s.all.caidiMinutes).toBeCloseTo(1_007 / 1.3, 9);
    const logs = [1, 2, 4, 1_000].map(Math.log);
    const alpha = logs.reduce((a, b) => a + b) / 4;
    const beta = Math.sqrt(logs.reduce((a, v) => a + (v - alpha) ** 2, 0) / 3);
    expect(s.threshold!.tMedMinutes).toBeCloseTo(Math.exp(alpha + 2.5 * beta), 9);
    // With only four days the spread is wide: the threshold (about 10^5 minutes) keeps even the 1,000-minute day.
    expect(s.majorEventDays).toEqual([]);
    expect(s.withoutMajorEvents).toEqual(s.all);
  });

  it('finds a storm among a year of ordinary days and leaves it out of the normal indices', () => {
    const list: Interruption[] = [];
    for (let d = 0; d < 300; d++) list.push({ day: `day-${String(d).padStart(3, '0')}`, minutes: 60 + ((d * 37) % 120) });
    for (let c = 0; c < 600; c++) list.push({ day: 'day-storm', minutes: 600 });
    const s = reliabilitySummary(list, 1_000, 365);
    expect(s.majorEventDays.map((d) => d.day)).toEqual(['day-storm']);
    expect(s.withoutMajorEvents.interruptions).toBe(300);
    expect(s.withoutMajorEvents.saidiMinutes).toBeLessThan(s.all.saidiMinutes);
  });

  it('without interruptions: zero SAIFI and SAIDI, no CAIDI, no threshold', () => {
    const s = reliabilitySummary([], 100, 31);
    expect(s.all.saifi).toBe(0);
    expect(s.all.saidiMinutes).toBe(0);
    expect(s.all.caidiMinutes).toBeNaN();
    expect(s.threshold).toBeNull();
    expect(s.majorEventDays).toEqual([]);
  });

  it('generated years: indices without major event days never exceed all days, and exactly the days above T_MED are major', () => {
    const interruption = fc.record({ day: fc.integer({ min: 0, max: 364 }).map((d) => `d${String(d).padStart(3, '0')}`), minutes: fc.integer({ min: 5, max: 5_000 }) });
    fc.assert(
      fc.property(fc.array(interruption, { maxLength: 400 }), fc.integer({ min: 1, max: 5_000 }), (list, customers) => {
        const s = reliabilitySummary(list, customers, 365);
        expect(s.withoutMajorEvents.saifi).toBeLessThanOrEqual(s.all.saifi);
        expect(s.withoutMajorEvents.saidiMinutes).toBeLessThanOrEqual(s.all.saidiMinutes + 1e-9);
        const daily = new Map<string, number>();
        for (const i of list) daily.set(i.day, (daily.get(i.day) ?? 0) + i.minutes / customers);
        const above = s.threshold === null ? [] : [...daily].filter(([, v]) => v > s.threshold!.tMedMinutes).map(([d]) => d).sort();
        expect(s.majorEventDays.map((d) => d.day)).toEqual(above);
        expect(s.all.interruptions - s.withoutMajorEvents.interruptions).toBe(list.filter((i) => above.includes(i.day)).length);
      }),
      { seed: 1366, numRuns: 200 },
    );
  });

  it('refuses no customers or no days (a report of nothing is not a perfect year)', () => {
    expect(() => reliabilitySummary([{ day: 'd', minutes: 5 }], 0, 10)).toThrow(RangeError);
    expect(() => reliabilitySummary([], 10, 0)).toThrow(/customers and days/);
  });
});
