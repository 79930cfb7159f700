import { STREAM } from '../fleet/streams.js';
import { hash32, intBetween, uniform } from '../util/random.js';

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
/** Chance that a meter starts a theft episode in a 30-day block: about 1% of meters a year. */
const THEFT_PER_BLOCK = 0.001;
const FAULT_PER_DAY = 0.0004;
const COMM_GAP_PER_DAY = 0.03;
const VACANCY_PER_BLOCK = 0.02;

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

export function dayAnomalies(seed: number, meterNumber: number, localDayNumber: number, intervals: number, out: DayAnomalies): DayAnomalies {
  out.recordedShare = 1;
  out.vacant = false;
  const block = Math.floor(localDayNumber / THEFT_BLOCK_DAYS);
  for (let b = block - 1; b <= block; b++) {
    if (uniform(seed, STREAM.VACANCY, meterNumber, b) >= VACANCY_PER_BLOCK) continue;
    const key = hash32(seed, STREAM.VACANCY + 1, meterNumber, b);
    const start = b * THEFT_BLOCK_DAYS + (key % THEFT_BLOCK_DAYS);
    if (localDayNumber >= start && localDayNumber < start + 3 + ((key >>> 8) % 18)) out.vacant = true;
  }
  for (let b = block - 2; b <= block; b++) {
    if (uniform(seed, STREAM.THEFT, meterNumber, b) >= THEFT_PER_BLOCK) continue;
    const key = hash32(seed, STREAM.THEFT + 1, meterNumber, b);
    const start = b * THEFT_BLOCK_DAYS + (key % THEFT_BLOCK_DAYS);
    const length = 5 + ((key >>> 8) % 56);
    if (localDayNumber >= start && localDayNumber < start + length) out.recordedShare = 0.2 + 0.4 * ((key >>> 20) / 4096);
  }
  out.faultStart = -1;
  out.faultEnd = -1;
  out.faultStuck = false;
  if (uniform(seed, STREAM.METER_FAULT, meterNumber, localDayNumber) < FAULT_PER_DAY) {
    const key = hash32(seed, STREAM.METER_FAULT + 1, meterNumber, localDayNumber);
    out.faultStart = key % intervals;
    out.faultEnd = Math.min(intervals, out.faultStart + Math.max(1, Math.round((intervals / 24) * intBetween(1, 12, (key >>> 12) / 1048576))));
    out.faultStuck = (key & 0x800) !== 0;
  }
  out.gapStart = -1;
  out.gapEnd = -1;
  if (uniform(seed, STREAM.COMM_GAP, meterNumber, localDayNumber) < COMM_GAP_PER_DAY) {
    const key = hash32(seed, STREAM.COMM_GAP + 1, meterNumber, localDayNumber);
    out.gapStart = key % intervals;
    out.gapEnd = Math.min(intervals, out.gapStart + 1 + ((key >>> 16) % 16));
  }
  return out;
}
