import { stratifiedUniform } from '../fleet/stratified-draw.js';
import { STREAM } from '../fleet/streams.js';
import type { AnomalyRates } from '../scenario/anomaly-rate.js';
import { hash32, intBetween, uniform } from '../util/random.js';
import type { DemoEvents } from './demo-events.js';

/**
 * Labelled meter-level anomalies, each a pure function of (seed, meter, day):
 * - theft (TAMPER): a bypass that hides 40-80% of the usage for 5 to 60 days; episodes start in 30-day blocks, so a
 *   day looks back two blocks at most;
 * - meter faults (METER_FAULT): for 1 to 12 hours within a local day the meter reads zero or repeats one value;
 * - communication gaps: 1 to 16 intervals within a local day are missing and filled by the head end as ESTIMATED
 *   reads (the expected value, without the noise the meter would have measured).
 * Not an anomaly but drawn the same way: vacancy, a premise left empty with the supply switched off for 3 to 20 days
 * (between tenants, a long absence), which reads exactly zero and is VALID. About 0.8% of measured household
 * readings are zeros (EDRP reference data); vacancies at 2% of meters a month give the same share.
 */
const THEFT_BLOCK_DAYS = 30;
/** Chance that a meter starts a theft episode in a 30-day block: about 1% of meters a year (the default). */
const THEFT_PER_BLOCK = 0.001;
const FAULT_PER_DAY = 0.0004;
const COMM_GAP_PER_DAY = 0.03;
const VACANCY_PER_BLOCK = 0.02;
/** Rare labelled per-reading anomalies (thresholds on one uniform draw, so exclusive). */
const P_SPIKE = 0.0002;
const P_SAG = 0.0003;
const P_SWELL = 0.0001;

/**
 * The chances the draws compare against: the model's own, or a scenario's `anomalyRate` (per meter-day, whatever the
 * interval) turned into each draw's unit. A kind the scenario leaves out keeps the constant above, the very number,
 * so output without `anomalyRate` is bit-identical to output before it existed.
 */
export interface AnomalyModel {
  readonly theftPerBlock: number;
  readonly faultPerDay: number;
  readonly commGapPerDay: number;
  /** Per reading. */
  readonly spike: number;
  readonly sag: number;
  readonly swell: number;
  /** A demo scenario's scheduled events (demo-events.ts), applied over the draws; absent: draws only. */
  readonly demo?: DemoEvents;
}

export const DEFAULT_ANOMALY_MODEL: AnomalyModel = {
  theftPerBlock: THEFT_PER_BLOCK,
  faultPerDay: FAULT_PER_DAY,
  commGapPerDay: COMM_GAP_PER_DAY,
  spike: P_SPIKE,
  sag: P_SAG,
  swell: P_SWELL,
};

export function anomalyModel(rates: AnomalyRates | undefined, intervalMinutes: number): AnomalyModel {
  if (!rates) return DEFAULT_ANOMALY_MODEL;
  const perDay = (24 * 60) / intervalMinutes;
  const reading = (r: number | undefined, fallback: number): number => (r === undefined ? fallback : r / perDay);
  const spike = reading(rates.usage_spike, P_SPIKE);
  const sag = reading(rates.voltage_sag, P_SAG);
  const swell = reading(rates.voltage_swell, P_SWELL);
  return {
    // An episode starts at most once a 30-day block: a daily chance r is about 30 r a block.
    theftPerBlock: rates.theft === undefined ? THEFT_PER_BLOCK : Math.min(1, rates.theft * THEFT_BLOCK_DAYS),
    faultPerDay: rates.meter_fault ?? FAULT_PER_DAY,
    commGapPerDay: rates.comm_gap ?? COMM_GAP_PER_DAY,
    spike,
    sag,
    swell,
  };
}

export interface DayAnomalies {
  /** Share of usage the meter records, 1 = no theft. */
  recordedShare: number;
  /** The premise is empty and switched off all day. */
  vacant: boolean;
  /** Interval range [start, end) of a fault in this day, or start = -1. */
  faultStart: number;
  faultEnd: number;
  /** True: the fault repeats the first faulty value; false: it reads zero. */
  faultStuck: boolean;
  gapStart: number;
  gapEnd: number;
}

/** Mean days of a vacancy (3 to 20): a vacancy rate r per 30-day block leaves r x 11.5 / 30 of readings at zero. */
export const VACANCY_MEAN_DAYS = 11.5;
export const VACANCY_BLOCK_DAYS = THEFT_BLOCK_DAYS;

/**
 * `calibratedVacancy`: a calibrated segment's fitted vacancy rate (calibration-profile.ts `vacancyRate`), drawn
 * stratified over blocks of 64 meters (stratifiedUniform: about rate x 64 vacancies a block and 30 days, not a
 * binomial count, so a few hundred meters already show the fitted share of zeros); absent, the model's own rate,
 * drawn independently as always.
 */
export function dayAnomalies(
  seed: number,
  meterNumber: number,
  localDayNumber: number,
  intervals: number,
  out: DayAnomalies,
  model: AnomalyModel = DEFAULT_ANOMALY_MODEL,
  calibratedVacancy?: number,
): DayAnomalies {
  out.recordedShare = 1;
  out.vacant = false;
  const block = Math.floor(localDayNumber / THEFT_BLOCK_DAYS);
  for (let b = block - 1; b <= block; b++) {
    const u = calibratedVacancy === undefined ? uniform(seed, STREAM.VACANCY, meterNumber, b) : stratifiedUniform(seed, STREAM.VACANCY, meterNumber, b);
    if (u >= (calibratedVacancy ?? VACANCY_PER_BLOCK)) continue;
    const key = hash32(seed, STREAM.VACANCY + 1, meterNumber, b);
    const start = b * THEFT_BLOCK_DAYS + (key % THEFT_BLOCK_DAYS);
    if (localDayNumber >= start && localDayNumber < start + 3 + ((key >>> 8) % 18)) out.vacant = true;
  }
  for (let b = block - 2; b <= block; b++) {
    if (uniform(seed, STREAM.THEFT, meterNumber, b) >= model.theftPerBlock) continue;
    const key = hash32(seed, STREAM.THEFT + 1, meterNumber, b);
    const start = b * THEFT_BLOCK_DAYS + (key % THEFT_BLOCK_DAYS);
    const length = 5 + ((key >>> 8) % 56);
    if (localDayNumber >= start && localDayNumber < start + length) out.recordedShare = 0.2 + 0.4 * ((key >>> 20) / 4096);
  }
  out.faultStart = -1;
  out.faultEnd = -1;
  out.faultStuck = false;
  if (uniform(seed, STREAM.METER_FAULT, meterNumber, localDayNumber) < model.faultPerDay) {
    const key = hash32(seed, STREAM.METER_FAULT + 1, meterNumber, localDayNumber);
    out.faultStart = key % intervals;
    out.faultEnd = Math.min(intervals, out.faultStart + Math.max(1, Math.round((intervals / 24) * intBetween(1, 12, (key >>> 12) / 1048576))));
    out.faultStuck = (key & 0x800) !== 0;
  }
  out.gapStart = -1;
  out.gapEnd = -1;
  if (uniform(seed, STREAM.COMM_GAP, meterNumber, localDayNumber) < model.commGapPerDay) {
    const key = hash32(seed, STREAM.COMM_GAP + 1, meterNumber, localDayNumber);
    out.gapStart = key % intervals;
    out.gapEnd = Math.min(intervals, out.gapStart + 1 + ((key >>> 16) % 16));
  }
  model.demo?.apply(meterNumber, localDayNumber, intervals, out);
  return out;
}
