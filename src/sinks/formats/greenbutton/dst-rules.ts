import { offsetMinutes } from '../../../util/time-zone.js';

/** ESPI's value for "no DST rule" (DstRuleType: rule processing disabled). */
export const NO_DST_RULE = 'FFFFFFFF';

/** ESPI LocalTimeParameters (TimeConfiguration): the zone's standard offset and DST rules of one year. */
export interface LocalTimeParameters {
  /** Standard time's offset from UTC, seconds. */
  readonly tzOffset: number;
  /** DST's offset from standard time, seconds (0 without DST). */
  readonly dstOffset: number;
  /** DstRuleType as 8 hex digits. */
  readonly dstStartRule: string;
  readonly dstEndRule: string;
}

const DAY_MS = 86_400_000;
const known = new Map<string, LocalTimeParameters>();

/**
 * The LocalTimeParameters of `timeZone` in `year`, found from the zone's own transitions (the platform's time zone
 * data), encoded as ESPI's DstRuleType (espi-usage-3.3.xsd): bits 0-11 seconds, 12-16 hours, 17-19 day of the week
 * (Monday 1 .. Sunday 7), 20-24 day of the month (0: not used), 25-27 operator, 28-31 month. A change on the n-th
 * such weekday of its month is operator n + 1 (2 first .. 4 third); one in the month's last seven days (a fourth or
 * fifth) is operator 7, the last (so the EU's "last Sunday" holds in every year). The time is the wall clock just
 * before the change, as the
 * ESPI sample's North American rules (0x360E2000: second Sunday of March, 02:00; 0xB40E2000: first Sunday of
 * November, 02:00). A zone without DST in that year has rules FFFFFFFF and dstOffset 0.
 */
export function localTimeParameters(timeZone: string, year: number): LocalTimeParameters {
  const key = `${timeZone} ${year}`;
  let found = known.get(key);
  if (!found) {
    found = derive(timeZone, year);
    known.set(key, found);
  }
  return found;
}

function derive(timeZone: string, year: number): LocalTimeParameters {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const offsets: { at: number; before: number; after: number }[] = [];
  let previous = offsetMinutes(timeZone, start);
  // Scan day by day (changes are months apart), then narrow each change to the minute.
  for (let t = start + DAY_MS; t <= end; t += DAY_MS) {
    const now = offsetMinutes(timeZone, t);
    if (now === previous) continue;
    let lo = t - DAY_MS;
    let hi = t;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetMinutes(timeZone, mid) === previous) lo = mid;
      else hi = mid;
    }
    offsets.push({ at: hi, before: previous, after: now });
    previous = now;
  }
  const forward = offsets.find((o) => o.after > o.before);
  const back = offsets.find((o) => o.after < o.before);
  if (!forward || !back) {
    return { tzOffset: offsetMinutes(timeZone, start) * 60, dstOffset: 0, dstStartRule: NO_DST_RULE, dstEndRule: NO_DST_RULE };
  }
  return {
    tzOffset: forward.before * 60,
    dstOffset: (forward.after - forward.before) * 60,
    dstStartRule: rule(forward.at, forward.before),
    dstEndRule: rule(back.at, back.before),
  };
}

/** The DstRuleType of a change at instant `at`, in the wall time of the offset before it. */
function rule(at: number, offsetBefore: number): string {
  const wall = new Date(at + offsetBefore * 60_000);
  const month = wall.getUTCMonth() + 1;
  const day = wall.getUTCDate();
  const weekday = wall.getUTCDay() === 0 ? 7 : wall.getUTCDay();
  const daysInMonth = new Date(Date.UTC(wall.getUTCFullYear(), month, 0)).getUTCDate();
  const occurrence = Math.floor((day - 1) / 7) + 1;
  const operator = day + 7 > daysInMonth && occurrence >= 4 ? 7 : occurrence + 1;
  const seconds = wall.getUTCMinutes() * 60 + wall.getUTCSeconds();
  const value = ((month << 28) | (operator << 25) | (0 << 20) | (weekday << 17) | (wall.getUTCHours() << 12) | seconds) >>> 0;
  return value.toString(16).toUpperCase().padStart(8, '0');
}

/** Decodes a DstRuleType (tests, the reader): the fields above. */
export function decodeRule(hex: string): { month: number; operator: number; dayOfMonth: number; weekday: number; hours: number; seconds: number } {
  const v = Number.parseInt(hex, 16);
  return { month: (v >>> 28) & 0xf, operator: (v >>> 25) & 7, dayOfMonth: (v >>> 20) & 0x1f, weekday: (v >>> 17) & 7, hours: (v >>> 12) & 0x1f, seconds: v & 0xfff };
}
