/**
 * A DOUBLE as DuckDB writes it as text (`CAST(x AS VARCHAR)`, which its CSV writer uses): the shortest decimal that
 * reads back as the same double, laid out like Python's `repr` — fixed notation with at least one fractional digit
 * (`13.0`, `0.091`) for decimal exponents -4 to 15, else `d[.ddd]e±XX` (`1e-05`, `1.5e+16`); `nan`, `inf`, `-inf`,
 * `-0.0`; a NaN whose sign bit is set is `-nan` (the caller reads that bit from the column: a JavaScript NaN value
 * does not show it). A property test holds it to DuckDB's own text over random and edge values.
 *
 * ECMAScript's Number-to-string gives the same shortest digits (both pick the closest of the shortest candidates);
 * only the layout differs, so the general path re-lays JavaScript's digits. The fast path covers the generator's
 * values, which are rounded to at most three decimals: for such a value v = r / 1000 (r an integer below 10^15), the
 * decimal r / 1000 has at most 15 significant digits, so no other decimal that short reads back as v, and it is the
 * shortest one.
 */
export function writeDoubleText(out: Uint8Array, pos: number, v: number, signedNaN = false): number {
  const a = v < 0 ? -v : v;
  if (a >= 0.001 && a < 1e12) {
    const r = Math.round(a * 1000);
    if (r / 1000 === a) {
      if (v < 0) out[pos++] = 45;
      return writeMillis(out, pos, r);
    }
  }
  return writeAscii(out, pos, doubleText(v, signedNaN));
}

/** "000" to "999": three ASCII digits for each number below 1000, at three times the number. */
const DIGITS = Uint8Array.from({ length: 3000 }, (_, i) => String(Math.floor(i / 3)).padStart(3, '0').charCodeAt(i % 3));
/** How many of a fraction's three digits (thousandths) are written: trailing zeros dropped, one kept. */
const FRACTION_DIGITS = Uint8Array.from({ length: 1000 }, (_, f) => (f % 100 === 0 ? 1 : f % 10 === 0 ? 2 : 3));

/**
 * `r / 1000` in fixed notation, trailing fractional zeros dropped but one kept. r >= 1. The fraction, and a whole
 * part below 1000 (every value the generator makes), come from the digit table, without a division by 10.
 */
function writeMillis(out: Uint8Array, pos: number, r: number): number {
  // Below 2^31 an integer division (`| 0`) is cheaper than Math.floor's.
  const whole = r < 1_000_000 ? (r / 1000) | 0 : Math.floor(r / 1000);
  const frac = r - whole * 1000;
  if (whole < 1000) {
    const w = whole * 3;
    if (whole >= 100) out[pos++] = DIGITS[w]!;
    if (whole >= 10) out[pos++] = DIGITS[w + 1]!;
    out[pos++] = DIGITS[w + 2]!;
  } else {
    pos = writeUint(out, pos, whole);
  }
  out[pos++] = 46;
  const f = frac * 3;
  const n = FRACTION_DIGITS[frac]!;
  out[pos] = DIGITS[f]!;
  if (n > 1) {
    out[pos + 1] = DIGITS[f + 1]!;
    if (n > 2) out[pos + 2] = DIGITS[f + 2]!;
  }
  return pos + n;
}

/** A non-negative integer below 2^53 in decimal. */
export function writeUint(out: Uint8Array, pos: number, n: number): number {
  if (n < 10) {
    out[pos] = 48 + n;
    return pos + 1;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  const end = pos + digits;
  for (let i = end - 1; i >= pos; i--) {
    const q = Math.floor(n / 10);
    out[i] = 48 + (n - q * 10);
    n = q;
  }
  return end;
}

function writeAscii(out: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[pos++] = text.charCodeAt(i);
  return pos;
}

/** The text of `writeDoubleText`, as a string (the general path; also what tests compare). */
export function doubleText(v: number, signedNaN = false): string {
  if (Number.isNaN(v)) return signedNaN ? '-nan' : 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  // toExponential() without digits: the shortest digits that read back as v, as d.ddde±x.
  const [mantissa, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const x = Math.abs(e);
    return `${sign}${m}e${e < 0 ? '-' : '+'}${x < 10 ? '0' : ''}${x}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.length > e + 1 ? digits.slice(0, e + 1) : digits.padEnd(e + 1, '0');
  const frac = digits.length > e + 1 ? digits.slice(e + 1) : '0';
  return `${sign}${whole}.${frac}`;
}
