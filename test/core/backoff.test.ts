import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../src/util/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    const policy = { baseMs: 100, capMs: 2_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, policy))).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
    // Far past the point where 2 ** attempt is Infinity, the wait is still the cap, a number.
    expect(backoffDelay(5_000, policy)).toBe(2_000);
  });

  it("with 'half' jitter draws from half of the wait to all of it, never beyond the cap", () => {
    const policy = { baseMs: 250, capMs: 10_000, jitter: 'half' } as const;
    const asked: number[] = [];
    const lowest = (n: number): number => (asked.push(n), 0);
    const highest = (n: number): number => n - 1;
    expect(backoffDelay(1, policy, lowest)).toBe(125);
    expect(backoffDelay(1, policy, highest)).toBe(250);
    expect(backoffDelay(3, policy, lowest)).toBe(500);
    expect(backoffDelay(3, policy, highest)).toBe(1_000);
    expect(backoffDelay(20, policy, highest)).toBe(10_000);
    expect(backoffDelay(20, policy, lowest)).toBe(5_000);
    // The draw is asked for the whole width of the range, one more than half the wait.
    expect(asked).toEqual([126, 501, 5_001]);
  });

  it('jitters with the real draw inside the same range', () => {
    const policy = { baseMs: 100, capMs: 1_000, jitter: 'half' } as const;
    for (let i = 0; i < 200; i++) {
      const wait = backoffDelay(4, policy);
      expect(wait).toBeGreaterThanOrEqual(400);
      expect(wait).toBeLessThanOrEqual(800);
    }
  });

  it('refuses an attempt that is not a positive integer', () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) expect(() => backoffDelay(attempt, { baseMs: 1, capMs: 1 }), String(attempt)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('resolves after its wait', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it('returns at once for a signal already aborted, and ends a wait when the signal fires', async () => {
    // An hour-long wait: the test would time out if either sleep waited it out.
    const aborted = AbortSignal.abort();
    await expect(sleep(3_600_000, aborted)).resolves.toBeUndefined();
    const stop = new AbortController();
    const waiting = sleep(3_600_000, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
