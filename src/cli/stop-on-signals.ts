/**
 * The exit code of a job that SIGINT or SIGTERM stopped before it finished: 128 + SIGINT, what a shell reports for
 * Ctrl-C. SIGTERM gets the same code on purpose: the job stopped gracefully either way, and a script or an
 * orchestrator (a Kubernetes Job) needs one code that says "not finished" rather than one per signal.
 */
export const INTERRUPTED_EXIT_CODE = 130;

export interface SignalStop {
  /** Aborted by the first SIGINT or SIGTERM: the job stops gracefully (flush, close, record) when it sees it. */
  readonly signal: AbortSignal;
  /** Stops listening for the signals; call once the job has ended. */
  release(): void;
}

/**
 * Listens for SIGINT and SIGTERM while a job runs. Each is taken once: a second Ctrl-C during a slow stop finds no
 * listener and ends the process at once (Node's default), for someone who will not wait for the flush.
 */
export function stopOnSignals(): SignalStop {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
