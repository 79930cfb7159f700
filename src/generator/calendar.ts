import { scenarioEndUtcMs, scenarioStartUtcMs, serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { DAY_MS, isoDate, MINUTE_MS, offsetMinutes } from '../util/time-zone.js';


/**
 * One local calendar day of the service area within the scenario's range: the unit of generation. A reading needs
 * at most its own day's history (and a glance at the previous day's events), which is what lets any day be generated
 * alone, on any worker, in any order.
 */
export interface GenerationDay {
  /** Position in the scenario, 0-based. */
  readonly index: number;
  /** Local date, YYYY-MM-DD. */
  readonly localDate: string;
  /** Days since 1970-01-01 of the local date: an absolute coordinate for random draws. */
  readonly localDayNumber: number;
  readonly firstUtcMs: number;
  /** Number of intervals of this day inside the scenario (92/96/100 at 15 minutes on DST days, fewer if clipped). */
  readonly intervals: number;
  /** Offset of the first interval from the scenario's first interval. */
  readonly firstInterval: number;
}

/** The days of a scenario, in order. Their intervals add up to intervalsPerMeter(scenario). */
export function generationDays(scenario: Scenario): GenerationDay[] {
  const tz = serviceAreaOf(scenario).timeZone;
  const stepMs = scenario.intervalMinutes * MINUTE_MS;
  const end = scenarioEndUtcMs(scenario);
  const days: GenerationDay[] = [];
  let t = scenarioStartUtcMs(scenario);
  let firstInterval = 0;
  while (t < end) {
    const offset = offsetMinutes(tz, t);
    const localDayNumber = Math.floor((t + offset * MINUTE_MS) / DAY_MS);
    // Next local midnight: where the day keeps its offset (every day but the two daylight-saving changes a year),
    // it is one subtraction away; across a change, walk forward by intervals until the local date changes (at most
    // 100 steps). Intl look-ups are the cost here (a ten-year scenario took 15 s walking every day).
    const midnight = (localDayNumber + 1) * DAY_MS - offset * MINUTE_MS;
    let next: number;
    if (offsetMinutes(tz, midnight) === offset && offsetMinutes(tz, midnight - stepMs) === offset) {
      next = Math.min(t + Math.ceil((midnight - t) / stepMs) * stepMs, t + Math.ceil((end - t) / stepMs) * stepMs);
    } else {
      next = t;
      while (next < end && Math.floor((next + offsetMinutes(tz, next) * MINUTE_MS) / DAY_MS) === localDayNumber) next += stepMs;
    }
    const intervals = (next - t) / stepMs;
    days.push({ index: days.length, localDate: isoDate(localDayNumber * DAY_MS), localDayNumber, firstUtcMs: t, intervals, firstInterval });
    firstInterval += intervals;
    t = next;
  }
  return days;
}
