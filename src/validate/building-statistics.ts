import { emitBatches } from '../emit/batch-emitter.js';
import { buildFleet } from '../fleet/fleet.js';
import { PROFILES } from '../fleet/load-profiles.js';
import { DATA_QUALITIES, SEGMENTS } from '../scenario/enums.js';
import { scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';
import { geometricMean, sizeClassShares, type SizeClassShare } from './size-class-shares.js';

const HOUR_MS = 3_600_000;
const ANOMALY = DATA_QUALITIES.indexOf('ANOMALY');

/** Largest panel collected (commercial and industrial meters x hours): 20M values, 80 MB as 32-bit floats. */
export const MAX_BUILDING_VALUES = 20_000_000;

/**
 * Hourly usage of a scenario's commercial and industrial meters: one series per meter (kWh per hour from the
 * scenario's first hour), the hours with a labelled anomaly (an injected spike is not the building's peak), the
 * local wall clock and the outdoor temperature of each hour.
 */
export interface BuildingPanel {
  readonly profile: Uint8Array;
  readonly series: readonly Float32Array[];
  /** Per series and hour, 1 where a reading of the hour carries a labelled anomaly: left out of peaks. */
  readonly anomalous: readonly Uint8Array[];
  readonly wallClockMs: Float64Array;
  readonly temperatureC: Float64Array;
}

/**
 * Generates a scenario and sums each commercial and industrial meter's readings to hours (readings are placed by
 * their UTC instant). Throws a RangeError if the interval does not divide an hour, no meter is commercial or
 * industrial, or the panel would exceed MAX_BUILDING_VALUES.
 */
export async function collectBuildings(scenario: Scenario, options: { workers?: number } = {}): Promise<BuildingPanel> {
  if (60 % scenario.intervalMinutes !== 0) throw new RangeError(`${scenario.intervalMinutes}-minute readings cannot be summed to hours`);
  const startUtc = scenarioStartUtcMs(scenario);
  const hours = Math.round((scenarioEndUtcMs(scenario) - startUtc) / HOUR_MS);
  const fleet = buildFleet(scenario);
  const seriesOf = new Int32Array(fleet.size).fill(-1);
  const kept: number[] = [];
  for (let m = 0; m < fleet.size; m++) if (SEGMENTS[fleet.segment[m]!] !== 'RESIDENTIAL') seriesOf[m] = kept.push(m) - 1;
  if (kept.length === 0) throw new RangeError(`none of the scenario's ${fleet.size} meters is commercial or industrial`);
  if (kept.length * hours > MAX_BUILDING_VALUES) {
    throw new RangeError(`${kept.length} meters x ${hours} hours = ${kept.length * hours} values is more than ${MAX_BUILDING_VALUES} (ask for fewer meters or days)`);
  }
  const series = kept.map(() => new Float32Array(hours));
  const anomalous = kept.map(() => new Uint8Array(hours));
  const wallClockMs = new Float64Array(hours).fill(Number.NaN);
  const temperatureC = new Float64Array(hours);
  for await (const { batch } of emitBatches(scenario, { workers: options.workers ?? 0 })) {
    for (let r = 0; r < batch.length; r++) {
      const s = seriesOf[batch.meterIndex[r]!]!;
      if (s < 0) continue;
      const offset = batch.tsUtcMs[r]! - startUtc;
      const hour = Math.floor(offset / HOUR_MS);
      if (hour < 0 || hour >= hours) continue;
      series[s]![hour]! += batch.usageKwh[r]!;
      if (batch.dataQuality[r] === ANOMALY) anomalous[s]![hour] = 1;
      if (offset === hour * HOUR_MS) {
        wallClockMs[hour] = batch.tsLocalMs[r]!;
        temperatureC[hour] = batch.temperatureC[r]!;
      }
    }
  }
  return { profile: Uint8Array.from(kept, (m) => fleet.traits.profile[m]!), series, anomalous, wallClockMs, temperatureC };
}

/** Statistics of one building type (load profile) over its meters. */
export interface BuildingTypeStatistics {
  readonly profile: string;
  readonly meters: number;
  /** Mean annual consumption per building, MWh (the period's mean demand x 8,760 h). */
  readonly annualMwh: number;
  /**
   * Geometric mean of the buildings' annual MWh (buildings with none left out): the type's level without the
   * very large buildings' weight (CBECS sizes spread levels with a coefficient of variation of about 3.4).
   */
  readonly geometricMeanMwh: number;
  /** Mean daily kWh on weekdays over that on Saturdays and Sundays. */
  readonly weekdayWeekendRatio: number;
  /** Weekdays: mean demand 10:00-16:00 over mean demand 01:00-05:00 (the opening-hours plateau over the night base). */
  readonly dayNightRatio: number;
  /** Weekdays: the lowest over the highest hour of the mean profile in 10:00-16:00 (1 = a flat plateau). */
  readonly plateauFlatness: number;
  /** Median over meters of mean demand / highest hourly demand (hours with a labelled anomaly left out). */
  readonly loadFactor: number;
  /**
   * Weekdays above 20 C: rise of daily demand per degree of daily mean temperature, as a share of the mean demand
   * (each building's demand over its own mean, averaged over the type's buildings, as for the other shapes).
   */
  readonly coolingPerDegree: number;
}

export interface BuildingStatistics {
  readonly types: readonly BuildingTypeStatistics[];
  /**
   * Commercial buildings together: mean, median and 5th percentile of annual MWh, the largest, and the shares of
   * buildings in each CBECS size class or larger judged by their level (sizeClassShares).
   */
  readonly commercial: {
    readonly meters: number;
    readonly meanMwh: number;
    readonly medianMwh: number;
    readonly p5Mwh: number;
    readonly maxMwh: number;
    readonly sizeShares: readonly SizeClassShare[];
  };
}

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of y on x; NaN with fewer than two distinct x. */
function slope(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/**
 * The statistics of every building type present in a panel. Days are local calendar days (wall clock); only whole
 * days (24 hours) count toward daily figures. Throws a RangeError for a panel without a whole day.
 */
export function buildingStatistics(panel: BuildingPanel): BuildingStatistics {
  const hours = panel.wallClockMs.length;
  const hourOf = (h: number): number => new Date(panel.wallClockMs[h]!).getUTCHours();
  const dowOf = (h: number): number => new Date(panel.wallClockMs[h]!).getUTCDay();
  // Local days: index of the first hour and how many hours it has.
  const days: { first: number; count: number; weekday: boolean; temperature: number }[] = [];
  for (let h = 0; h < hours; h++) {
    if (Number.isNaN(panel.wallClockMs[h]!)) continue;
    const date = Math.floor(panel.wallClockMs[h]! / 86_400_000);
    const last = days[days.length - 1];
    if (last && Math.floor(panel.wallClockMs[last.first]! / 86_400_000) === date) last.count++;
    else days.push({ first: h, count: 1, weekday: dowOf(h) !== 0 && dowOf(h) !== 6, temperature: 0 });
  }
  const whole = days.filter((d) => d.count === 24);
  if (whole.length === 0) throw new RangeError('no whole local day in the panel');
  for (const d of whole) {
    let t = 0;
    for (let h = d.first; h < d.first + 24; h++) t += panel.temperatureC[h]!;
    d.temperature = t / 24;
  }
  const weekdays = whole.filter((d) => d.weekday);
  const weekends = whole.filter((d) => !d.weekday);
  const hot = weekdays.filter((d) => d.temperature > 20);

  const types: BuildingTypeStatistics[] = [];
  for (let code = 0; code < PROFILES.length; code++) {
    const indices = panel.series.flatMap((_, i) => (panel.profile[i] === code ? [i] : []));
    if (indices.length === 0) continue;
    const members = indices.map((i) => panel.series[i]!);
    const annual: number[] = [];
    const loadFactors: number[] = [];
    const profile = new Float64Array(24);
    let weekdayKwh = 0;
    let weekendKwh = 0;
    let day = 0;
    let night = 0;
    const hotX: number[] = [];
    const hotY: number[] = [];
    const dailyOf = (s: Float32Array, d: { first: number }): number => {
      let kwh = 0;
      for (let h = d.first; h < d.first + 24; h++) kwh += s[h]!;
      return kwh;
    };
    // Shapes are means over the type's buildings of each building's usage over its own mean (every building
    // weighs the same): summed in kWh, the one or two buildings of 10 GWh or more among a few hundred of 50 MWh
    // (CBECS's size mix) would set a type's shape, and their own draws its cooling response.
    const weights: number[] = [];
    for (const i of indices) {
      const s = panel.series[i]!;
      const flagged = panel.anomalous[i]!;
      let total = 0;
      let max = 0;
      for (let h = 0; h < hours; h++) {
        total += s[h]!;
        if (s[h]! > max && flagged[h] === 0) max = s[h]!;
      }
      annual.push(((total / hours) * 8760) / 1000);
      if (max > 0) loadFactors.push(total / hours / max);
      const w = total > 0 ? hours / total : 0;
      weights.push(w);
      for (const d of weekdays) {
        weekdayKwh += w * dailyOf(s, d);
        for (let h = d.first; h < d.first + 24; h++) profile[hourOf(h)]! += w * s[h]!;
      }
      for (const d of weekends) weekendKwh += w * dailyOf(s, d);
    }
    const weighted = weights.filter((w) => w > 0).length;
    for (const d of hot) {
      let share = 0;
      members.forEach((s, m) => (share += weights[m]! * dailyOf(s, d)));
      hotX.push(d.temperature);
      hotY.push(share / weighted / 24);
    }
    for (let h = 10; h < 16; h++) day += profile[h]! / 6;
    for (let h = 1; h < 5; h++) night += profile[h]! / 4;
    const plateau = Array.from(profile.subarray(10, 16));
    types.push({
      profile: PROFILES[code]!.name,
      meters: members.length,
      annualMwh: mean(annual),
      geometricMeanMwh: geometricMean(annual),
      weekdayWeekendRatio: weekends.length > 0 ? weekdayKwh / weekdays.length / (weekendKwh / weekends.length) : Number.NaN,
      dayNightRatio: day / night,
      plateauFlatness: Math.min(...plateau) / Math.max(...plateau),
      loadFactor: median(loadFactors),
      coolingPerDegree: hot.length >= 2 && weighted > 0 ? slope(hotX, hotY) : Number.NaN,
    });
  }
  const buildings = panel.series
    .map((s, i) => ({ s, profile: panel.profile[i]! }))
    .filter((x) => PROFILES[x.profile]!.segment === 'COMMERCIAL')
    .map(({ s, profile }) => ({ profile, annualMwh: ((s.reduce((a, v) => a + v, 0) / hours) * 8760) / 1000 }));
  const commercial = buildings.map((b) => b.annualMwh).sort((a, b) => a - b);
  const some = commercial.length > 0;
  return {
    types,
    commercial: {
      meters: commercial.length,
      meanMwh: some ? mean(commercial) : Number.NaN,
      medianMwh: some ? median(commercial) : Number.NaN,
      p5Mwh: some ? commercial[Math.floor(0.05 * (commercial.length - 1))]! : Number.NaN,
      maxMwh: some ? commercial[commercial.length - 1]! : Number.NaN,
      sizeShares: sizeClassShares(buildings),
    },
  };
}
