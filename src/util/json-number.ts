import { writeAscii } from './write-ascii.js';

/** ".001" to ".999" for thousandths, trailing zeros dropped ("" for none, ".5" for 500). */
const THOUSANDTHS = Array.from({ length: 1000 }, (_, k) => (k === 0 ? '' : `.${String(k).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * A number as JSON.stringify writes it (the shortest text that reads back as the same double; `null` for NaN and the
 * infinities), fast for the values meters report: a multiple of 0.001 from 1e-3 to 1e12 in size is laid out from its
 * thousandths, the rest goes to `String` (V8's shortest round trip, about 150 ns a value).
 *
 * Why the layout is exact: when `k / 1000 === n` for an integer k, n is the double nearest the decimal k/1000 (the
 * division is correctly rounded), so that decimal reads back as n; and it is the shortest that does, because two
 * different decimals of at most 15 significant digits never read back as the same double (k < 1e15 here). JSON and
 * `String` write a number from 1e-6 up to 1e21 in plain decimal notation, as this does. A test holds the two equal
 * over generated values.
 */
export function jsonNumber(n: number): string {
  const a = n < 0 ? -n : n;
  if (a >= 0.001 && a < 1e12) {
    const k = Math.round(a * 1000);
    if (k / 1000 === a) {
      const whole = Math.floor(k / 1000);
      const text = `${whole}${THOUSANDTHS[k - whole * 1000]!}`;
      return n < 0 ? `-${text}` : text;
    }
  }
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * The most bytes `writeJsonNumber` writes: `String` of a double is at most 25 characters, a sign and 17 significant
 * digits after the five zeros of a value just above 1e-6 ("-0.0000010719945750051053").
 */
export const MAX_JSON_NUMBER_BYTES = 25;

/**
 * `jsonNumber(n)` written as ASCII bytes into `out` at `at` (room for MAX_JSON_NUMBER_BYTES assumed); returns the offset
 * after it. The values meters report are laid out digit by digit, with no string made; the rest is `String`'s text.
 */
export function writeJsonNumber(n: number, out: Uint8Array, at: number): number {
  const a = n < 0 ? -n : n;
  if (a >= 0.001 && a < 1e12) {
    const k = Math.round(a * 1000);
    if (k / 1000 === a) {
      if (n < 0) out[at++] = 0x2d;
      let whole = Math.floor(k / 1000);
      const frac = k - whole * 1000;
      let end = at + 1;
      for (let p = 10; p <= whole; p *= 10) end++;
      for (let i = end - 1; i >= at; i--) {
        const q = Math.floor(whole / 10);
        out[i] = 0x30 + whole - q * 10;
        whole = q;
      }
      at = end;
      if (frac !== 0) {
        const tens = Math.floor(frac / 10);
        out[at++] = 0x2e;
        out[at++] = 0x30 + Math.floor(frac / 100);
        if (frac % 100 !== 0) out[at++] = 0x30 + (tens % 10);
        if (frac % 10 !== 0) out[at++] = 0x30 + (frac - tens * 10);
      }
      return at;
    }
  }
  return writeAscii(Number.isFinite(n) ? String(n) : 'null', out, at);
}
