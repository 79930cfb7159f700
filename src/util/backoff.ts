import { randomInt } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';

/**
 * How long a retry waits: exponential backoff, capped, optionally jittered. A sink states its policy once as data
 * (the brokers' publishes and transactions, the Snowpipe Streaming REST calls, a flush polling for a commit) and asks
 * for the wait before each retry.
 */
export interface BackoffPolicy {
  /** The wait before the first retry, in milliseconds; each later one doubles it. */
  readonly baseMs: number;
  /** No wait is longer than this, in milliseconds. */
  readonly capMs: number;
  /**
   * 'none' (the default): exactly the doubled wait. 'half': a uniform draw from half of it to all of it, so many
   * clients that failed together do not retry together (the usual advice for HTTP 429).
   */
  readonly jitter?: 'none' | 'half';
}

/**
 * A whole number from 0 to n - 1. Jitter only times retries and never touches the data, so it comes from node:crypto,
 * not the seeded generator of util/random.ts; tests pass their own.
 */
export type Draw = (n: number) => number;

/** The wait before retry `attempt` (1 after the first failure, 2 after the second...). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, draw: Draw = randomInt): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`backoff attempt ${attempt} is not a positive integer`);
  // 2 ** a large attempt is Infinity, which the cap turns back into a number.
  const full = Math.min(policy.baseMs * 2 ** (attempt - 1), policy.capMs);
  if (policy.jitter !== 'half') return full;
  const half = full / 2;
  return half + draw(Math.max(1, Math.floor(half) + 1));
}

/**
 * Resolves after `ms`, or as soon as `signal` is aborted (at once when it already is): a stopping sink or loop never
 * waits out a backoff, and no timer outlives it.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await wait(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if (!signal?.aborted) throw e;
  }
}
