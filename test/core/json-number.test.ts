import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNumber, MAX_JSON_NUMBER_BYTES, writeJsonNumber } from '../../src/util/json-number.js';

/** Meter-like values (multiples of 0.1, 0.01, 0.001 and 0.0001 of any sign and size, thousandths below 1000), values near the fast paths' ends and the odd ones. */
const values = fc.oneof(
  fc.double(),
  fc.tuple(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.constantFrom(1, 10, 100, 1000, 10000)).map(([k, d]) => k / d),
  fc.tuple(fc.double({ min: 0.0005, max: 0.002 }), fc.boolean()).map(([v, neg]) => (neg ? -v : v)),
  // Thousandths below 1000 in size (what meters report; the digit table's path) and just beyond.
  fc.integer({ min: -1_000_010, max: 1_000_010 }).map((k) => k / 1000),
  fc.double({ min: 1e11, max: 1e13 }),
  fc.constantFrom(0, -0, 0.001, -0.001, 0.0009999, 999_999_999_999.999, 1e12, 1e12 - 0.001, 999.999, -999.999, 1000, 1000.001, 9.99, 10, 99.9, 100, 100.05, 0.1 + 0.2, 5e-324, Number.MAX_VALUE, Number.NaN, Infinity, -Infinity),
);

describe('jsonNumber', () => {
  it('writes every number as JSON.stringify does, the values meters report and any other', () => {
    fc.assert(
      fc.property(values, (n) => {
        expect(jsonNumber(n)).toBe(JSON.stringify(n));
      }),
      { seed: 20261209, numRuns: 200_000 },
    );
  });

  it('writes the same text as bytes, at any offset, within MAX_JSON_NUMBER_BYTES, and nothing beyond', () => {
    const out = Buffer.alloc(64);
    fc.assert(
      fc.property(values, fc.integer({ min: 0, max: 64 - MAX_JSON_NUMBER_BYTES }), (n, at) => {
        out.fill(0xff);
        const end = writeJsonNumber(n, out, at);
        expect(out.toString('latin1', at, end)).toBe(JSON.stringify(n));
        expect(end - at).toBeLessThanOrEqual(MAX_JSON_NUMBER_BYTES);
        expect([...out.subarray(0, at), ...out.subarray(end)].every((byte) => byte === 0xff)).toBe(true);
      }),
      { seed: 20261211, numRuns: 200_000 },
    );
  });
});
