import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilFromDays } from '../../src/util/civil-date.js';

describe('civilFromDays', () => {
  it("is the UTC date a Date gives for the day, from year -9999 to 99999 (generated days, and every century's edges)", () => {
    const check = (days: number): void => {
      const date = new Date(days * 86_400_000);
      expect(civilFromDays(days)).toEqual({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() });
    };
    fc.assert(fc.property(fc.integer({ min: -4_371_587, max: 35_804_000 }), (days) => check(days)), { seed: 20261207, numRuns: 5_000 });
    for (let year = -400; year <= 2400; year += 100) {
      const first = Date.UTC(year, 0, 1) / 86_400_000;
      for (const days of [first - 1, first, first + 58, first + 59, first + 60]) check(days);
    }
  });
});
