import type { Socket } from 'node:net';
import type pg from 'pg';

/** The parts of pg.Client this watch reads (pg 8 keeps them on the client; no public API tells a query's age). */
interface ClientInternals {
  readonly _activeQuery?: unknown;
  readonly _connecting?: boolean;
  readonly connection?: { readonly stream?: Socket };
}

/**
 * Closes a connection whose server has not answered its current query for `timeoutMs`: the query (and every later
 * one) fails with an ETIMEDOUT error, which the sink treats as a lost connection (degraded, retried on a new one).
 *
 * Why not pg's own `query_timeout`: it fails the query's promise but leaves the connection busy with the unanswered
 * query (every later query queues behind it), and a COPY stream never sees it. A server that answers slowly but
 * answers keeps its connection: any byte received restarts the clock. Returns a function that ends the watch.
 */
export function watchAnswers(client: pg.Client, timeoutMs: number): () => void {
  if (timeoutMs <= 0) return () => undefined;
  const internals = client as unknown as ClientInternals;
  const stream = internals.connection?.stream;
  let current: unknown = null;
  let since = performance.now();
  let lastRead = since;
  const onData = (): void => void (lastRead = performance.now());
  stream?.on('data', onData);
  const timer = setInterval(
    () => {
      const active = internals._activeQuery ?? null;
      const now = performance.now();
      if (active !== current) {
        current = active;
        since = now;
      }
      if (active === null || now - Math.max(since, lastRead) < timeoutMs) return;
      stop();
      const error = Object.assign(new Error(`no answer from the Postgres server for ${timeoutMs / 1000} s (a hung server or network); connection closed`), {
        code: 'ETIMEDOUT',
      });
      stream?.destroy(error);
    },
    Math.min(1_000, Math.max(50, Math.floor(timeoutMs / 4))),
  );
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    stream?.off('data', onData);
  };
  return stop;
}

/**
 * Ends a connection politely (Terminate, wait for the server to close) for at most `graceMs`, then destroys the
 * socket: a hung server never answers the Terminate, and `client.end()` alone would wait for ever.
 */
export async function endConnection(client: pg.Client, graceMs: number): Promise<void> {
  const stream = (client as unknown as ClientInternals).connection?.stream;
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stream?.destroy();
      resolve();
    }, graceMs);
    timer.unref();
  });
  try {
    await Promise.race([client.end().catch(() => undefined), cut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Cuts a connection at once (no Terminate): what a stop that cannot wait any longer does. */
export function destroyConnection(client: pg.Client): void {
  (client as unknown as ClientInternals).connection?.stream?.destroy();
}

/** True while the client waits on its server: a query sent and not answered, or the connection being set up. */
export function awaitingAnswer(client: pg.Client): boolean {
  const internals = client as unknown as ClientInternals;
  return (internals._activeQuery ?? null) !== null || internals._connecting === true;
}
