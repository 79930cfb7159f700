import { resolveScenario, serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { scenarioToInput } from '../scenario/scenario.js';
import { FIRST_DATE, LAST_DATE } from '../scenario/scenario-schema.js';
import { ForgeError } from '../util/forge-error.js';
import { DAY_MS, isoDate, MINUTE_MS, toWallClockMs } from '../util/time-zone.js';
import type { StreamWindow } from './emission-stream.js';

/** A stream without --duration runs until stopped, for at most this many simulated days. */
export const OPEN_ENDED_DAYS = 366;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: MINUTE_MS, h: 60 * MINUTE_MS, d: DAY_MS };

/** '90m', '6h', '2d', '3600s' -> milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > OPEN_ENDED_DAYS * DAY_MS) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`duration "${text}" must be a positive number with a unit ms, s, m, h or d, at most ${OPEN_ENDED_DAYS}d`]);
  }
  return ms;
}

/** '3600' -> 3600, 'max' -> null (as fast as the sinks accept); real time is 1. */
export function parseSpeed(text: string): number | null {
  if (text.trim().toLowerCase() === 'max') return null;
  const speed = Number(text);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000_000) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`speed "${text}" must be a number of simulated seconds per second (1 = real time, up to 10,000,000) or "max"`]);
  }
  return speed;
}

/** An ISO 8601 instant, or 'now'. */
export function parseInstant(text: string, now: number): number {
  if (text.trim().toLowerCase() === 'now') return now;
  const m = /^(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  // Date.parse rolls 2026-02-30 over into March and reads a time without a zone in the process's own zone: refused.
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  const calendar = day !== null && day.getUTCFullYear() === Number(m![1]) && day.getUTCMonth() === Number(m![2]) - 1 && day.getUTCDate() === Number(m![3]);
  const inRange = m !== null && m[0].slice(0, 10) >= FIRST_DATE && m[0].slice(0, 10) <= LAST_DATE;
  const ms = m && inRange && calendar && !(m[4] && !m[5]) ? Date.parse(text.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) {
    const why = m && !inRange ? `is outside the supported dates ${FIRST_DATE} to ${LAST_DATE}` : m && !calendar ? 'is not a calendar date' : m && m[4] && !m[5] ? 'has no time zone (add Z or an offset such as +01:00)' : 'is not an ISO 8601 time such as 2026-11-29T14:00:00Z, or "now"';
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`from "${text}" ${why}`]);
  }
  return ms;
}

/**
 * The window of a new stream: from `fromMs` aligned down to an interval start (the default, now, starts one interval
 * back so readings flow at once: the interval that just ended reports first), for `durationMs` or open-ended; and
 * the scenario whose days cover it (start = the local date of the window's start), so a batch job of that scenario
 * holds the same readings.
 */
export function streamPlan(base: Scenario, fromMs: number, durationMs: number | null, fromIsNow: boolean): { scenario: Scenario; window: StreamWindow } {
  const stepMs = base.intervalMinutes * MINUTE_MS;
  const fromUtcMs = Math.floor(fromMs / stepMs) * stepMs - (fromIsNow ? stepMs : 0);
  const toUtcMs = durationMs === null ? null : fromUtcMs + Math.ceil(durationMs / stepMs) * stepMs;
  const timeZone = serviceAreaOf(base).timeZone;
  const startDay = Math.floor(toWallClockMs(timeZone, fromUtcMs) / DAY_MS);
  const days = toUtcMs === null ? OPEN_ENDED_DAYS : Math.floor(toWallClockMs(timeZone, toUtcMs - 1) / DAY_MS) - startDay + 1;
  const scenario = resolveScenario({ ...scenarioToInput(base), preset: undefined, start: isoDate(startDay * DAY_MS), days });
  const end = toUtcMs ?? fromUtcMs + OPEN_ENDED_DAYS * DAY_MS - DAY_MS;
  return { scenario, window: { fromUtcMs, toUtcMs: end } };
}
