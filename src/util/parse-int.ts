import { ForgeError } from './forge-error.js';

/** The integers a setting accepts: at least `min`, at most `max` (default: any safe integer). */
export interface IntRange {
  readonly min: number;
  readonly max?: number;
}

/**
 * The integer a text spells in decimal digits, with an optional leading minus, or null for anything else: '', ' 7',
 * '1.5', '1e3', '0x10', '7 meters', or a value beyond 2^53 (it would not be the integer written). `Number()` alone
 * takes '', ' ', '1e3' and '0x10' as numbers, which is why settings read from text go through here.
 */
export function readInt(text: string | null | undefined): number | null {
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return null;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return null;
  // '-0' is zero; a negative zero would print as 0 and compare equal, yet divide differently.
  return value === 0 ? 0 : value;
}

/**
 * An integer setting given as text (an environment variable, a flag, a query parameter), surrounding spaces allowed:
 * the integer, or FORGE_ERR_INVALID_CONFIG naming the setting and what it accepts.
 */
export function parseIntSetting(text: string, what: string, range: IntRange): number {
  const value = readInt(text.trim());
  if (value === null) throw invalid(what, range, JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text));
  return checkInt(value, what, range);
}

/** An integer setting given as a number (a sink option): the value, or FORGE_ERR_INVALID_CONFIG naming the setting. */
export function checkInt(value: unknown, what: string, range: IntRange): number {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > max) throw invalid(what, range, String(value));
  return value;
}

function invalid(what: string, range: IntRange, shown: string): ForgeError {
  return new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${what} must be ${accepted(range)}, not ${shown}`]);
}

function accepted({ min, max }: IntRange): string {
  if (max !== undefined) return `an integer from ${min} to ${max}`;
  return min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
}
