import {
  CALIBRATION_PROFILE_VERSION,
  SEASONS,
  seasonOfMonth,
  type CalibrationProfile,
  type Season,
  type SegmentCalibration,
} from '../scenario/calibration-profile.js';
import { VACANCY_BLOCK_DAYS, VACANCY_MEAN_DAYS } from '../generator/meter-anomalies.js';
import { SEGMENTS, type Segment } from '../scenario/enums.js';
import { resolveScenario } from '../scenario/scenario.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import { DAY_MS, isoDate } from '../util/time-zone.js';
import { collectGeneratedHouseholds } from '../validate/generated-households.js';
import { correlation, householdStatistics, isWeekend, type HouseholdPanel, type HouseholdStatistics } from '../validate/household-statistics.js';
import { areaNormalTemperature } from './area-temperature.js';
import { sumPanelPairs } from './sum-panel-pairs.js';

/** A segment's sample: meters over the same consecutive intervals of whole local days (wall clock from midnight). */
export interface SamplePanel extends HouseholdPanel {
  readonly intervalMinutes: 30 | 60;
  /** Outdoor temperature of each interval, C (NaN where unknown), when the sample had it. */
  readonly temperatureC?: Float64Array;
}

/** Where the temperatures of a temperature fit came from: the readings' own column, the area's climate normals, or none. */
export type TemperatureSource = 'readings' | 'area' | null;

/** Balance points of the temperature fit: the model's own for homes (heating below 15.5 C, cooling above 21 C). */
export const HEATING_BALANCE_C = 15.5;
export const COOLING_BALANCE_C = 21;
/** Least spread (standard deviation over the days, C) of a day's heating or cooling degrees for the fit to use them. */
const MIN_DEGREE_SPREAD_C = 0.5;
/** Homes run heating and cooling at 0.8 + 0.1 x activity (reading-generator.ts): 0.9 on average. */
const MEAN_OCCUPANCY = 0.9;

/**
 * Temperature sensitivity from the sample's days: least squares of the day's mean load over its mean temperature's
 * heating and cooling degrees, L = a + h x HDD + c x CDD (a term without degree days, or with a negative slope, is
 * dropped). Returns the sensitivity per degree as a share of the weather-free load a, and the panel with each day's
 * weather part taken out (x a / (a + h HDD + c CDD)), or null with fewer than 7 days of temperature.
 */
export function fitTemperature(panel: SamplePanel): { temperature: NonNullable<SegmentCalibration['temperature']>; normalised: SamplePanel } | null {
  const temperature = panel.temperatureC;
  if (!temperature) return null;
  const perDay = (24 * 60) / panel.intervalMinutes;
  const days = panel.wallClockMs.length / perDay;
  const load = new Float64Array(days);
  const hdd = new Float64Array(days);
  const cdd = new Float64Array(days);
  const valid: number[] = [];
  for (let d = 0; d < days; d++) {
    let sum = 0;
    for (const series of panel.households) for (let t = d * perDay; t < (d + 1) * perDay; t++) sum += series[t]!;
    load[d] = sum / (perDay * panel.households.length);
    let tSum = 0;
    let tN = 0;
    for (let t = d * perDay; t < (d + 1) * perDay; t++) {
      if (Number.isFinite(temperature[t]!)) {
        tSum += temperature[t]!;
        tN++;
      }
    }
    if (tN < perDay / 2) continue;
    const mean = tSum / tN;
    hdd[d] = Math.max(0, HEATING_BALANCE_C - mean);
    cdd[d] = Math.max(0, mean - COOLING_BALANCE_C);
    valid.push(d);
  }
  if (valid.length < 7) return null;
  // A term needs degree days that vary over the days: a column nearly constant is the intercept again (a week of
  // climate normals in April), and its slope is not identifiable.
  const spread = (x: Float64Array): number => {
    const mean = valid.reduce((a, d) => a + x[d]!, 0) / valid.length;
    return Math.sqrt(valid.reduce((a, d) => a + (x[d]! - mean) ** 2, 0) / valid.length);
  };
  let terms = [hdd, cdd].filter((x) => valid.some((d) => x[d]! > 0) && spread(x) >= MIN_DEGREE_SPREAD_C);
  let coefficients: number[] = [];
  for (;;) {
    const columns = [new Float64Array(days).fill(1), ...terms];
    const A = columns.map((x) => columns.map((y) => valid.reduce((s, d) => s + x[d]! * y[d]!, 0)));
    const b = columns.map((x) => valid.reduce((s, d) => s + x[d]! * load[d]!, 0));
    coefficients = solveLinear(A, b);
    const negative = coefficients.findIndex((v, i) => i > 0 && !(v >= 0));
    if (negative < 0) break;
    terms = terms.filter((_, i) => i !== negative - 1);
  }
  const a = coefficients[0]!;
  if (!(a > 0)) return null;
  const slope = (x: Float64Array): number => coefficients[terms.findIndex((term) => term === x) + 1] ?? 0;
  const h = terms.includes(hdd) ? slope(hdd) : 0;
  const c = terms.includes(cdd) ? slope(cdd) : 0;
  const factor = Float64Array.from(load, (_, d) => a / (a + h * hdd[d]! + c * cdd[d]!));
  const households = panel.households.map((series) => Float64Array.from(series, (v, t) => v * factor[Math.floor(t / perDay)]!));
  return {
    temperature: {
      heatingBalanceC: HEATING_BALANCE_C,
      heatingPerDegree: clamp(h / a / MEAN_OCCUPANCY, 0, 1),
      coolingBalanceC: COOLING_BALANCE_C,
      coolingPerDegree: clamp(c / a / MEAN_OCCUPANCY, 0, 1),
    },
    normalised: { wallClockMs: panel.wallClockMs, households, intervalMinutes: panel.intervalMinutes },
  };
}

/** Solves A x = b (small, symmetric positive definite) by Gaussian elimination with partial pivoting. */
function solveLinear(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(M[k]![c]!) > Math.abs(M[pivot]![c]!)) pivot = k;
    [M[c], M[pivot]] = [M[pivot]!, M[c]!];
    for (let k = c + 1; k < n; k++) {
      const f = M[k]![c]! / M[c]![c]!;
      for (let j = c; j <= n; j++) M[k]![j] = M[k]![j]! - f * M[c]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let v = M[c]![n]!;
    for (let j = c + 1; j < n; j++) v -= M[c]![j]! * x[j]!;
    x[c] = v / M[c]![c]!;
  }
  return x;
}

export interface FitOptions {
  /** Area whose calendar (time zone, holidays) the fitting runs use; default the scenario default. */
  readonly area?: ServiceAreaName;
  /** Meters of each fitting run (more: less noise in the fitted spreads, slower). Default 300. */
  readonly simulatedMeters?: number;
  /** Levenberg-Marquardt iterations at most (each about ten fitting runs). Default 6. */
  readonly iterations?: number;
  /** Seed of the fitting runs (not of any later scenario). Default 1. */
  readonly seed?: number;
  /**
   * Area whose climate normals stand in for the outdoor temperature when the sample has none (areaNormalTemperature):
   * the temperature sensitivity is then fitted against them. Absent: without temperatures there is no temperature fit.
   */
  readonly weatherArea?: ServiceAreaName;
  /** Steps at most on the run four times the size that polishes the fit. Default 3. */
  readonly polishSteps?: number;
}

/** The statistics the fit matches, each against the parameter that moves it most. */
const MATCHED = ['householdMeanCv', 'lag1Autocorrelation', 'lag48Autocorrelation', 'maxToMean', 'p95ToMean', 'medianToMean'] as const;

/** Where a fit starts: the model's own spreads, with a stronger noise correlation and smaller spikes (no shift). */
const START = { noiseSigma: 0.5, noiseAutocorrelation: 0.9, routineSigma: 0.4, spikeRate: 0.07, spikeSize: 2, spikeCv: 0.8, spikeQuarterHours: 2 } as const;

/** Measured mean load by hour, weekday and weekend, per season, over the season's mean; the seasons' levels. */
export function seasonalShapes(panel: HouseholdPanel): { seasons: SegmentCalibration['seasons']; weekendEffect: number } {
  const { wallClockMs, households } = panel;
  const T = wallClockMs.length;
  const sums = new Map<Season, { hour: Float64Array[]; count: Float64Array[]; total: number; n: number }>();
  let weekendSum = 0;
  let weekendN = 0;
  let weekdaySum = 0;
  let weekdayN = 0;
  const intervalTotal = new Float64Array(T);
  for (const series of households) for (let t = 0; t < T; t++) intervalTotal[t] = intervalTotal[t]! + series[t]!;
  for (let t = 0; t < T; t++) {
    const ms = wallClockMs[t]!;
    const season = seasonOfMonth(new Date(ms).getUTCMonth() + 1);
    let s = sums.get(season);
    if (!s) {
      s = { hour: [new Float64Array(24), new Float64Array(24)], count: [new Float64Array(24), new Float64Array(24)], total: 0, n: 0 };
      sums.set(season, s);
    }
    const weekend = isWeekend(ms) ? 1 : 0;
    const hour = new Date(ms).getUTCHours();
    const v = intervalTotal[t]!;
    s.hour[weekend]![hour] = s.hour[weekend]![hour]! + v;
    s.count[weekend]![hour] = s.count[weekend]![hour]! + households.length;
    s.total += v;
    s.n += households.length;
    if (weekend) {
      weekendSum += v;
      weekendN += households.length;
    } else {
      weekdaySum += v;
      weekdayN += households.length;
    }
  }
  const overall = (weekendSum + weekdaySum) / (weekendN + weekdayN);
  const seasons: Partial<Record<Season, { weekday: number[]; weekend: number[]; level: number }>> = {};
  for (const season of SEASONS) {
    const s = sums.get(season);
    if (!s) continue;
    const mean = s.total / s.n;
    const day = (k: number): number[] | null =>
      s.count[k]!.every((c) => c > 0) ? Array.from(s.hour[k]!, (v, h) => v / s.count[k]![h]! / mean) : null;
    // A season seen only on weekdays (or only at weekends) uses the day type it has for both.
    const weekday = day(0) ?? day(1)!;
    const weekend = day(1) ?? weekday;
    seasons[season] = { weekday, weekend, level: mean / overall };
  }
  const weekendEffect = weekendN > 0 && weekdayN > 0 ? weekendSum / weekendN / (weekdaySum / weekdayN) : 1;
  return { seasons, weekendEffect };
}

/** Largest |simulated / measured - 1| over the matched statistics, and 1 - the profile correlation. */
export function fitError(simulated: HouseholdStatistics, measured: HouseholdStatistics): number {
  let worst = 1 - correlation(simulated.dailyProfile, measured.dailyProfile);
  for (const key of MATCHED) worst = Math.max(worst, Math.abs(simulated[key] / measured[key] - 1));
  return Number.isFinite(worst) ? worst : Number.POSITIVE_INFINITY;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * Fits one segment's calibration to a sample by simulated moments: the daily shapes, weekend effect and seasonal
 * levels are read off the sample directly, the vacancy rate off its share of zero readings; the spreads (of meter
 * means, noise, routine, spikes), the spikes' rate and cycle length, the always-on share and the noise correlation are
 * found by generating a fleet with candidate parameters over the sample's dates and moving them by Levenberg-Marquardt
 * until the statistics they drive (CV of means, lag-1 and lag-48 autocorrelation, max/mean, p95/mean, median/mean)
 * match the sample's, then polishing on a run four times the size. The runs use the generator itself, so what is
 * fitted is what `--profile` will produce. Deterministic for a sample and options.
 */
export async function fitSegmentCalibration(given: SamplePanel, segment: Segment, options: FitOptions = {}): Promise<{
  calibration: SegmentCalibration;
  measured: HouseholdStatistics;
  simulated: HouseholdStatistics;
  error: number;
  temperatureSource: TemperatureSource;
}> {
  // With temperatures, the weather part is fitted first and taken out: the rest is fitted weather-free, and the
  // generator adds heating and cooling for the scenario's own weather on top.
  const temperatureSource: TemperatureSource = given.temperatureC ? 'readings' : options.weatherArea ? 'area' : null;
  const weather = fitTemperature(
    temperatureSource === 'area' ? { ...given, temperatureC: areaNormalTemperature(given, options.weatherArea!) } : given,
  );
  const panel = weather ? weather.normalised : given;
  const measured = householdStatistics(panel);
  const meters = panel.households.length;
  const T = panel.wallClockMs.length;
  const perDay = (24 * 60) / panel.intervalMinutes;
  const days = T / perDay;
  const { seasons, weekendEffect } = seasonalShapes(panel);
  const minimum = Math.min(...Object.values(seasons).flatMap((s) => [...s.weekday, ...s.weekend]));
  const maxBase = clamp(0.95 * minimum, 0, 0.9);

  const params: SegmentCalibration = {
    meters,
    meanKw: (measured.meanKwh * 60) / panel.intervalMinutes,
    meanCv: measured.householdMeanCv,
    baseShare: 0.8 * maxBase,
    ...START,
    // Zero readings are vacancies (supply off for days: most of a sample's zeros come in runs of a day or more), at
    // the rate that leaves the sample's share of zeros: r x 11.5 mean days / 30-day block. Outages and stuck-at-zero
    // faults, the model's own, add about 0.03% on top.
    vacancyRate: clamp((measured.zeroShare * VACANCY_BLOCK_DAYS) / VACANCY_MEAN_DAYS, 0, 1),
    weekendEffect,
    seasons,
    temperature: null,
  };
  const start = isoDate(Math.floor(panel.wallClockMs[0]! / DAY_MS) * DAY_MS);
  const simulate = async (candidate: SegmentCalibration, simulatedMeters = options.simulatedMeters ?? 300): Promise<HouseholdStatistics> => {
    const profile: CalibrationProfile = {
      version: CALIBRATION_PROFILE_VERSION,
      source: { intervalMinutes: panel.intervalMinutes, days, meters },
      segments: { [segment]: candidate },
    };
    const scenario = resolveScenario({
      meters: simulatedMeters,
      days,
      start,
      // The product's default interval: summing 15-minute readings smooths them, so a profile fitted at 15 minutes
      // matches the sample when generated at 15 (and at the sample's own interval after summing).
      interval: 15,
      segment,
      mix: { RESIDENTIAL: 0, COMMERCIAL: 0, INDUSTRIAL: 0, [segment]: 1 },
      seed: options.seed ?? 1,
      pvShare: 0,
      evShare: 0,
      ...(options.area ? { area: options.area } : {}),
      profile,
    });
    const generated = await collectGeneratedHouseholds(scenario, { segment, workers: 0 });
    return householdStatistics(panel.intervalMinutes === 60 ? sumPanelPairs(generated) : generated);
  };

  // Levenberg-Marquardt on log(simulated / measured) of the matched statistics over the free parameters, each on an
  // unbounded scale (logs of spreads, logits of shares), with a forward-difference Jacobian. Every run uses the same
  // seed (common random numbers), so the differences are smooth in the parameters.
  const logit = (x: number): number => Math.log(x / (1 - x));
  const expit = (y: number): number => 1 / (1 + Math.exp(-y));
  const encode = (c: SegmentCalibration): number[] => [
    Math.log(c.meanCv), logit(c.noiseAutocorrelation), Math.log(c.routineSigma), Math.log(c.spikeSize), Math.log(c.noiseSigma), logit(c.baseShare / maxBase), Math.log(c.spikeRate), Math.log(c.spikeCv), Math.log(c.spikeQuarterHours ?? 2),
  ];
  const decode = (x: readonly number[]): SegmentCalibration => ({
    ...base,
    meanCv: clamp(Math.exp(x[0]!), 0.01, 5),
    noiseAutocorrelation: clamp(expit(x[1]!), 0.001, 0.99),
    routineSigma: clamp(Math.exp(x[2]!), 0.01, 3),
    spikeSize: clamp(Math.exp(x[3]!), 0.1, 50),
    noiseSigma: clamp(Math.exp(x[4]!), 0.01, 3),
    baseShare: clamp(maxBase * expit(x[5]!), 0, maxBase),
    spikeRate: clamp(Math.exp(x[6]!), 0.001, 0.5),
    spikeCv: clamp(Math.exp(x[7]!), 0.05, 5),
    spikeQuarterHours: clamp(Math.exp(x[8]!), 0.5, 16),
  });
  const residuals = (s: HouseholdStatistics): number[] => MATCHED.map((key) => Math.log(s[key] / measured[key]));
  const sumSquares = (r: readonly number[]): number => r.reduce((a, v) => a + (Number.isFinite(v) ? v * v : 1e6), 0);

  const base: SegmentCalibration = { ...params };
  let x = encode(params);
  let stats = await simulate(decode(x));
  let r = residuals(stats);
  let best = { calibration: decode(x), simulated: stats, error: fitError(stats, measured) };
  let lambda = 0.01;
  const iterations = options.iterations ?? 6;
  const STEP = 0.05;
  let jacobian: number[][] | null = null;
  for (let k = 0; k < iterations && best.error > 0.01; k++) {
    const J: number[][] = MATCHED.map(() => new Array<number>(x.length).fill(0));
    jacobian = J;
    for (let j = 0; j < x.length; j++) {
      const shifted = x.slice();
      shifted[j] = shifted[j]! + STEP;
      const rj = residuals(await simulate(decode(shifted)));
      for (let i = 0; i < MATCHED.length; i++) J[i]![j] = (rj[i]! - r[i]!) / STEP;
    }
    let improved = false;
    for (let attempt = 0; attempt < 3 && !improved; attempt++) {
      const step = levenbergStep(J, r, lambda);
      const candidate = x.map((v, j) => v + clamp(step[j]!, -1, 1));
      const candidateStats = await simulate(decode(candidate));
      const candidateR = residuals(candidateStats);
        if (sumSquares(candidateR) < sumSquares(r)) {
        x = candidate;
        r = candidateR;
        stats = candidateStats;
        lambda = Math.max(1e-4, lambda / 3);
        improved = true;
        const error = fitError(stats, measured);
        if (error < best.error) best = { calibration: decode(x), simulated: stats, error };
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  // A run of a few hundred meters fits its own draws: the spread of meter means and the median max/mean move by 4-8%
  // from one seed to another at that size. Polish on a run four times the size: Levenberg-Marquardt steps on its
  // residuals with the small run's Jacobian (one wide run a step), then settle the spread of means by one
  // proportional step (it scales with meanCv).
  const wideMeters = 4 * (options.simulatedMeters ?? 300);
  let wideStats = await simulate(decode(x), wideMeters);
  let wideR = residuals(wideStats);
  let wideBest = { x, simulated: wideStats, error: fitError(wideStats, measured) };
  let mu = 0.01;
  for (let k = 0; jacobian && k < (options.polishSteps ?? 3); k++) {
    const step = levenbergStep(jacobian, wideR, mu);
    const candidate = x.map((v, j) => v + clamp(step[j]!, -0.5, 0.5));
    const candidateStats = await simulate(decode(candidate), wideMeters);
    const candidateR = residuals(candidateStats);
    if (sumSquares(candidateR) < sumSquares(wideR)) {
      x = candidate;
      wideR = candidateR;
      wideStats = candidateStats;
      mu = Math.max(1e-4, mu / 3);
      const error = fitError(wideStats, measured);
      if (error < wideBest.error) wideBest = { x, simulated: wideStats, error };
    } else {
      mu *= 10;
    }
  }
  const fitted = decode(wideBest.x);
  const meanCv = clamp(fitted.meanCv * (measured.householdMeanCv / wideBest.simulated.householdMeanCv), 0.01, 5);
  // Likewise the level: vacancies, saturation at the service capacity and the seasons' weights move the generated mean
  // off the sample's by a few percent; every other statistic is a ratio to the mean and does not move with it.
  const meanKw = Math.min(100_000, fitted.meanKw * (measured.meanKwh / wideBest.simulated.meanKwh));
  // And the zeros: the model's own outages and stuck-at-zero faults add some on top of the vacancies (about 0.08% of
  // readings in a spring at 30 minutes), so the vacancy rate gives up what the run shows beyond the sample's share.
  const vacancyRate = clamp(
    fitted.vacancyRate! - ((wideBest.simulated.zeroShare - measured.zeroShare) * VACANCY_BLOCK_DAYS) / VACANCY_MEAN_DAYS,
    0,
    1,
  );
  return {
    calibration: { ...fitted, meanCv, meanKw, vacancyRate, temperature: weather?.temperature ?? null },
    simulated: wideBest.simulated,
    error: wideBest.error,
    measured,
    // A source whose fit found too few days (or no positive load) fitted nothing.
    temperatureSource: weather ? temperatureSource : null,
  };
}

/** Solves (J'J + lambda diag(J'J)) step = -J'r by Gaussian elimination with partial pivoting. */
function levenbergStep(J: readonly (readonly number[])[], r: readonly number[], lambda: number): number[] {
  const n = J[0]!.length;
  const A = Array.from({ length: n }, (_, a) => Array.from({ length: n + 1 }, (_, b) => {
    if (b === n) return -J.reduce((s, row, i) => s + row[a]! * r[i]!, 0);
    return J.reduce((s, row) => s + row[a]! * row[b]!, 0);
  }));
  for (let a = 0; a < n; a++) A[a]![a] = A[a]![a]! * (1 + lambda) + 1e-9;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(A[k]![c]!) > Math.abs(A[pivot]![c]!)) pivot = k;
    [A[c], A[pivot]] = [A[pivot]!, A[c]!];
    for (let k = c + 1; k < n; k++) {
      const f = A[k]![c]! / A[c]![c]!;
      for (let b = c; b <= n; b++) A[k]![b] = A[k]![b]! - f * A[c]![b]!;
    }
  }
  const step = new Array<number>(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let v = A[c]![n]!;
    for (let b = c + 1; b < n; b++) v -= A[c]![b]! * step[b]!;
    step[c] = v / A[c]![c]!;
  }
  return step;
}

export interface SegmentFit {
  readonly segment: Segment;
  readonly measured: HouseholdStatistics;
  readonly simulated: HouseholdStatistics;
  /** Worst relative difference of the fitted statistics (see fitError). */
  readonly error: number;
  readonly temperatureSource: TemperatureSource;
}

/** Fits every segment of a sample; the profile and, per segment, how close the fit came. */
export async function fitCalibrationProfile(
  sample: { readonly intervalMinutes: 15 | 30 | 60; readonly days: number; readonly panels: Partial<Record<Segment, SamplePanel>> },
  options: FitOptions = {},
): Promise<{ profile: CalibrationProfile; fits: SegmentFit[] }> {
  const segments: Partial<Record<Segment, SegmentCalibration>> = {};
  const fits: SegmentFit[] = [];
  let meters = 0;
  for (const segment of SEGMENTS) {
    const panel = sample.panels[segment];
    if (!panel) continue;
    const fit = await fitSegmentCalibration(panel, segment, options);
    segments[segment] = fit.calibration;
    fits.push({ segment, measured: fit.measured, simulated: fit.simulated, error: fit.error, temperatureSource: fit.temperatureSource });
    meters += panel.households.length;
  }
  const profile: CalibrationProfile = {
    version: CALIBRATION_PROFILE_VERSION,
    source: { intervalMinutes: sample.intervalMinutes, days: sample.days, meters },
    segments,
  };
  return { profile, fits };
}
