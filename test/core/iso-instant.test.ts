import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsoInstants, MAX_ISO_INSTANT_BYTES } from '../../src/util/iso-instant.js';

const LIMIT = 8.64e15;

describe('IsoInstants', () => {
  it("writes each instant as toISOString does, in runs that share minutes or not, over every year a Date holds", () => {
    const start = fc.oneof(fc.integer({ min: -LIMIT, max: LIMIT }), fc.integer({ min: -4e12, max: 4e12 }), fc.constantFrom(-LIMIT, LIMIT, 0, -1, 253_402_300_799_999));
    const steps = fc.array(fc.oneof(fc.integer({ min: -5, max: 1_500 }), fc.double({ min: -1e5, max: 1e5, noNaN: true })), { maxLength: 40 });
    fc.assert(
      fc.property(start, steps, (first, deltas) => {
        const texts = new IsoInstants();
        const bytes = new IsoInstants();
        const out = Buffer.alloc(MAX_ISO_INSTANT_BYTES + 8);
        let ms = first;
        for (const [i, d] of [0, ...deltas].entries()) {
          ms = Math.max(-LIMIT, Math.min(LIMIT, ms + d));
          const iso = new Date(ms).toISOString();
          expect(texts.of(ms)).toBe(iso);
          // The byte writer, at an offset, and nothing written beyond the text: every other step on the instance that
          // just wrote the string (the two take turns on one minute), the others on one that only writes bytes.
          const at = i % 8;
          out.fill(0xff);
          const end = (i % 2 === 0 ? texts : bytes).write(ms, out, at);
          expect(out.toString('latin1', at, end)).toBe(iso);
          expect([...out.subarray(0, at), ...out.subarray(end)].every((byte) => byte === 0xff)).toBe(true);
        }
      }),
      { seed: 20261210, numRuns: 3_000 },
    );
  });

  it('throws what toISOString throws for a time a Date cannot hold', () => {
    for (const ms of [Number.NaN, Infinity, LIMIT + 1, -LIMIT - 1]) {
      expect(() => new IsoInstants().of(ms)).toThrow(RangeError);
      expect(() => new IsoInstants().write(ms, Buffer.alloc(64), 0)).toThrow(RangeError);
    }
  });
});
