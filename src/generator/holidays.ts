import { DAY_MS } from '../util/time-zone.js';

/**
 * US federal holidays as observed (a Saturday holiday on the Friday before, a Sunday one on the Monday after): the
 * country of every service area. On these days load follows the Sunday shape.
 */
const cache = new Map<number, Set<number>>();

/** Day number (days since 1970-01-01) of the n-th given weekday (0 = Sunday) of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month - 1, 1) / DAY_MS;
    const firstWeekday = (first + 4) % 7;
    return first + ((weekday - firstWeekday + 7) % 7) + (n - 1) * 7;
  }
  const last = Date.UTC(year, month, 0) / DAY_MS;
  const lastWeekday = (last + 4) % 7;
  return last - ((lastWeekday - weekday + 7) % 7);
}

function observed(day: number): number {
  const weekday = (day + 4) % 7;
  return weekday === 6 ? day - 1 : weekday === 0 ? day + 1 : day;
}

/** The observed federal holidays of a year, as day numbers. */
export function federalHolidays(year: number): Set<number> {
  let days = cache.get(year);
  if (!days) {
    const fixed = (month: number, day: number): number => observed(Date.UTC(year, month - 1, day) / DAY_MS);
    days = new Set([
      fixed(1, 1), // New Year's Day
      nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
      nthWeekday(year, 2, 1, 3), // Washington's Birthday
      nthWeekday(year, 5, 1, -1), // Memorial Day
      fixed(7, 4), // Independence Day
      nthWeekday(year, 9, 1, 1), // Labor Day
      nthWeekday(year, 10, 1, 2), // Columbus Day
      fixed(11, 11), // Veterans Day
      nthWeekday(year, 11, 4, 4), // Thanksgiving
      fixed(12, 25), // Christmas Day
    ]);
    // Juneteenth has been a federal holiday since 2021 (first observed on 18 June 2021).
    if (year >= 2021) days.add(fixed(6, 19));
    cache.set(year, days);
  }
  return days;
}

/** True when a local day number is an observed US federal holiday. */
export function isHoliday(localDayNumber: number): boolean {
  const year = new Date(localDayNumber * DAY_MS).getUTCFullYear();
  return federalHolidays(year).has(localDayNumber) || federalHolidays(year + 1).has(localDayNumber);
}
