import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsoInstants } from '../../src/util/iso-instant.js';

const LIMIT = 8.64e15;

describe('IsoInstants', () => {
  it("writes each instant as toISOString does, in runs that share minutes or not, over every year a Date holds", () => {
    const start = fc.oneof(fc.integer({ min: -LIMIT, max: LIMIT }), fc.integer({ min: -4e12, max: 4e12 }), fc.constantFrom(-LIMIT, LIMIT, 0, -1, 253_402_300_799_999));
    const steps = fc.array(fc.oneof(fc.integer({ min: -5, max: 1_500 }), fc.double({ min: -1e5, max: 1e5, noNaN: true })), { maxLength: 40 });
    fc.assert(
      fc.property(start, steps, (first, deltas) => {
        const texts = new IsoInstants();
        let ms = first;
        for (const d of [0, ...deltas]) {
          ms = Math.max(-LIMIT, Math.min(LIMIT, ms + d));
          expect(texts.of(ms)).toBe(new Date(ms).toISOString());
        }
      }),
      { seed: 20261210, numRuns: 3_000 },
    );
  });

  it('throws what toISOString throws for a time a Date cannot hold', () => {
    for (const ms of [Number.NaN, Infinity, LIMIT + 1, -LIMIT - 1]) expect(() => new IsoInstants().of(ms)).toThrow(RangeError);
  });
});
