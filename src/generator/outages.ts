import { STREAM } from '../fleet/streams.js';
import { lognormal, normal, uniform } from '../util/random.js';
import { DAY_MS, MINUTE_MS } from '../util/time-zone.js';


/**
 * Outages are events on assets, not per reading: a transformer failure takes out its homes together, a feeder fault
 * every meter on the feeder. Each asset draws at most one outage start per UTC day; the window is a pure function of
 * (seed, asset, UTC day), so a day's generator finds an outage that began the day before by drawing that day too.
 *
 * Rates follow EIA 2023 reliability figures without major events (SAIFI about 1.0 interruptions a customer a year,
 * SAIDI about 2 hours): transformer events 0.45 a year lasting about 150 minutes, feeder faults 0.55 a year lasting
 * about 90 minutes. Storms and major events arrive with the realism work (issue 3).
 */
export interface OutageRate {
  readonly stream: number;
  readonly perYear: number;
  readonly meanMinutes: number;
  readonly cv: number;
}

export const TRANSFORMER_OUTAGES: OutageRate = { stream: STREAM.OUTAGE_TRANSFORMER, perYear: 0.45, meanMinutes: 150, cv: 0.8 };
export const FEEDER_OUTAGES: OutageRate = { stream: STREAM.OUTAGE_FEEDER, perYear: 0.55, meanMinutes: 90, cv: 0.9 };

/**
 * Appends to `out` (as start, end pairs in epoch ms) the outage windows of one asset that overlap [fromMs, toMs).
 * Returns the number of values appended.
 */
export function outageWindows(seed: number, rate: OutageRate, asset: number, fromMs: number, toMs: number, out: number[]): number {
  const before = out.length;
  const pDay = rate.perYear / 365.25;
  for (let day = Math.floor(fromMs / DAY_MS) - 1; day * DAY_MS < toMs; day++) {
    if (uniform(seed, rate.stream, asset, day) >= pDay) continue;
    const start = day * DAY_MS + Math.floor(uniform(seed, rate.stream + 1000, asset, day) * DAY_MS);
    const minutes = Math.min(24 * 60, Math.max(5, lognormal(rate.meanMinutes, rate.cv, normal(seed, rate.stream + 2000, asset, day))));
    const end = start + minutes * MINUTE_MS;
    if (end > fromMs && start < toMs) out.push(start, end);
  }
  return out.length - before;
}
