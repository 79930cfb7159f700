import { ForgeError } from '../../util/forge-error.js';
import { redactUrl } from '../../util/service-url.js';

/**
 * Names and URLs of the Postgres sink, checked without loading the client library, so the option schema
 * (jobs/output-options.ts) can validate them at the boundary (invariant 5) and the sink can check them again before
 * connecting.
 */

export const DEFAULT_PG_TABLE = 'ami_readings';
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
