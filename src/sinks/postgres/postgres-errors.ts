import { errorText } from '../../util/error-text.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';

/**
 * What the Postgres sink makes of a failure: a lost connection (the batch goes again on a new one) or an error in what
 * was sent (the write fails at once), and the coded errors it reports either way.
 */

export const POSTGRES_SINK = 'postgres';

const UNIQUE_VIOLATION = '23505';

/** SQLSTATEs after which the same batch can go through on a new connection. */
const RETRY_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, server stopping
  '57014', // query_canceled: statement_timeout, e.g. waiting on the locks of a hung session
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: server starting up or in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const RETRY_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

const errorCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A row whose key the table already holds: the direct COPY of a batch falls back to the staged way. */
export const isUniqueViolation = (e: unknown): boolean => errorCode(e) === UNIQUE_VIOLATION;

/** A lost or refused connection (retry on a new one), as opposed to an error in what was sent (fail fast). */
export function isConnectionError(e: unknown): boolean {
  if (isForgeError(e) || !(e instanceof Error)) return false;
  const code = errorCode(e);
  if (code !== undefined && (code.startsWith('08') || RETRY_SQLSTATES.has(code) || RETRY_ERRNOS.has(code))) return true;
  return /Connection terminated|not queryable|timeout expired|Connection ended/i.test(e.message);
}

/** Any other failure of `open` or a write, naming the table and the server (password redacted). */
export const writeFailed = (target: string, shownUrl: string, e: unknown): ForgeError =>
  new ForgeError('FORGE_ERR_SINK_WRITE', [POSTGRES_SINK, `${target} in ${shownUrl}: ${errorText(e)}`], { cause: e });

/** The first connection, in `open`, failed: nothing is retried before the job has started. */
export const connectFailed = (shownUrl: string, e: unknown): ForgeError =>
  new ForgeError('FORGE_ERR_SINK_CONNECT', [POSTGRES_SINK, shownUrl, errorText(e)], { cause: e });

/** A batch still not through `waitedMs` after its first lost connection: the job fails with what was last seen. */
export const connectionLost = (shownUrl: string, sequence: number, waitedMs: number, e: unknown): ForgeError =>
  new ForgeError(
    'FORGE_ERR_SINK_CONNECT',
    [POSTGRES_SINK, shownUrl, `lost the connection and could not write batch ${sequence} within ${Math.round(waitedMs / 1000)} s: ${errorText(e)}`],
    { cause: e },
  );

/** A write cut short because the sink was aborted (a stop past its grace, a job that failed elsewhere). */
export const writeInterrupted = (cause?: unknown): ForgeError =>
  new ForgeError('FORGE_ERR_SINK_STATE', [POSTGRES_SINK, 'write interrupted by abort'], cause === undefined ? undefined : { cause });
