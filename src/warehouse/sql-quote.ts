import { ForgeError } from '../util/forge-error.js';

/**
 * SQL text for DuckDB built from values we do not control (file paths, job ids, table names). Invariant 5: nothing
 * is pasted into SQL unvalidated. Prefer bound parameters; these are for the places DuckDB does not accept one
 * (COPY targets, identifiers, DDL).
 */

/** A SQL string literal: single quotes doubled. DuckDB standard strings have no backslash escapes. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [text.replace(/\0/g, '\\0'), 'contains a NUL character']);
  return `'${text.replace(/'/g, "''")}'`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A double-quoted identifier, after checking it is a plain name (letters, digits, underscore; at most 63). */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [name, 'expected letters, digits and underscores, starting with a letter or underscore, at most 63 characters']);
  }
  return `"${name}"`;
}
