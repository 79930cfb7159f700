import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays, type GenerationDay } from '../../src/generator/calendar.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { Solar } from '../../src/generator/solar.js';
import { resolveScenario, serviceAreaOf, type Scenario } from '../../src/scenario/scenario.js';
import { correlation } from '../../src/validate/household-statistics.js';
import { hourOf, Mean } from '../support/realism.js';

interface Run {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly days: readonly GenerationDay[];
  /** One batch per day, meter-major: the same (meter, interval) is at the same row in runs of the same size. */
  readonly batches: readonly ReadingBatch[];
}

function run(input: Record<string, unknown>): Run {
  const scenario = resolveScenario(input);
  const fleet = buildFleet(scenario);
  const generator = new ReadingGenerator(scenario, fleet);
  const days = generationDays(scenario);
  return { scenario, fleet, days, batches: days.map((day) => generator.generate(day, 0, scenario.meters)) };
}

/** Local hour with minutes, 0 to 24, of a wall-clock timestamp. */
const clock = (wallMs: number): number => hourOf(wallMs) + new Date(wallMs).getUTCMinutes() / 60;

describe('rooftop PV (net metering)', () => {
  // Three June weeks of Los Angeles homes: every home with PV, then none; same seed, so the same homes.
  const base = { area: 'CALIFORNIA_COASTAL', start: '2025-06-01', days: 21, meters: 150, mix: '100/0/0', evShare: 0, seed: 42 };
  let pv: Run;
  let none: Run;
  let solar: Solar;

  beforeAll(() => {
    pv = run({ ...base, pvShare: 1 });
    none = run({ ...base, pvShare: 0 });
    solar = new Solar(serviceAreaOf(pv.scenario), pv.scenario.seed);
  });

  /** Per day: the mean net use of 12:00-14:00 (solar noon in Los Angeles is near 12:55 daylight time) of each home. */
  const middayByHome = (r: Run, day: number): Float64Array => {
    const batch = r.batches[day]!;
    const sum = new Float64Array(r.fleet.size);
    const n = new Float64Array(r.fleet.size);
    for (let row = 0; row < batch.length; row++) {
      const h = clock(batch.tsLocalMs[row]!);
      if (h < 12 || h >= 14 || batch.isOutage[row] || batch.eventType[row] !== 0) continue;
      sum[batch.meterIndex[row]!]! += batch.usageKwh[row]!;
      n[batch.meterIndex[row]!]!++;
    }
    return sum.map((s, m) => (n[m]! > 0 ? s / n[m]! : Number.NaN));
  };

  it('every home has PV with pvShare 1 and none with pvShare 0; nothing else about the homes changes', () => {
    expect(Array.from(pv.fleet.traits.pvKw).every((kw) => kw > 0)).toBe(true);
    expect(Array.from(none.fleet.traits.pvKw).every((kw) => kw === 0)).toBe(true);
    expect(Array.from(pv.fleet.traits.meanKw)).toEqual(Array.from(none.fleet.traits.meanKw));
    expect(Array.from(pv.fleet.traits.profile)).toEqual(Array.from(none.fleet.traits.profile));
  });

  it('on sunny days most homes export around solar noon (negative net use)', () => {
    const sunny = pv.days.filter((d) => solar.dayClearness(d.localDayNumber) >= 0.7);
    expect(sunny.length).toBeGreaterThanOrEqual(5);
    let exporting = 0;
    let homeDays = 0;
    for (const day of sunny) {
      for (const kwh of middayByHome(pv, day.index)) {
        if (Number.isNaN(kwh)) continue;
        homeDays++;
        if (kwh < 0) exporting++;
      }
    }
    expect(exporting / homeDays).toBeGreaterThan(0.8);
  });

  it('no home reads negative between 22:00 and 04:00 local', () => {
    let night = 0;
    let negative = 0;
    for (const batch of pv.batches) {
      for (let r = 0; r < batch.length; r++) {
        const h = clock(batch.tsLocalMs[r]!);
        if (h >= 4 && h < 22) continue;
        night++;
        if (batch.usageKwh[r]! < 0) negative++;
      }
    }
    expect(night).toBeGreaterThan(70_000);
    expect(negative).toBe(0);
  });

  it("a cloudy day's midday export is smaller than a clear day's, and export follows the day's clearness", () => {
    const clearness = pv.days.map((d) => solar.dayClearness(d.localDayNumber));
    const exportOf = pv.days.map((d) => {
      const mean = new Mean();
      for (const kwh of middayByHome(pv, d.index)) if (!Number.isNaN(kwh)) mean.add(-kwh);
      return mean.value;
    });
    const cloudiest = clearness.indexOf(Math.min(...clearness));
    const clearest = clearness.indexOf(Math.max(...clearness));
    expect(clearness[clearest]! - clearness[cloudiest]!).toBeGreaterThan(0.2);
    expect(exportOf[cloudiest]!).toBeLessThan(0.8 * exportOf[clearest]!);
    expect(correlation(clearness, exportOf)).toBeGreaterThan(0.7);
  });

  it('without PV no reading is negative, and PV only ever lowers a reading', () => {
    let negative = 0;
    let raised = 0;
    let compared = 0;
    let misaligned = 0;
    none.batches.forEach((batch, b) => {
      const withPv = pv.batches[b]!;
      expect(withPv.length).toBe(batch.length);
      for (let r = 0; r < batch.length; r++) {
        if (batch.usageKwh[r]! < 0) negative++;
        if (withPv.meterIndex[r] !== batch.meterIndex[r] || withPv.tsUtcMs[r] !== batch.tsUtcMs[r]) misaligned++;
        if (batch.eventType[r] !== 0 || withPv.eventType[r] !== 0) continue;
        compared++;
        if (withPv.usageKwh[r]! > batch.usageKwh[r]!) raised++;
      }
    });
    expect(misaligned).toBe(0);
    expect(negative).toBe(0);
    expect(compared).toBeGreaterThan(280_000);
    expect(raised).toBe(0);
  });
});

describe('home EV charging', () => {
  // Two May weeks in Los Angeles, the area's default mix, no PV; the same seed with no EVs, EVs in every home and in
  // about half of them. A home's EV is its only difference between the runs.
  const base = { area: 'CALIFORNIA_COASTAL', start: '2025-05-05', days: 14, meters: 200, pvShare: 0, seed: 42 };
  let none: Run;
  let all: Run;
  let half: Run;

  beforeAll(() => {
    none = run({ ...base, evShare: 0 });
    all = run({ ...base, evShare: 1 });
    half = run({ ...base, evShare: 0.5 });
  });

  const residential = (r: Run): number[] => Array.from(r.fleet.segment.keys()).filter((m) => r.fleet.segment[m] === 0);

  it('evening and overnight (18:00-02:00) use of the homes is clearly higher with EVs', () => {
    const homes = residential(none);
    expect(homes.length).toBeGreaterThan(100);
    expect(homes.every((m) => all.fleet.traits.evKw[m]! > 0)).toBe(true);
    const evening = (r: Run): number => {
      const mean = new Mean();
      for (const batch of r.batches) {
        for (let row = 0; row < batch.length; row++) {
          const h = hourOf(batch.tsLocalMs[row]!);
          if (r.fleet.segment[batch.meterIndex[row]!] === 0 && (h >= 18 || h < 2)) mean.add(batch.usageKwh[row]!);
        }
      }
      return mean.value;
    };
    expect(evening(all)).toBeGreaterThan(1.25 * evening(none));
  });

  it('adds a plausible 3-15 kWh per home per day, in the evening and night, and never lowers a reading', () => {
    let added = 0;
    let addedEveningNight = 0;
    let lowered = 0;
    let otherSegmentsChanged = 0;
    all.batches.forEach((batch, b) => {
      const before = none.batches[b]!;
      for (let r = 0; r < batch.length; r++) {
        const m = batch.meterIndex[r]!;
        const delta = batch.usageKwh[r]! - before.usageKwh[r]!;
        if (all.fleet.segment[m] !== 0) {
          if (delta !== 0) otherSegmentsChanged++;
          continue;
        }
        if (delta < 0) lowered++;
        added += delta;
        const h = hourOf(batch.tsLocalMs[r]!);
        if (h >= 15 || h < 8) addedEveningNight += delta;
      }
    });
    const homeDays = residential(all).length * all.days.length;
    expect(added / homeDays).toBeGreaterThan(3);
    expect(added / homeDays).toBeLessThan(15);
    expect(addedEveningNight / added).toBeGreaterThan(0.9);
    expect(lowered).toBe(0);
    expect(otherSegmentsChanged).toBe(0);
  });

  it('with evShare 0 nothing changes: homes without an EV read exactly as in a fleet without EVs', () => {
    const homes = residential(half);
    const withEv = homes.filter((m) => half.fleet.traits.evKw[m]! > 0);
    expect(withEv.length).toBeGreaterThan(0.3 * homes.length);
    expect(withEv.length).toBeLessThan(0.7 * homes.length);
    expect(Array.from(none.fleet.traits.evKw).every((kw) => kw === 0)).toBe(true);
    let compared = 0;
    let differing = 0;
    let evDiffering = 0;
    half.batches.forEach((batch, b) => {
      const before = none.batches[b]!;
      for (let r = 0; r < batch.length; r++) {
        const same =
          batch.usageKwh[r] === before.usageKwh[r] && batch.voltage[r] === before.voltage[r] &&
          batch.dataQuality[r] === before.dataQuality[r] && batch.eventType[r] === before.eventType[r];
        if (half.fleet.traits.evKw[batch.meterIndex[r]!]! > 0) {
          if (!same) evDiffering++;
          continue;
        }
        compared++;
        if (!same) differing++;
      }
    });
    expect(compared).toBeGreaterThan(100_000);
    expect(differing).toBe(0);
    expect(evDiffering).toBeGreaterThan(1_000);
  });
});
