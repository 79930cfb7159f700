import { DAY_MS, MINUTE_MS, offsetMinutes } from '../../../util/time-zone.js';

/**
 * NEM12 days are market days: AEMO's market time is Australian Eastern Standard Time (UTC+10) all year, with no
 * daylight saving, so every IntervalDate has exactly 1440 / IntervalLength intervals. The product's service areas are
 * American and keep daylight saving, so their NEM12 days are the area's local *standard* time all year (Central
 * Standard Time, UTC-6, for Houston; the same rule AEMO applies to its own clock): summer readings keep their instant
 * and sit one hour earlier on the standard clock than on the wall clock. A zone's standard offset is the smaller of
 * its January and July offsets (daylight saving adds to it, in either hemisphere).
 */
export function standardOffsetMinutes(timeZone: string, year: number): number {
  return Math.min(offsetMinutes(timeZone, Date.UTC(year, 0, 15)), offsetMinutes(timeZone, Date.UTC(year, 6, 15)));
}

/** CCYYMMDD of a day number (days since 1970-01-01 on the market clock). */
export function date8OfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Day number of a CCYYMMDD date. */
export function dayOfDate8(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))) / DAY_MS;
}

/** The instant (UTC ms) interval `k` (0-based) of market day `day` starts, for an area at standard offset `offsetMin`. */
export const intervalStartUtcMs = (day: number, k: number, intervalMinutes: number, offsetMin: number): number =>
  day * DAY_MS + k * intervalMinutes * MINUTE_MS - offsetMin * MINUTE_MS;
