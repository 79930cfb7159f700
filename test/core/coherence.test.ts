import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { FEEDER_OUTAGES, outageWindows } from '../../src/generator/outages.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { sunElevationSine } from '../../src/generator/solar.js';
import { DATA_QUALITIES, eventCode, EVENT_TYPES } from '../../src/scenario/enums.js';
import { resolveScenario, serviceAreaOf, type Scenario } from '../../src/scenario/scenario.js';
import { generateAll, rowsByMeter } from '../support/core.js';

const Q = { VALID: 0, ESTIMATED: 1, OUTAGE: 2, ANOMALY: 3 } as const;
const E = {
  NONE: 0,
  OUTAGE: eventCode('OUTAGE'),
  LAST_GASP: eventCode('LAST_GASP'),
  RESTORE: eventCode('POWER_RESTORE'),
  ESTIMATED: eventCode('ESTIMATED_READ'),
  SPIKE: eventCode('USAGE_SPIKE'),
  SAG: eventCode('VOLTAGE_SAG'),
  SWELL: eventCode('VOLTAGE_SWELL'),
  TAMPER: eventCode('TAMPER'),
  FAULT: eventCode('METER_FAULT'),
};

// A Houston summer month, 2,000 meters: 5.76 million readings, about a hundred transformer outages.
let scenario: Scenario;
let fleet: Fleet;
let batches: ReadingBatch[];
let byMeter: [number, number][][];

beforeAll(() => {
  scenario = resolveScenario({ area: 'ERCOT', start: '2026-07-01', days: 30, meters: 2_000, seed: 42 });
  fleet = buildFleet(scenario);
  batches = generateAll(scenario, new ReadingGenerator(scenario, fleet));
  byMeter = rowsByMeter(batches, scenario.meters);
});

class Mean {
  private sum = 0;
  private n = 0;
  add(v: number): void {
    this.sum += v;
    this.n++;
  }
  get value(): number {
    return this.sum / this.n;
  }
}

/** Maximal runs of outage readings of one meter, as [first, last] positions in its time-ordered rows. */
function outageRuns(rows: [number, number][]): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  rows.forEach(([b, r], i) => {
    const out = batches[b]!.isOutage[r] === 1;
    if (out && start < 0) start = i;
    if (!out && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, rows.length - 1]);
  return runs;
}

describe('outages', () => {
  it('outage readings have no usage, no voltage, is_outage 1 and quality OUTAGE; nothing else has', () => {
    let outages = 0;
    const bad: string[] = [];
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        const out = batch.isOutage[r] === 1;
        if ((batch.dataQuality[r] === Q.OUTAGE) !== out) bad.push(`quality ${batch.dataQuality[r]} with is_outage ${batch.isOutage[r]}`);
        if (!out) continue;
        outages++;
        if (batch.usageKwh[r] !== 0 || batch.voltage[r] !== 0 || batch.powerFactor[r] !== 0) bad.push(`outage with usage ${batch.usageKwh[r]} voltage ${batch.voltage[r]}`);
        if (batch.eventType[r] !== E.LAST_GASP && batch.eventType[r] !== E.OUTAGE) bad.push(`outage with event ${batch.eventType[r]}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(outages).toBeGreaterThan(100);
  });

  it('a run starts with LAST_GASP, continues with OUTAGE, and the next reading is POWER_RESTORE', () => {
    let runs = 0;
    const bad: string[] = [];
    for (const rows of byMeter) {
      const event = (i: number): number => batches[rows[i]![0]]!.eventType[rows[i]![1]]!;
      const outAt = (i: number): boolean => batches[rows[i]![0]]!.isOutage[rows[i]![1]] === 1;
      for (const [first, last] of outageRuns(rows)) {
        runs++;
        // A run already under way when the scenario starts has no last gasp in range.
        if (first > 0 && event(first) !== E.LAST_GASP) bad.push(`run starts with event ${event(first)}`);
        for (let i = first + 1; i <= last; i++) if (event(i) !== E.OUTAGE) bad.push(`run continues with event ${event(i)}`);
        if (last + 1 < rows.length && event(last + 1) !== E.RESTORE) bad.push(`run followed by event ${event(last + 1)}`);
      }
      // POWER_RESTORE and LAST_GASP appear nowhere else.
      for (let i = 1; i < rows.length; i++) {
        if (event(i) === E.RESTORE && !outAt(i - 1)) bad.push('restore without an outage');
        if (event(i) === E.LAST_GASP && outAt(i - 1)) bad.push('last gasp inside an outage');
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(runs).toBeGreaterThan(20);
  });

  it('meters sharing a transformer have identical outage intervals', () => {
    const outageKey = (m: number): string =>
      byMeter[m]!.filter(([b, r]) => batches[b]!.isOutage[r] === 1).map(([b, r]) => batches[b]!.tsUtcMs[r]).join(',');
    const byTransformer = new Map<number, number[]>();
    for (let m = 0; m < fleet.size; m++) {
      const list = byTransformer.get(fleet.transformer[m]!) ?? [];
      list.push(m);
      byTransformer.set(fleet.transformer[m]!, list);
    }
    let sharedWithOutage = 0;
    for (const meters of byTransformer.values()) {
      if (meters.length < 2) continue;
      const key = outageKey(meters[0]!);
      for (const m of meters.slice(1)) expect(outageKey(m), fleet.meterIds[m]).toBe(key);
      if (key !== '') sharedWithOutage++;
    }
    expect(sharedWithOutage).toBeGreaterThan(3);
  });

  it('a feeder fault takes out every meter of the feeder at the same intervals', () => {
    const s = resolveScenario({ area: 'ERCOT', start: '2026-01-01', days: 1, meters: 1_500, seed: 42 });
    const f = buildFleet(s);
    // Find the first feeder fault of feeder 0 from 2026 on; its window is a pure function of (seed, feeder, day).
    const windows: number[] = [];
    let day = Math.floor(Date.UTC(2026, 0, 2) / 86_400_000);
    while (windows.length === 0) outageWindows(s.seed, FEEDER_OUTAGES, 0, day * 86_400_000, ++day * 86_400_000, windows);
    const [from, to] = windows as [number, number];
    const localDate = new Date(from - 6 * 3_600_000).toISOString().slice(0, 10);
    const covering = resolveScenario({ area: 'ERCOT', start: localDate, days: 2, meters: 1_500, seed: 42 });
    const out = generateAll(covering, new ReadingGenerator(covering, f));
    const feederMeters = new Set<number>();
    for (let m = 0; m < f.size; m++) if (f.feeder[m] === 0) feederMeters.add(m);
    expect(feederMeters.size).toBeGreaterThan(500);
    expect(feederMeters.size).toBeLessThan(f.size);
    const step = covering.intervalMinutes * 60_000;
    let checked = 0;
    let supplied = 0;
    for (const batch of out) {
      for (let r = 0; r < batch.length; r++) {
        const t = batch.tsUtcMs[r]!;
        const inWindow = t < to && t + step > from;
        if (inWindow && feederMeters.has(batch.meterIndex[r]!)) {
          if (batch.isOutage[r] !== 1) supplied++;
          checked++;
        }
      }
    }
    expect(supplied).toBe(0);
    expect(checked).toBeGreaterThanOrEqual(feederMeters.size);
  });
});

describe('voltage, usage and events', () => {
  it('voltage is within ANSI Range A (114-126 V) for at least 95% of supplied readings, and never absurd', () => {
    let inRange = 0;
    let supplied = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        if (batch.isOutage[r]) continue;
        supplied++;
        const v = batch.voltage[r]!;
        if (v >= 114 && v <= 126) inRange++;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    expect(inRange / supplied).toBeGreaterThanOrEqual(0.95);
    expect(min).toBeGreaterThan(95);
    expect(max).toBeLessThan(140);
  });

  it('residential mean usage per 15 minutes is near the EIA Texas level (0.39 kWh) and commercial far above', () => {
    // A year, every fourth day (weekdays and seasons both covered), 400 meters.
    const s = resolveScenario({ area: 'ERCOT', start: '2025-01-01', days: 365, meters: 400, seed: 42 });
    const f = buildFleet(s);
    const g = new ReadingGenerator(s, f);
    const sum = [0, 0, 0];
    const n = [0, 0, 0];
    for (const day of generationDays(s).filter((d) => d.index % 4 === 0)) {
      const batch = g.generate(day, 0, s.meters);
      for (let r = 0; r < batch.length; r++) {
        const seg = f.segment[batch.meterIndex[r]!]!;
        sum[seg]! += batch.usageKwh[r]!;
        n[seg]!++;
      }
    }
    const residential = sum[0]! / n[0]!;
    const commercial = sum[1]! / n[1]!;
    expect(residential).toBeGreaterThan(0.2);
    expect(residential).toBeLessThan(0.8);
    // CBECS: about 6.8 kWh per 15 minutes a building.
    expect(commercial).toBeGreaterThan(3);
    expect(commercial).toBeLessThan(15);
    expect(commercial).toBeGreaterThan(8 * residential);
  });

  it('residential usage is positive except rooftop PV export while the sun is up; evening peak above night trough', () => {
    // Net metering: only a home with PV can read negative, and only when its panels can produce. The sun is taken at
    // the area's centre and counted up if it is above the horizon at either end of the interval.
    const area = serviceAreaOf(scenario);
    const step = scenario.intervalMinutes * 60_000;
    const sunUp = (utcMs: number): boolean =>
      sunElevationSine(area.latitude, area.longitude, utcMs) > 0 || sunElevationSine(area.latitude, area.longitude, utcMs + step) > 0;
    const evening = new Mean();
    const night = new Mean();
    let negativeWithoutPv = 0;
    let negativeInTheDark = 0;
    let pvExports = 0;
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        const m = batch.meterIndex[r]!;
        if (fleet.segment[m] !== 0 || batch.isOutage[r]) continue;
        const kwh = batch.usageKwh[r]!;
        if (kwh < 0) {
          if (fleet.traits.pvKw[m] === 0) negativeWithoutPv++;
          else if (!sunUp(batch.tsUtcMs[r]!)) negativeInTheDark++;
          else pvExports++;
        }
        const hour = new Date(batch.tsLocalMs[r]!).getUTCHours();
        if (hour >= 18 && hour < 21) evening.add(kwh);
        if (hour >= 2 && hour < 5) night.add(kwh);
      }
    }
    let pvHomes = 0;
    for (let m = 0; m < fleet.size; m++) if (fleet.segment[m] === 0 && fleet.traits.pvKw[m]! > 0) pvHomes++;
    expect(pvHomes).toBeGreaterThan(20);
    expect(negativeWithoutPv).toBe(0);
    expect(negativeInTheDark).toBe(0);
    expect(pvExports).toBeGreaterThan(1_000);
    expect(evening.value).toBeGreaterThan(2 * night.value);
  });

  it('commercial usage is higher in weekday business hours than at night and at weekends', () => {
    const business = new Mean();
    const night = new Mean();
    const weekend = new Mean();
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        if (fleet.segment[batch.meterIndex[r]!] !== 1 || batch.isOutage[r]) continue;
        const local = new Date(batch.tsLocalMs[r]!);
        const hour = local.getUTCHours();
        const dow = local.getUTCDay();
        const kwh = batch.usageKwh[r]!;
        if (dow === 0 || dow === 6) {
          if (hour >= 9 && hour < 17) weekend.add(kwh);
          continue;
        }
        if (hour >= 9 && hour < 17) business.add(kwh);
        if (hour >= 0 && hour < 5) night.add(kwh);
      }
    }
    expect(business.value).toBeGreaterThan(2 * night.value);
    expect(business.value).toBeGreaterThan(1.5 * weekend.value);
  });

  it('quality and event agree (estimated reads ESTIMATED, spikes/sags/swells/tamper/faults ANOMALY, restores VALID); sags below 114 V, swells above 126 V', () => {
    const counts = new Map<number, number>();
    const bad: string[] = [];
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        const e = batch.eventType[r]!;
        const q = batch.dataQuality[r]!;
        counts.set(e, (counts.get(e) ?? 0) + 1);
        const expected =
          e === E.NONE || e === E.RESTORE ? Q.VALID
            : e === E.ESTIMATED ? Q.ESTIMATED
              : e === E.SPIKE || e === E.SAG || e === E.SWELL || e === E.TAMPER || e === E.FAULT ? Q.ANOMALY
                : e === E.OUTAGE || e === E.LAST_GASP ? Q.OUTAGE
                  : -1;
        if (q !== expected || q >= DATA_QUALITIES.length || e > EVENT_TYPES.length) bad.push(`event ${e} with quality ${q}`);
        // A labelled sag or swell is a reading outside ANSI Range A, on the side the label says.
        if (e === E.SAG && batch.voltage[r]! >= 114) bad.push(`sag at ${batch.voltage[r]} V`);
        if (e === E.SWELL && batch.voltage[r]! <= 126) bad.push(`swell at ${batch.voltage[r]} V`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // Labelled anomalies are rare but present.
    const rows = batches.reduce((s, b) => s + b.length, 0);
    for (const e of [E.ESTIMATED, E.SPIKE, E.SAG, E.SWELL, E.TAMPER, E.FAULT]) {
      expect(counts.get(e) ?? 0).toBeGreaterThan(0);
      expect((counts.get(e) ?? 0) / rows).toBeLessThan(0.01);
    }
  });

  it('power factor is in (0, 1] and temperature plausible for a Houston July', () => {
    let pfMin = Infinity;
    let pfMax = -Infinity;
    let tMin = Infinity;
    let tMax = -Infinity;
    for (const batch of batches) {
      for (let r = 0; r < batch.length; r++) {
        if (!batch.isOutage[r]) {
          pfMin = Math.min(pfMin, batch.powerFactor[r]!);
          pfMax = Math.max(pfMax, batch.powerFactor[r]!);
        }
        tMin = Math.min(tMin, batch.temperatureC[r]!);
        tMax = Math.max(tMax, batch.temperatureC[r]!);
      }
    }
    expect(pfMin).toBeGreaterThan(0.7);
    expect(pfMax).toBeLessThanOrEqual(1);
    expect(tMin).toBeGreaterThan(15);
    expect(tMax).toBeLessThan(45);
  });

  it('the emission pattern column carries the scenario pattern', () => {
    const s = resolveScenario({ start: '2026-01-01', days: 1, meters: 3, emissionPattern: 'degraded_network' });
    const [batch] = generateAll(s);
    expect(new Set(batch!.emissionPattern)).toEqual(new Set([3]));
  });
});

describe('timestamps', () => {
  it('only aligned minutes: every interval start is a multiple of the interval, in UTC and in local time', () => {
    for (const interval of [5, 15, 30, 60] as const) {
      const s = resolveScenario({ area: 'CAISO', start: '2026-03-07', days: 3, meters: 3, interval });
      const step = interval * 60_000;
      let misaligned = 0;
      let rows = 0;
      for (const batch of generateAll(s)) {
        expect(batch.intervalMinutes).toBe(interval);
        for (let r = 0; r < batch.length; r++, rows++) {
          if (batch.tsUtcMs[r]! % step !== 0 || batch.tsLocalMs[r]! % step !== 0) misaligned++;
        }
      }
      expect(misaligned).toBe(0);
      expect(rows).toBe(3 * 3 * 24 * (60 / interval));
    }
  });
});
