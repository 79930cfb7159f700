import { offsetMinutes } from '../../util/time-zone.js';

/**
 * Values as exchange formats write them, exactly: usage_kwh is generated rounded to 0.001 kWh (integer watt-hours),
 * so it is written as integer Wh, or as kWh with three decimals made from those integers (never through a float's
 * shortest text, which could print 0.30000000000000004), and read back as Wh / 1000, which is the very double the
 * generator's rounding gives.
 */

/** A usage in kWh as integer watt-hours. */
export const wattHours = (kwh: number): number => Math.round(kwh * 1000) + 0;

/** Integer watt-hours as kWh with exactly three decimals: 1234 -> "1.234", -5 -> "-0.005", 0 -> "0.000". */
export function kwhText(wh: number): string {
  const abs = Math.abs(wh);
  const text = `${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
  return wh < 0 ? `-${text}` : text;
}

/** Text of kWh with three decimals (or fewer) back to integer watt-hours; NaN when it is not a number. */
export const wattHoursOf = (text: string): number => (/^-?\d+(\.\d{1,3})?$/.test(text) ? Math.round(Number(text) * 1000) + 0 : Number.NaN);

/** Volts to 0.1 V (as generated) with one decimal: 119.3 -> "119.3", 0 -> "0.0". */
export const voltText = (v: number): string => (Math.round(v * 10) / 10).toFixed(1);

/**
 * An instant as ISO 8601 local time with its UTC offset in the zone, to the second: `2026-03-08T03:15:00-05:00`.
 * `cache` keeps each instant's text (a group's meters share their interval instants; the zone lookup is slow).
 */
export function localInstantText(timeZone: string, utcMs: number, cache?: Map<number, string>): string {
  const known = cache?.get(utcMs);
  if (known !== undefined) return known;
  const offset = offsetMinutes(timeZone, utcMs);
  const wall = new Date(utcMs + offset * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  const text = `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  cache?.set(utcMs, text);
  return text;
}

/** An ISO 8601 instant with an offset (or Z) as epoch milliseconds; NaN when it is not one. */
export function instantMs(text: string): number {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
}
