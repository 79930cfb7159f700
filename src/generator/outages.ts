import { STREAM } from '../fleet/streams.js';
import { lognormal, normal, uniform } from '../util/random.js';
import { DAY_MS, HOUR_MS, localMidnightUtcMs, MINUTE_MS } from '../util/time-zone.js';

/**
 * Outages are events on assets, not per reading: a transformer failure takes out its homes together, a feeder fault
 * every meter on the feeder. Each asset draws at most one outage start per UTC day; the window is a pure function of
 * (seed, asset, UTC day), so a day's generator finds an outage that began the day before by drawing that day too.
 *
 * Rates follow EIA 2023 reliability figures without major events (SAIFI about 1.0 interruptions a customer a year,
 * SAIDI about 2 hours): transformer events 0.45 a year lasting about 150 minutes, feeder faults 0.55 a year lasting
 * about 90 minutes. Storms (major events) add about 0.4 interruptions and 2 hours a customer a year: see `storms`.
 */
/** Local hour a forced storm (`--storm DATE`) strikes. */
const STORM_LOCAL_HOUR = 14;

/** When a scenario's forced storm strikes, epoch ms (14:00 local on its date); null without one. */
export function forcedStormUtcMs(storm: string | null, timeZone: string): number | null {
  if (!storm) return null;
  const [y, m, d] = storm.split('-').map(Number) as [number, number, number];
  return localMidnightUtcMs(timeZone, y, m, d) + STORM_LOCAL_HOUR * HOUR_MS;
}

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

/**
 * Storms: major events that hit many feeders of the area within hours. About 1.2 a year per area; each hits every
 * feeder with a chance of 15 to 50%, and a hit feeder goes out whole within 3 hours of the storm's onset. Supply then
 * comes back the way crews restore it, not all at once: first the feeder's backbone (lognormal around 0.6 of the
 * storm's mean outage time), then the laterals, 40% of which were damaged themselves and stay out for another
 * lognormal time around 0.6 of it, and last, one by one, single transformers: 5% of them were damaged and take another
 * lognormal time around 1.5 times it, up to four days in all (the long tail of a storm's restoration curve). A
 * customer's outage therefore averages about 0.9 of the storm's mean (5 hours; a forced storm 10), spread over hours
 * to days. With the asset outages above, a customer sees 1.0 to 1.4 interruptions and about 2.5 to 4 hours a year
 * (measured; varies with seed and year), against EIA 2023's 1.35 and 367 minutes with major events.
 * A forced storm (`--storm`) hits 60% of the feeders.
 */
export interface Storm {
  readonly key: number;
  readonly startMs: number;
  readonly hitShare: number;
  readonly meanHours: number;
}

const STORMS_PER_YEAR = 1.2;
/** Longest storm outage a customer sees, onset to restoration: four days. */
const MAX_STORM_OUTAGE_HOURS = 96;
const STORM_SPREAD_HOURS = 3;
/** Days a storm outage can reach back: its onset spread plus its longest outage. */
const STORM_LOOKBACK_DAYS = Math.ceil((MAX_STORM_OUTAGE_HOURS + STORM_SPREAD_HOURS) / 24);
/**
 * The restoration curve (see above): each stage's time as a share of the storm's mean outage time, and the chance a
 * lateral or a transformer was damaged itself. Laterals are runs of this many consecutive transformers: transformers
 * are numbered along the feeder walk, so neighbours share a lateral.
 */
const BACKBONE_SHARE = 0.6;
const BACKBONE_CV = 0.7;
const LATERAL_DAMAGED = 0.4;
const LATERAL_SHARE = 0.6;
const LATERAL_CV = 0.8;
const TRANSFORMERS_PER_LATERAL = 6;
const TRANSFORMER_DAMAGED = 0.05;
const TRANSFORMER_SHARE = 1.5;
const TRANSFORMER_CV = 0.6;
/** Streams of the lateral and transformer stages (offsets of STORM_FEEDER, as the other outage draws). */
const LATERAL_STREAM = STREAM.STORM_FEEDER + 1000;
const TRANSFORMER_STREAM = STREAM.STORM_FEEDER + 3000;
/** Key of the forced storm: outside the range of natural storm keys (UTC day numbers). */
const FORCED_STORM_KEY = 0x7fffffff;

/** Storms whose outages can overlap [fromMs, toMs), natural and forced (`forcedStartMs` or null). */
export function storms(seed: number, forcedStartMs: number | null, fromMs: number, toMs: number): Storm[] {
  const found: Storm[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) - STORM_LOOKBACK_DAYS; day * DAY_MS < toMs; day++) {
    if (uniform(seed, STREAM.STORM, day, 0) >= STORMS_PER_YEAR / 365.25) continue;
    found.push({
      key: day,
      startMs: day * DAY_MS + Math.floor(uniform(seed, STREAM.STORM, day, 1) * DAY_MS),
      hitShare: 0.15 + 0.35 * uniform(seed, STREAM.STORM, day, 2),
      meanHours: 5,
    });
  }
  if (forcedStartMs !== null && forcedStartMs < toMs && forcedStartMs + (STORM_LOOKBACK_DAYS + 1) * DAY_MS > fromMs) {
    found.push({ key: FORCED_STORM_KEY, startMs: forcedStartMs, hitShare: 0.6, meanHours: 10 });
  }
  return found;
}

/**
 * Appends the outage window of a meter's supply in a storm (its feeder, lateral and transformer), if the storm hits
 * its feeder and the window overlaps [fromMs, toMs). Every meter of a feeder goes out together; meters come back as
 * their feeder's backbone, then their lateral, then their transformer is restored.
 */
export function stormOutage(seed: number, storm: Storm, feeder: number, transformer: number, fromMs: number, toMs: number, out: number[]): void {
  if (uniform(seed, STREAM.STORM_FEEDER, feeder, storm.key) >= storm.hitShare) return;
  const start = storm.startMs + Math.floor(uniform(seed, STREAM.STORM_FEEDER + 1, feeder, storm.key) * STORM_SPREAD_HOURS * HOUR_MS);
  let hours = lognormal(BACKBONE_SHARE * storm.meanHours, BACKBONE_CV, normal(seed, STREAM.STORM_FEEDER + 2, feeder, storm.key));
  const lateral = Math.floor(transformer / TRANSFORMERS_PER_LATERAL);
  if (uniform(seed, LATERAL_STREAM, lateral, storm.key) < LATERAL_DAMAGED) {
    hours += lognormal(LATERAL_SHARE * storm.meanHours, LATERAL_CV, normal(seed, LATERAL_STREAM + 1000, lateral, storm.key));
  }
  if (uniform(seed, TRANSFORMER_STREAM, transformer, storm.key) < TRANSFORMER_DAMAGED) {
    hours += lognormal(TRANSFORMER_SHARE * storm.meanHours, TRANSFORMER_CV, normal(seed, TRANSFORMER_STREAM + 1000, transformer, storm.key));
  }
  const end = start + Math.min(MAX_STORM_OUTAGE_HOURS, hours) * HOUR_MS;
  if (end > fromMs && start < toMs) out.push(start, end);
}
