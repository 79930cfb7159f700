/** "000" to "999": the three ASCII digits of each number below 1000, at three times the number. */
const DIGITS = Uint8Array.from({ length: 3000 }, (_, i) => String(Math.floor(i / 3)).padStart(3, '0').charCodeAt(i % 3));
/** How many of a fraction's three digits (its thousandths, 0-999) are written: trailing zeros dropped, at least one. */
const FRACTION_DIGITS = Uint8Array.from({ length: 1000 }, (_, f) => (f % 100 === 0 ? 1 : f % 10 === 0 ? 2 : 3));

/** Writers take thousandths below this through `writeThousandths` (values below 1000 in size). */
export const THOUSANDTHS_LIMIT = 1_000_000;

/**
 * `k / 1000` in plain decimal for an integer 0 <= k < THOUSANDTHS_LIMIT, trailing fractional zeros dropped: a whole
 * number as `13.0` when `pointZero` (DuckDB's text of a double), as `13` otherwise (JSON's). The digits come from a
 * table three at a time, with no division by 10 (the values meters report: usage, voltage, power factor,
 * temperature). Returns the offset after the text; writes nothing beyond it.
 */
export function writeThousandths(out: Uint8Array, at: number, k: number, pointZero: boolean): number {
  const whole = (k / 1000) | 0;
  const frac = k - whole * 1000;
  const w = whole * 3;
  if (whole >= 100) out[at++] = DIGITS[w]!;
  if (whole >= 10) out[at++] = DIGITS[w + 1]!;
  out[at++] = DIGITS[w + 2]!;
  if (frac === 0 && !pointZero) return at;
  const f = frac * 3;
  const n = FRACTION_DIGITS[frac]!;
  out[at] = 0x2e;
  out[at + 1] = DIGITS[f]!;
  if (n > 1) {
    out[at + 2] = DIGITS[f + 1]!;
    if (n > 2) out[at + 3] = DIGITS[f + 2]!;
  }
  return at + 1 + n;
}
