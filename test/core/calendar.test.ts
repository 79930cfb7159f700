import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { flatReading } from '../../src/generator/reading-records.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { intervalsPerMeter, resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs, serviceAreaOf, type Scenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES } from '../../src/scenario/service-areas.js';
import { isoDate, isoDateTime, offsetMinutes } from '../../src/util/time-zone.js';
import { generateAll, rowsByMeter } from '../support/core.js';

const MINUTE_MS = 60_000;
const hhmm = (wallMs: number): string => isoDateTime(wallMs).slice(11, 16);

/** The days of a scenario found the slow, obvious way: every interval's local date, one time-zone look-up each. */
function daysByWalking(scenario: Scenario): { localDate: string; firstUtcMs: number; intervals: number }[] {
  const tz = serviceAreaOf(scenario).timeZone;
  const stepMs = scenario.intervalMinutes * MINUTE_MS;
  const days: { localDate: string; firstUtcMs: number; intervals: number }[] = [];
  for (let t = scenarioStartUtcMs(scenario); t < scenarioEndUtcMs(scenario); t += stepMs) {
    const localDate = isoDate(t + offsetMinutes(tz, t) * MINUTE_MS);
    if (days.at(-1)?.localDate === localDate) days.at(-1)!.intervals++;
    else days.push({ localDate, firstUtcMs: t, intervals: 1 });
  }
  return days;
}

describe('generationDays', () => {
  it('gives the days that walking interval by interval gives: any area, interval, era of DST rules and length', () => {
    const scenarios = fc.record({
      area: fc.constantFrom(...SERVICE_AREA_NAMES),
      interval: fc.constantFrom(5, 15, 30, 60),
      // Whole-year DST (1942-45), the 1974 energy-crisis rules, today's, and the range's ends.
      start: fc.constantFrom('1900-01-01', '1942-02-01', '1974-01-01', '1987-04-01', '2007-03-10', '2026-03-07', '2026-10-31', '2199-10-01'),
      days: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(scenarios, (input) => {
        const scenario = resolveScenario({ ...input, meters: 1 });
        const days = generationDays(scenario);
        expect(days.map(({ localDate, firstUtcMs, intervals }) => ({ localDate, firstUtcMs, intervals }))).toEqual(daysByWalking(scenario));
        expect(days.map((d) => d.index)).toEqual(days.map((_, i) => i));
        expect(days.map((d) => d.firstInterval)).toEqual(days.map((_, i) => days.slice(0, i).reduce((n, d) => n + d.intervals, 0)));
      }),
      { seed: 1205, numRuns: 40 },
    );
  });

  it('gives a fall-back day 100 intervals and a spring-forward day 92 in America/Chicago', () => {
    const fall = generationDays(resolveScenario({ area: 'ERCOT', start: '2026-10-31', days: 3 }));
    expect(fall.map((d) => d.localDate)).toEqual(['2026-10-31', '2026-11-01', '2026-11-02']);
    expect(fall[1]!.intervals).toBe(100);
    expect(fall[0]!.intervals).toBe(96);

    const spring = generationDays(resolveScenario({ area: 'ERCOT', start: '2026-03-07', days: 3 }));
    expect(spring.slice(0, 3).map((d) => d.localDate)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(spring[1]!.intervals).toBe(92);
    expect(spring[0]!.intervals).toBe(96);
    expect(spring[2]!.intervals).toBe(96);
  });

  it('scales the DST days with the interval length', () => {
    for (const [interval, fallBack, springForward] of [[5, 300, 276], [15, 100, 92], [30, 50, 46], [60, 25, 23]] as const) {
      const fall = generationDays(resolveScenario({ area: 'MISO', start: '2026-11-01', days: 2, interval }));
      expect(fall[0]!.intervals).toBe(fallBack);
      const spring = generationDays(resolveScenario({ area: 'MISO', start: '2026-03-08', days: 2, interval }));
      expect(spring[0]!.intervals).toBe(springForward);
    }
  });

  it('days are consecutive local dates starting at local midnight, and their intervals add up to intervalsPerMeter', () => {
    for (const [area, start, days, interval] of [
      ['ERCOT', '2026-01-01', 365, 15],
      ['CAISO', '2024-02-20', 60, 60],
      ['NYISO', '2026-10-25', 14, 5],
      ['BPA', '2026-03-01', 30, 30],
    ] as const) {
      const s = resolveScenario({ area, start, days, interval });
      const list = generationDays(s);
      const total = list.reduce((sum, d) => sum + d.intervals, 0);
      expect(total).toBe(intervalsPerMeter(s));
      expect(list[0]!.localDate).toBe(start);
      expect(list[0]!.firstUtcMs).toBe(scenarioStartUtcMs(s));
      const step = interval * MINUTE_MS;
      for (let i = 0; i < list.length; i++) {
        const d = list[i]!;
        expect(d.index).toBe(i);
        expect(d.localDayNumber * 86_400_000).toBe(new Date(`${d.localDate}T00:00:00Z`).getTime());
        if (i > 0) {
          const prev = list[i - 1]!;
          expect(d.localDayNumber).toBe(prev.localDayNumber + 1);
          expect(d.firstInterval).toBe(prev.firstInterval + prev.intervals);
          expect(d.firstUtcMs).toBe(prev.firstUtcMs + prev.intervals * step);
        }
      }
      const last = list[list.length - 1]!;
      expect(last.firstUtcMs + last.intervals * step).toBe(scenarioEndUtcMs(s));
    }
  });

  it('counts real time, not calendar days: a one-day range from a fall-back midnight ends at 23:00 local', () => {
    // Design choice (scenario.ts): days x 24 hours keeps expectedRows exact; the last local day is clipped instead.
    const list = generationDays(resolveScenario({ area: 'ERCOT', start: '2026-11-01', days: 1 }));
    expect(list).toHaveLength(1);
    expect(list[0]!.intervals).toBe(96);
    const spring = generationDays(resolveScenario({ area: 'ERCOT', start: '2026-03-08', days: 1 }));
    expect(spring.map((d) => [d.localDate, d.intervals])).toEqual([['2026-03-08', 92], ['2026-03-09', 4]]);
  });

  it('a year in Chicago has exactly one 92-interval and one 100-interval day', () => {
    const list = generationDays(resolveScenario({ area: 'ERCOT', start: '2026-01-01', days: 365 }));
    expect(list.filter((d) => d.intervals === 92).map((d) => d.localDate)).toEqual(['2026-03-08']);
    expect(list.filter((d) => d.intervals === 100).map((d) => d.localDate)).toEqual(['2026-11-01']);
    expect(list.filter((d) => d.intervals !== 96).length).toBe(2);
  });
});

describe('readings across daylight-saving changes', () => {
  it('the fall-back day repeats 01:00-01:45 local and the spring-forward day skips 02:00-02:45', () => {
    for (const [start, localDate, check] of [
      ['2026-10-31', '2026-11-01', (times: string[]) => {
        expect(times).toHaveLength(100);
        expect(times.slice(4, 12)).toEqual(['01:00', '01:15', '01:30', '01:45', '01:00', '01:15', '01:30', '01:45']);
        expect(times.filter((t) => t.startsWith('01:'))).toHaveLength(8);
        expect(times.filter((t) => t.startsWith('02:'))).toHaveLength(4);
        expect(new Set(times).size).toBe(96);
      }],
      ['2026-03-07', '2026-03-08', (times: string[]) => {
        expect(times).toHaveLength(92);
        expect(times.slice(6, 10)).toEqual(['01:30', '01:45', '03:00', '03:15']);
        expect(times.filter((t) => t.startsWith('02:'))).toHaveLength(0);
        expect(new Set(times).size).toBe(92);
      }],
    ] as const) {
      const s = resolveScenario({ area: 'ERCOT', start, days: 3, meters: 3 });
      const days = generationDays(s);
      const day = days.find((d) => d.localDate === localDate)!;
      const batch = new ReadingGenerator(s).generate(day, 0, s.meters);
      expect(batch.length).toBe(day.intervals * s.meters);
      for (let m = 0; m < s.meters; m++) {
        const times: string[] = [];
        for (let r = m * day.intervals; r < (m + 1) * day.intervals; r++) {
          expect(batch.meterIndex[r]).toBe(m);
          expect(isoDateTime(batch.tsLocalMs[r]!).slice(0, 10)).toBe(localDate);
          times.push(hhmm(batch.tsLocalMs[r]!));
        }
        expect(times[0]).toBe('00:00');
        expect(times[times.length - 1]).toBe('23:45');
        check(times);
      }
    }
  });

  it('tsUtcMs rises by exactly one interval per reading of a meter, and reading_ts_utc is unique per meter', () => {
    const s = resolveScenario({ area: 'ERCOT', start: '2026-10-30', days: 4, meters: 4 });
    const fleet = buildFleet(s);
    const batches = generateAll(s, new ReadingGenerator(s, fleet));
    const rows = rowsByMeter(batches, s.meters);
    const step = s.intervalMinutes * MINUTE_MS;
    // Local wall-clock minus UTC is the offset: CDT (-5 h) before 07:00 UTC on 1 November, CST (-6 h) after.
    const switchUtc = Date.UTC(2026, 10, 1, 7);
    for (let m = 0; m < s.meters; m++) {
      const list = rows[m]!;
      expect(list).toHaveLength(intervalsPerMeter(s));
      const seen = new Set<string>();
      let previous = -Infinity;
      for (const [b, r] of list) {
        const batch = batches[b]!;
        const utc = batch.tsUtcMs[r]!;
        if (previous !== -Infinity) expect(utc - previous).toBe(step);
        previous = utc;
        expect(batch.tsLocalMs[r]! - utc).toBe((utc < switchUtc ? -5 : -6) * 3_600_000);
        seen.add(flatReading(batch, r, fleet, s.area).reading_ts_utc);
      }
      expect(seen.size).toBe(list.length);
    }
  });
});
