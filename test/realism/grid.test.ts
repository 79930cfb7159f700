import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { E, Mean, Q } from '../support/realism.js';

/**
 * Follows each meter's readings in time order (batches of whole local days, fed in day order) and checks the outage
 * contract as it goes: an outage reading has no usage, voltage or power factor, is_outage and quality OUTAGE; a run of
 * outage readings starts with LAST_GASP (unless already under way at the first reading), continues with OUTAGE and is
 * followed by POWER_RESTORE; neither LAST_GASP nor POWER_RESTORE appears anywhere else.
 */
class OutageTracker {
  readonly interruptions: Float64Array;
  readonly outageReadings: Float64Array;
  /** Per meter: its outage instants, joined, to compare meters. */
  readonly outageInstants: string[][];
  readonly problems: string[] = [];
  private readonly previousOut: Int8Array;

  constructor(meters: number) {
    this.interruptions = new Float64Array(meters);
    this.outageReadings = new Float64Array(meters);
    this.outageInstants = Array.from({ length: meters }, () => []);
    this.previousOut = new Int8Array(meters).fill(-1);
  }

  add(batch: ReadingBatch): void {
    for (let r = 0; r < batch.length; r++) {
      const m = batch.meterIndex[r]!;
      const out = batch.isOutage[r] === 1;
      const event = batch.eventType[r]!;
      const before = this.previousOut[m]!;
      const problem = (what: string): void => {
        if (this.problems.length < 10) this.problems.push(`meter ${m} at ${new Date(batch.tsUtcMs[r]!).toISOString()}: ${what}`);
      };
      if ((batch.dataQuality[r] === Q.OUTAGE) !== out) problem(`quality ${batch.dataQuality[r]} with is_outage ${batch.isOutage[r]}`);
      if (out) {
        this.outageReadings[m]!++;
        this.outageInstants[m]!.push(String(batch.tsUtcMs[r]));
        if (batch.usageKwh[r] !== 0 || batch.voltage[r] !== 0 || batch.powerFactor[r] !== 0) problem('outage reading with usage, voltage or power factor');
        if (before !== 1) {
          this.interruptions[m]!++;
          if (before === 0 && event !== E.LAST_GASP) problem(`outage starts with event ${event}`);
        } else if (event !== E.OUTAGE) {
          problem(`outage continues with event ${event}`);
        }
      } else {
        if (before === 1 && event !== E.POWER_RESTORE) problem(`supply returns with event ${event}`);
        if (before !== 1 && event === E.POWER_RESTORE) problem('POWER_RESTORE without an outage');
        if (event === E.LAST_GASP || event === E.OUTAGE) problem(`event ${event} on a supplied reading`);
      }
      this.previousOut[m] = out ? 1 : 0;
    }
  }
}

describe('service voltage', () => {
  it('stays within ANSI Range A for at least 95% of supplied readings, averages 118-122 V, and labelled sags and swells leave it', () => {
    // Six June weeks in Los Angeles, hourly, half the homes with PV (export raises the voltage) and a fifth with an EV.
    const scenario = resolveScenario({ area: 'CALIFORNIA_COASTAL', start: '2025-06-01', days: 45, meters: 1_000, pvShare: 0.5, evShare: 0.2, seed: 42, interval: 60 });
    const generator = new ReadingGenerator(scenario);
    let supplied = 0;
    let inRangeA = 0;
    const mean = new Mean();
    let sags = 0;
    let swells = 0;
    const mislabelled: string[] = [];
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      for (let r = 0; r < batch.length; r++) {
        if (batch.isOutage[r]) continue;
        const v = batch.voltage[r]!;
        supplied++;
        mean.add(v);
        if (v >= 114 && v <= 126) inRangeA++;
        if (batch.eventType[r] === E.VOLTAGE_SAG) {
          sags++;
          if (!(v < 114)) mislabelled.push(`VOLTAGE_SAG at ${v} V (usage ${batch.usageKwh[r]} kWh)`);
        }
        if (batch.eventType[r] === E.VOLTAGE_SWELL) {
          swells++;
          if (!(v > 126)) mislabelled.push(`VOLTAGE_SWELL at ${v} V (usage ${batch.usageKwh[r]} kWh)`);
        }
      }
    }
    expect(inRangeA / supplied).toBeGreaterThanOrEqual(0.95);
    expect(mean.value).toBeGreaterThan(118);
    expect(mean.value).toBeLessThan(122);
    expect(sags).toBeGreaterThan(100);
    expect(swells).toBeGreaterThan(30);
    expect(mislabelled).toEqual([]);
  });

  it('a labelled sag stays below 114 V at a home exporting PV (export raises the voltage, but not out of a sag)', () => {
    // Every home with PV, June in Los Angeles, hourly: about half the readings export.
    const scenario = resolveScenario({ area: 'CALIFORNIA_COASTAL', start: '2025-06-01', days: 30, meters: 1_000, mix: '100/0/0', pvShare: 1, evShare: 0, seed: 7, interval: 60 });
    const generator = new ReadingGenerator(scenario);
    let exportingSags = 0;
    const mislabelled: string[] = [];
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      for (let r = 0; r < batch.length; r++) {
        if (batch.eventType[r] !== E.VOLTAGE_SAG) continue;
        if (batch.usageKwh[r]! < 0) exportingSags++;
        if (!(batch.voltage[r]! < 114)) mislabelled.push(`VOLTAGE_SAG at ${batch.voltage[r]} V (usage ${batch.usageKwh[r]} kWh)`);
      }
    }
    expect(exportingSags).toBeGreaterThan(50);
    expect(mislabelled).toEqual([]);
  });
});

describe('storms', () => {
  /**
   * Houston, 15-16 August 2025, hourly, 30,000 meters (about 30 feeders). Per feeder and hour: the share of its meters
   * out. A feeder is "out" from the first hour all its meters are out.
   */
  function feederOutages(storm: string | undefined) {
    const scenario = resolveScenario({ area: 'TEXAS_GULF_COAST', start: '2025-08-15', days: 2, meters: 30_000, seed: 42, interval: 60, ...(storm ? { storm } : {}) });
    const fleet = buildFleet(scenario);
    const generator = new ReadingGenerator(scenario, fleet);
    const feeders = fleet.feederIds.length;
    const size = new Float64Array(feeders);
    for (let m = 0; m < fleet.size; m++) size[fleet.feeder[m]!]!++;
    const tracker = new OutageTracker(fleet.size);
    // out[feeder][hour of the scenario], and the local wall-clock time of each hour.
    const out = Array.from({ length: feeders }, () => new Float64Array(48));
    const wall = new Float64Array(48);
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      tracker.add(batch);
      for (let r = 0; r < batch.length; r++) {
        const hour = day.firstInterval + (r % day.intervals);
        wall[hour] = batch.tsLocalMs[r]!;
        if (batch.isOutage[r]) out[fleet.feeder[batch.meterIndex[r]!]!]![hour]! += 1 / size[fleet.feeder[batch.meterIndex[r]!]!]!;
      }
    }
    const starts: { feeder: number; hour: number }[] = [];
    out.forEach((shares, feeder) => {
      const hour = shares.findIndex((s) => s > 0.999999);
      if (hour >= 0) starts.push({ feeder, hour });
    });
    return { fleet, feeders, out, wall, starts, tracker };
  }

  it('a forced storm takes out more than 30% of the feeders within a few hours of each other, each feeder all at once', () => {
    const { feeders, out, wall, starts, tracker, fleet } = feederOutages('2025-08-15');
    expect(feeders).toBeGreaterThanOrEqual(20);
    expect(starts.length / feeders).toBeGreaterThan(0.3);
    // All on the storm's day, within four hours of each other.
    for (const { hour } of starts) expect(new Date(wall[hour]!).toISOString().slice(0, 10)).toBe('2025-08-15');
    const hours = starts.map((s) => s.hour);
    expect(Math.max(...hours) - Math.min(...hours)).toBeLessThanOrEqual(4);
    // Together: the hour before a feeder goes out, almost none of its meters is out (a transformer outage at most).
    for (const { feeder, hour } of starts) expect(hour > 0 ? out[feeder]![hour - 1]! : 0, fleet.feederIds[feeder]).toBeLessThan(0.05);
    expect(tracker.problems).toEqual([]);
  });

  it('without the storm the same day has no feeder-wide outage (the storm caused them)', () => {
    const { starts, tracker } = feederOutages(undefined);
    expect(starts.length).toBeLessThanOrEqual(1);
    expect(tracker.problems).toEqual([]);
  });
});

describe('a year of outages', () => {
  it('SAIFI 0.8-2.0 and SAIDI 1.5-8 hours a customer; transformers go out as one; every run is labelled LAST_GASP ... POWER_RESTORE', () => {
    // Houston 2025 at 30 minutes. A small fleet spans two or three feeders, and feeder faults and storms strike whole
    // feeders, so a few thousand neighbouring meters are one draw of a handful of feeders: instead, 6 neighbouring
    // meters at every 1,000th meter of a 60,000-meter utility (about 60 feeders), 360 meters x 17,520 readings.
    const scenario = resolveScenario({ area: 'TEXAS_GULF_COAST', start: '2025-01-01', days: 365, meters: 60_000, seed: 42, interval: 30 });
    const fleet = buildFleet(scenario);
    const generator = new ReadingGenerator(scenario, fleet);
    const BLOCK = 6;
    const blocks: number[] = [];
    for (let m = 0; m < fleet.size; m += 1_000) blocks.push(m);
    const tracker = new OutageTracker(fleet.size);
    for (const day of generationDays(scenario)) {
      for (const first of blocks) tracker.add(generator.generate(day, first, first + BLOCK));
    }
    const sampled = blocks.flatMap((first) => Array.from({ length: BLOCK }, (_, i) => first + i));
    const feeders = new Set(sampled.map((m) => fleet.feeder[m]));
    expect(feeders.size).toBeGreaterThanOrEqual(40);

    const saifi = sampled.reduce((s, m) => s + tracker.interruptions[m]!, 0) / sampled.length;
    const saidiHours = (sampled.reduce((s, m) => s + tracker.outageReadings[m]!, 0) * 0.5) / sampled.length;
    expect(saifi).toBeGreaterThan(0.8);
    expect(saifi).toBeLessThan(2);
    expect(saidiHours).toBeGreaterThan(1.5);
    expect(saidiHours).toBeLessThan(8);
    expect(tracker.problems).toEqual([]);

    // Meters of one transformer (among the sampled) have exactly the same outage intervals.
    const byTransformer = new Map<number, number[]>();
    for (const m of sampled) byTransformer.set(fleet.transformer[m]!, [...(byTransformer.get(fleet.transformer[m]!) ?? []), m]);
    let shared = 0;
    for (const meters of byTransformer.values()) {
      if (meters.length < 2) continue;
      const key = tracker.outageInstants[meters[0]!]!.join(',');
      for (const m of meters.slice(1)) expect(tracker.outageInstants[m]!.join(','), fleet.meterIds[m]).toBe(key);
      if (key !== '') shared++;
    }
    expect(shared).toBeGreaterThan(10);
    // Outages are not all one feeder's: most sampled meters see at least one.
    expect(sampled.filter((m) => tracker.interruptions[m]! > 0).length / sampled.length).toBeGreaterThan(0.4);
  });
});
