/**
 * Time-zone arithmetic on epoch milliseconds, using the platform's IANA database (Intl), so daylight-saving rules
 * are the real ones. "Wall-clock milliseconds" are local date-time fields encoded as if they were UTC: convenient to
 * format and to store as a TIMESTAMP without zone.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the platform knows the zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset in minutes (local = utc + offset) at the given instant. */
export function offsetMinutes(timeZone: string, utcMs: number): number {
  const parts = formatter(timeZone).formatToParts(new Date(utcMs));
  const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / MINUTE_MS);
}

/** Wall-clock milliseconds at the given instant. */
export function toWallClockMs(timeZone: string, utcMs: number): number {
  return utcMs + offsetMinutes(timeZone, utcMs) * MINUTE_MS;
}

/**
 * The instant of a local midnight. Midnight exists in every zone this product uses; where a zone skips midnight the
 * first instant after the gap is returned.
 */
export function localMidnightUtcMs(timeZone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes converge for any fixed-offset-per-day zone: guess with the offset at the wall time, then correct.
  let utc = wall - offsetMinutes(timeZone, wall) * MINUTE_MS;
  utc = wall - offsetMinutes(timeZone, utc) * MINUTE_MS;
  return utc;
}

/** YYYY-MM-DD of a wall-clock or UTC millisecond value (read as UTC fields). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** "YYYY-MM-DD HH:MM:SS" of a wall-clock or UTC millisecond value (read as UTC fields). */
export function isoDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
