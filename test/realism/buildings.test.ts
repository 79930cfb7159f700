import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { compareBuildingStatistics } from '../../src/validate/building-bands.js';
import { buildingStatistics, collectBuildings, type BuildingPanel } from '../../src/validate/building-statistics.js';
import { profileCode } from '../support/realism.js';

/**
 * A year of 1,500 meters, a quarter industrial and three quarters commercial, hourly. Every statistic with a band
 * (CBECS levels, schedule targets for shapes) must be in it, in a hot and a cold climate, for two seeds.
 */
describe('commercial and industrial buildings over a generated year', () => {
  for (const [area, seed] of [['TEXAS_GULF_COAST', 42], ['MIDWEST_GREAT_LAKES', 7]] as const) {
    it(`${area}, seed ${seed}: annual levels by building type, weekday/weekend, plateaus, load factors and cooling in their bands`, async () => {
      const scenario = resolveScenario({ area, start: '2025-01-01', days: 365, meters: 1_500, mix: '0/75/25', interval: 60, seed });
      const stats = buildingStatistics(await collectBuildings(scenario));
      const rows = compareBuildingStatistics(stats);
      expect(stats.types.map((t) => t.profile).sort()).toEqual(
        ['GROCERY', 'OFFICE', 'ONE_SHIFT', 'RESTAURANT', 'RETAIL', 'SCHOOL', 'THREE_SHIFTS', 'TWO_SHIFTS', 'WAREHOUSE'],
      );
      expect(rows.filter((r) => r.passed !== null).length).toBeGreaterThan(40);
      expect(rows.filter((r) => r.passed === false).map((r) => `${r.profile} ${r.statistic} ${r.value.toFixed(3)} not in ${r.band}`)).toEqual([]);
      // The shapes differ the way buildings do: offices and schools rest at weekends, groceries and three-shift plants
      // do not; a three-shift plant's load is flattest.
      const of = (name: string) => stats.types.find((t) => t.profile === name)!;
      expect(of('OFFICE').weekdayWeekendRatio).toBeGreaterThan(of('GROCERY').weekdayWeekendRatio + 0.5);
      expect(of('SCHOOL').weekdayWeekendRatio).toBeGreaterThan(of('RETAIL').weekdayWeekendRatio + 1);
      expect(of('THREE_SHIFTS').loadFactor).toBeGreaterThan(Math.max(...stats.types.filter((t) => t.profile !== 'THREE_SHIFTS').map((t) => t.loadFactor)));
    }, 300_000);
  }
});

/** A hand-built panel: `days` local days from Monday 6 January 2025, one meter of `profile` drawing `kwhAt`. */
function panel(profile: string, days: number, kwhAt: (dayOfWeek: number, hour: number) => number, temperature: (day: number) => number = () => 15): BuildingPanel {
  const hours = days * 24;
  const start = Date.UTC(2025, 0, 6);
  const wallClockMs = Float64Array.from({ length: hours }, (_, h) => start + h * 3_600_000);
  const series = Float32Array.from({ length: hours }, (_, h) => kwhAt(new Date(wallClockMs[h]!).getUTCDay(), h % 24));
  return {
    profile: Uint8Array.of(profileCode(profile)),
    series: [series],
    anomalous: [new Uint8Array(hours)],
    wallClockMs,
    temperatureC: Float64Array.from({ length: hours }, (_, h) => temperature(Math.floor(h / 24))),
  };
}

describe('buildingStatistics', () => {
  it('weekday/weekend ratio, plateau and load factor of a known office week', () => {
    // 10 kW at night, 40 kW 08:00-18:00 on weekdays, 10 kW all weekend.
    const stats = buildingStatistics(panel('OFFICE', 14, (dow, hour) => (dow >= 1 && dow <= 5 && hour >= 8 && hour < 18 ? 40 : 10)));
    const office = stats.types[0]!;
    expect(office.profile).toBe('OFFICE');
    expect(office.weekdayWeekendRatio).toBeCloseTo((14 * 10 + 10 * 40) / 240, 9);
    expect(office.dayNightRatio).toBeCloseTo(4, 9);
    expect(office.plateauFlatness).toBeCloseTo(1, 9);
    const meanKw = (10 * (14 * 10 + 10 * 40) + 4 * 240) / (14 * 24);
    expect(office.loadFactor).toBeCloseTo(meanKw / 40, 6);
    expect(office.annualMwh).toBeCloseTo((meanKw * 8760) / 1000, 3);
    expect(stats.commercial.meters).toBe(1);
  });

  it('every building weighs the same in a type\'s shape; the geometric mean of levels is reported beside the mean', () => {
    // A flat 1 kW office and one 100 times larger that rests at weekends (half its weekday level).
    const small = panel('OFFICE', 14, () => 1);
    const large = panel('OFFICE', 14, (dow) => (dow === 0 || dow === 6 ? 50 : 100));
    const both: BuildingPanel = { ...small, profile: Uint8Array.of(small.profile[0]!, large.profile[0]!), series: [small.series[0]!, large.series[0]!], anomalous: [small.anomalous[0]!, large.anomalous[0]!] };
    const office = buildingStatistics(both).types[0]!;
    const largeMean = (5 * 100 + 2 * 50) / 7;
    // Weighted by size the ratio would be almost the large office's 2.
    expect(office.weekdayWeekendRatio).toBeCloseTo((1 + 100 / largeMean) / (1 + 50 / largeMean), 6);
    const annual = [8.76, (largeMean * 8760) / 1000];
    expect(office.annualMwh).toBeCloseTo((annual[0]! + annual[1]!) / 2, 3);
    expect(office.geometricMeanMwh).toBeCloseTo(Math.sqrt(annual[0]! * annual[1]!), 3);
    const stats = buildingStatistics(both).commercial;
    expect(stats.meters).toBe(2);
    expect(stats.medianMwh).toBeCloseTo((annual[0]! + annual[1]!) / 2, 3);
    expect(stats.sizeShares.length).toBe(7);
  });

  it('the peak leaves out hours with a labelled anomaly', () => {
    const p = panel('THREE_SHIFTS', 7, () => 100);
    p.series[0]![30] = 600;
    const flagged = buildingStatistics(p).types[0]!;
    expect(flagged.loadFactor).toBeLessThan(0.5);
    p.anomalous[0]![30] = 1;
    expect(buildingStatistics(p).types[0]!.loadFactor).toBeGreaterThan(1);
  });

  it('cooling: the rise of daily demand per degree on hot weekdays, as a share of the mean', () => {
    // Daily mean temperature 21 + day index; demand 50 kW + 1 kW per degree above 20 C, every hour.
    const stats = buildingStatistics(panel('RETAIL', 28, () => 0, () => 0));
    expect(stats.types[0]!.coolingPerDegree).toBeNaN();
    const temp = (day: number): number => 21 + day;
    const p = panel('RETAIL', 28, () => 0, temp);
    for (let h = 0; h < p.series[0]!.length; h++) p.series[0]![h] = 50 + (temp(Math.floor(h / 24)) - 20);
    const mean = p.series[0]!.reduce((s, v) => s + v, 0) / p.series[0]!.length;
    expect(buildingStatistics(p).types[0]!.coolingPerDegree).toBeCloseTo(1 / mean, 6);
  });

  it('generated weeks: the weekday/weekend ratio is the ratio of the two daily levels, whatever they are', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 500, noNaN: true }), fc.double({ min: 0.5, max: 500, noNaN: true }), (weekday, weekend) => {
        const stats = buildingStatistics(panel('WAREHOUSE', 7, (dow) => (dow === 0 || dow === 6 ? weekend : weekday)));
        expect(stats.types[0]!.weekdayWeekendRatio).toBeCloseTo(Math.fround(weekday) / Math.fround(weekend), 4);
      }),
      { seed: 14, numRuns: 60 },
    );
  });

  it('refuses a panel without a whole day, and a scenario without commercial or industrial meters', async () => {
    const short = panel('OFFICE', 1, () => 1);
    const cut: BuildingPanel = { ...short, wallClockMs: short.wallClockMs.slice(0, 20), series: [short.series[0]!.slice(0, 20)], anomalous: [new Uint8Array(20)], temperatureC: short.temperatureC.slice(0, 20) };
    expect(() => buildingStatistics(cut)).toThrow(/no whole local day/);
    await expect(collectBuildings(resolveScenario({ meters: 20, days: 1, start: '2025-01-06', mix: '100/0/0' }))).rejects.toThrow(/none of the scenario's 20 meters is commercial or industrial/);
  });
});
