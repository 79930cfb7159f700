import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { DATA_QUALITIES, EVENT_TYPES, type DataQuality, type EventType } from '../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';
import { E, hourOf, Q } from '../support/realism.js';

/** The quality the model gives each event: the labels' contract with ML users. */
const QUALITY_OF_EVENT: Readonly<Record<EventType | 'NONE', DataQuality>> = {
  NONE: 'VALID',
  OUTAGE: 'OUTAGE',
  LAST_GASP: 'OUTAGE',
  POWER_RESTORE: 'VALID',
  ESTIMATED_READ: 'ESTIMATED',
  USAGE_SPIKE: 'ANOMALY',
  VOLTAGE_SAG: 'ANOMALY',
  VOLTAGE_SWELL: 'ANOMALY',
  TAMPER: 'ANOMALY',
  METER_FAULT: 'ANOMALY',
};

// Los Angeles, March and April 2025, hourly, 3,000 meters of the default mix, half the homes with PV and some EVs:
// enough meter-days for the rare labels (theft about 1% of meters a year, faults 0.04% of meter-days).
let scenario: Scenario;
let fleet: Fleet;
const eventCounts = new Map<number, number>();
const qualityMismatches: string[] = [];
/** Fault runs: consecutive METER_FAULT readings of one meter, with whether the meter has PV and the values read. */
const faultRuns: { meter: number; values: number[] }[] = [];
/** Per meter and hour of day: sums and counts of night readings (19:00-05:00) tampered and not. */
let tampered: Float64Array;
let tamperedN: Float64Array;
let untampered: Float64Array;
let untamperedN: Float64Array;
/** Per meter and local day: the no-event, supplied readings all exactly zero and VALID (a vacant day), as day indexes. */
const vacantDays = new Map<number, number[]>();
/** Exact zeros on supplied, unlabelled readings of meters without PV that are not part of a vacant day. */
const strayZeros: string[] = [];
let estimatedReads = 0;
let lastDayIndex = 0;
let zerosNotValid = 0;

beforeAll(() => {
  scenario = resolveScenario({ area: 'CALIFORNIA_COASTAL', start: '2025-03-01', days: 61, meters: 3_000, pvShare: 0.5, evShare: 0.1, seed: 42, interval: 60 });
  fleet = buildFleet(scenario);
  const generator = new ReadingGenerator(scenario, fleet);
  const n = fleet.size * 24;
  tampered = new Float64Array(n);
  tamperedN = new Float64Array(n);
  untampered = new Float64Array(n);
  untamperedN = new Float64Array(n);
  const openRun = new Map<number, { meter: number; values: number[] }>();
  for (const day of generationDays(scenario)) {
    lastDayIndex = day.index;
    const batch = generator.generate(day, 0, scenario.meters);
    for (let start = 0; start < batch.length; start += day.intervals) {
      const m = batch.meterIndex[start]!;
      let unlabelled = 0;
      let zeros = 0;
      for (let r = start; r < start + day.intervals; r++) {
        const e = batch.eventType[r]!;
        const q = batch.dataQuality[r]!;
        eventCounts.set(e, (eventCounts.get(e) ?? 0) + 1);
        const name = e === 0 ? 'NONE' : EVENT_TYPES[e - 1]!;
        if (DATA_QUALITIES[q] !== QUALITY_OF_EVENT[name] || (q === Q.OUTAGE) !== (batch.isOutage[r] === 1)) {
          if (qualityMismatches.length < 10) qualityMismatches.push(`${name} with ${DATA_QUALITIES[q]}, is_outage ${batch.isOutage[r]}`);
        }
        if (e === E.ESTIMATED_READ) estimatedReads++;

        // Fault runs, across day boundaries.
        if (e === E.METER_FAULT) {
          let run = openRun.get(m);
          if (!run) openRun.set(m, (run = { meter: m, values: [] }));
          run.values.push(batch.usageKwh[r]!);
        } else if (openRun.has(m)) {
          faultRuns.push(openRun.get(m)!);
          openRun.delete(m);
        }

        // Theft, at night only: PV export (which theft does not hide) cannot blur the comparison.
        const hour = hourOf(batch.tsLocalMs[r]!);
        if (hour >= 19 || hour < 5) {
          if (e === E.TAMPER) {
            tampered[m * 24 + hour]! += batch.usageKwh[r]!;
            tamperedN[m * 24 + hour]!++;
          } else if (e === 0) {
            untampered[m * 24 + hour]! += batch.usageKwh[r]!;
            untamperedN[m * 24 + hour]!++;
          }
        }

        if (e === 0 && !batch.isOutage[r]) {
          unlabelled++;
          if (batch.usageKwh[r] === 0) {
            zeros++;
            if (q !== Q.VALID) zerosNotValid++;
          }
        }
      }
      if (unlabelled > 0 && zeros === unlabelled) {
        vacantDays.set(m, [...(vacantDays.get(m) ?? []), day.index]);
      } else if (fleet.traits.pvKw[m] === 0 && zeros > 0 && strayZeros.length < 10) {
        // A home without PV always draws something (always-on load), unless the premise is switched off.
        strayZeros.push(`${fleet.meterIds[m]} on ${day.localDate}: ${zeros} zero readings of ${unlabelled}`);
      }
    }
  }
  faultRuns.push(...openRun.values());
});

describe('labels agree with values', () => {
  it('every event has the quality the model assigns it (table), and is_outage goes with OUTAGE', () => {
    expect(Object.keys(QUALITY_OF_EVENT).sort()).toEqual(['NONE', ...EVENT_TYPES].sort());
    expect(qualityMismatches).toEqual([]);
    // Every label occurs in this scenario, so every row of the table was checked at least once.
    for (const event of EVENT_TYPES) expect(eventCounts.get(E[event]) ?? 0, event).toBeGreaterThan(0);
  });

  it('TAMPER readings are lower than the same meter reads at the same hours untampered', () => {
    const meters = new Set<number>();
    for (let i = 0; i < tamperedN.length; i++) if (tamperedN[i]! > 0) meters.add(Math.floor(i / 24));
    let compared = 0;
    const notLower: string[] = [];
    for (const m of meters) {
      let ratioSum = 0;
      let hours = 0;
      for (let h = 0; h < 24; h++) {
        const i = m * 24 + h;
        if (tamperedN[i]! < 3 || untamperedN[i]! < 3) continue;
        ratioSum += tampered[i]! / tamperedN[i]! / (untampered[i]! / untamperedN[i]!);
        hours++;
      }
      if (hours < 6) continue;
      compared++;
      // Theft hides 40-80% of the consumption: a tampered night is well below the meter's own untampered nights.
      if (!(ratioSum / hours < 0.85)) notLower.push(`${fleet.meterIds[m]}: tampered/untampered ${(ratioSum / hours).toFixed(2)}`);
    }
    expect(compared).toBeGreaterThanOrEqual(3);
    expect(notLower).toEqual([]);
  });

  it('METER_FAULT runs read zero throughout or repeat one value', () => {
    expect(faultRuns.length).toBeGreaterThan(20);
    const bad = faultRuns
      .filter((run) => run.values.some((v) => v !== run.values[0]))
      .map((run) => `${fleet.meterIds[run.meter]} (PV ${fleet.traits.pvKw[run.meter]!.toFixed(1)} kW): ${run.values.join(' ')}`);
    expect(bad).toEqual([]);
    // Both kinds occur: dead registers and stuck ones.
    expect(faultRuns.some((run) => run.values[0] === 0)).toBe(true);
    expect(faultRuns.some((run) => run.values[0] !== 0)).toBe(true);
  });

  it('ESTIMATED_READ readings are ESTIMATED, and communication gaps occur at a plausible rate', () => {
    expect(estimatedReads).toBeGreaterThan(0);
    // Checked row by row in the table test; here the rate: gaps on about 3% of meter-days, a few hours each.
    const rows = [...eventCounts.values()].reduce((s, c) => s + c, 0);
    expect(estimatedReads / rows).toBeLessThan(0.01);
  });

  it('vacancy zeros are VALID with no event, in runs of whole days; homes without PV read zero only when vacant', () => {
    expect(vacantDays.size).toBeGreaterThan(10);
    expect(zerosNotValid).toBe(0);
    for (const [m, days] of vacantDays) {
      // A vacancy lasts 3 to 20 days; runs cut by the scenario's ends may be shorter (the last generation day is a
      // single hour here: 61 x 24 hours from local midnight cross the spring-forward change).
      const runs: number[][] = [];
      for (const d of days) {
        const last = runs[runs.length - 1];
        if (last && d === last[last.length - 1]! + 1) last.push(d);
        else runs.push([d]);
      }
      for (const run of runs) {
        const clipped = run[0] === 0 || run[run.length - 1] === lastDayIndex;
        if (!clipped) expect(run.length, `${fleet.meterIds[m]} vacant days ${run.join(',')}`).toBeGreaterThanOrEqual(3);
        expect(run.length, fleet.meterIds[m]).toBeLessThanOrEqual(20);
      }
    }
    expect(strayZeros).toEqual([]);
  });
});
