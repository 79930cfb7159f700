import { ForgeError } from '../../util/forge-error.js';
import { redactUrl } from '../../util/service-url.js';

/**
 * Names and URLs of the Postgres sink, checked without loading the client library, so the option schema
 * (jobs/output-options.ts) can validate them at the boundary (invariant 5) and the sink can check them again before
 * connecting.
 */

export const DEFAULT_PG_TABLE = 'ami_readings';

/** What a write does with keys the table already holds: see PostgresSinkOptions.onConflict. */
export const ON_CONFLICT_MODES = ['error', 'skip', 'replace'] as const;
export type OnConflict = (typeof ON_CONFLICT_MODES)[number];
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A plain, unquoted-safe Postgres name: lower-case letters, digits and underscores, at most 63 bytes (NAMEDATALEN - 1).
 * Lower case only, so the quoted name and the name a user types unquoted in psql are the same table.
 */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const IDENTIFIER_RULE = 'expected lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters';

/** The double-quoted form of a plain name, after checking it (never paste an unchecked name into SQL). */
export function quotePgIdentifier(name: string): string {
  if (!PG_IDENTIFIER.test(name)) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [name, IDENTIFIER_RULE]);
  return `"${name}"`;
}

export interface PgTableName {
  readonly schema: string | undefined;
  readonly table: string;
}

/** `table` or `schema.table`, each part a plain name; throws FORGE_ERR_INVALID_IDENTIFIER otherwise. */
export function parsePgTableName(text: string): PgTableName {
  const parts = text.split('.');
  if (parts.length > 2) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [text, 'expected a table name or schema.table']);
  for (const part of parts) quotePgIdentifier(part);
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: undefined, table: parts[0]! };
}

/** Checks a connection URL's form: postgres:// or postgresql://, parseable. Returns a problem or undefined. */
export function pgUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL (expected postgres://user@host:port/database)';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `expected a postgres:// or postgresql:// URL, not ${parsed.protocol}//`;
  }
  return undefined;
}

/** The URL as it may be shown (errors, job summaries): see redactUrl. */
export const redactPgUrl = redactUrl;

/** The URL used when none is given: FORGE_PG_URL, then DATABASE_URL, then the local server as user postgres. */
export function defaultPgUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.FORGE_PG_URL || env.DATABASE_URL || DEFAULT_PG_URL;
}

/** Checks `table` or `schema.table` without throwing: the problem, or undefined. */
export function pgTableProblem(text: string): string | undefined {
  try {
    parsePgTableName(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Timeouts and keepalive of the sink's connections. A Postgres server that stops answering (a hung or SIGSTOPped
 * backend, a dead network path) must never freeze a job: without them a write waits for ever, the sink still says
 * `ok`, and a stop waits with it.
 */
export interface PgConnectionSettings {
  /** Time allowed to establish one connection (pg connectionTimeoutMillis). */
  readonly connectTimeoutMs: number;
  /** TCP keepalive on every connection, first probe after this idle time (pg keepAliveInitialDelayMillis). */
  readonly keepAliveInitialDelayMs: number;
  /** Server side: a statement running longer is cancelled by the server (statement_timeout); 0 = no limit. */
  readonly statementTimeoutMs: number;
  /**
   * Client side: a query (COPY included) the server has not answered for this long closes the connection, which
   * turns the sink degraded and retries the batch on a new one (the query_timeout the sink enforces itself: see
   * pg-answer-watch.ts); 0 = no limit. Longer than the statement timeout, so a server that still works cancels first.
   */
  readonly queryTimeoutMs: number;
  /** Server side: a session idle inside a transaction this long is ended (idle_in_transaction_session_timeout). */
  readonly idleInTransactionTimeoutMs: number;
  /** After the job's stop request, how long a write may still take before the sink cuts its connections. */
  readonly stopGraceMs: number;
}

export const DEFAULT_PG_CONNECTION: PgConnectionSettings = {
  connectTimeoutMs: 10_000,
  keepAliveInitialDelayMs: 10_000,
  statementTimeoutMs: 30_000,
  queryTimeoutMs: 35_000,
  idleInTransactionTimeoutMs: 60_000,
  stopGraceMs: 5_000,
};

/** The environment variable of each setting (whole milliseconds). */
export const PG_CONNECTION_ENV: Readonly<Record<keyof PgConnectionSettings, string>> = {
  connectTimeoutMs: 'FORGE_PG_CONNECT_TIMEOUT_MS',
  keepAliveInitialDelayMs: 'FORGE_PG_KEEPALIVE_DELAY_MS',
  statementTimeoutMs: 'FORGE_PG_STATEMENT_TIMEOUT_MS',
  queryTimeoutMs: 'FORGE_PG_QUERY_TIMEOUT_MS',
  idleInTransactionTimeoutMs: 'FORGE_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  stopGraceMs: 'FORGE_PG_STOP_GRACE_MS',
};

/** Settings that must be positive (0 would mean "wait for ever" where waiting for ever is the bug). */
const POSITIVE = new Set<keyof PgConnectionSettings>(['connectTimeoutMs', 'keepAliveInitialDelayMs', 'stopGraceMs']);
const MAX_MS = 86_400_000;

/**
 * The connection settings: the defaults, then the FORGE_PG_*_MS variables, then `overrides` (the sink's options).
 * A variable that is not whole milliseconds in range is refused (FORGE_ERR_INVALID_CONFIG naming it).
 */
export function pgConnectionSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<PgConnectionSettings> = {}): PgConnectionSettings {
  const settings: Record<string, number> = { ...DEFAULT_PG_CONNECTION };
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULT_PG_CONNECTION) as (keyof PgConnectionSettings)[]) {
    const name = PG_CONNECTION_ENV[key];
    const text = env[name];
    const value = overrides[key] ?? (text === undefined || text.trim() === '' ? undefined : Number(text.trim()));
    if (value === undefined) continue;
    const min = POSITIVE.has(key) ? 1 : 0;
    if (!Number.isInteger(value) || value < min || value > MAX_MS) {
      problems.push(`${overrides[key] !== undefined ? key : name} "${String(overrides[key] ?? text)}": expected whole milliseconds from ${min} to ${MAX_MS}`);
      continue;
    }
    settings[key] = value;
  }
  if (problems.length > 0) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [problems.join('; ')]);
  return settings as unknown as PgConnectionSettings;
}
