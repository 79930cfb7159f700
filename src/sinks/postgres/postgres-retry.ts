import { backoffDelay, sleep } from '../../util/backoff.js';

export interface PostgresRetryOptions {
  /** First wait after a lost connection. Default 100 ms; each further wait doubles. */
  readonly initialDelayMs?: number;
  /** Longest single wait. Default 5 s. */
  readonly maxDelayMs?: number;
  /** Give up (FORGE_ERR_SINK_CONNECT) when a batch has not gone through this long after its first failure. Default 60 s. */
  readonly maxRetryMs?: number;
}

export type RetryPolicy = Required<PostgresRetryOptions>;

export const retryPolicy = (options: PostgresRetryOptions = {}): RetryPolicy => ({
  initialDelayMs: options.initialDelayMs ?? 100,
  maxDelayMs: options.maxDelayMs ?? 5_000,
  maxRetryMs: options.maxRetryMs ?? 60_000,
});

/** One batch's way through lost connections: what to try, and what each kind of ending is reported as. */
export interface RetryRound<T> {
  /** One attempt at the batch, on the open connection or a new one. */
  readonly attempt: () => Promise<T>;
  /**
   * Looks at a failed attempt: the error to fail with at once (anything but a lost connection, or the sink aborted
   * meanwhile), or null when the connection was lost and the batch is to go again.
   */
  readonly failed: (e: unknown) => Promise<Error | null>;
  /** The batch has not gone through within maxRetryMs: `waitedMs` since its first failure, `e` the last one. */
  readonly gaveUp: (e: unknown, waitedMs: number) => Error;
  /** The sink was aborted during a wait. */
  readonly interrupted: (e: unknown) => Error;
}

/**
 * Runs `round.attempt` until it succeeds, waiting between attempts after lost connections (util/backoff.ts):
 * doubling from initialDelayMs, each wait at most maxDelayMs, and no wait that would end past maxRetryMs after the
 * first failure (the round gives up instead). An abort of `signal` ends a wait at once.
 */
export async function retryLostConnections<T>(policy: RetryPolicy, signal: AbortSignal, round: RetryRound<T>): Promise<T> {
  const backoff = { baseMs: policy.initialDelayMs, capMs: policy.maxDelayMs };
  let firstFailure: number | null = null;
  for (let failures = 1; ; failures++) {
    try {
      return await round.attempt();
    } catch (e) {
      const fatal = await round.failed(e);
      if (fatal) throw fatal;
      const now = performance.now();
      firstFailure ??= now;
      const delayMs = backoffDelay(failures, backoff);
      if (now - firstFailure + delayMs > policy.maxRetryMs) throw round.gaveUp(e, now - firstFailure);
      await sleep(delayMs, signal);
      if (signal.aborted) throw round.interrupted(e);
    }
  }
}
