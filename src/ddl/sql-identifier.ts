import { ForgeError } from '../util/forge-error.js';

/** The SQL dialects `forge ddl` prints for. */
export const DDL_TARGETS = ['snowflake', 'postgres', 'duckdb'] as const;
export type DdlTarget = (typeof DDL_TARGETS)[number];

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Checks a user-given object name (database, schema, warehouse, integration): letters, digits and '_' only, starting
 * with a letter or '_'. Quotes, semicolons, spaces and dots are refused, so a name can never end a statement or
 * reach another object; it is then quoted anyway.
 */
export function checkIdentifier(name: string, what: string): string {
  if (!PLAIN.test(name)) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [name, `${what} must be letters, digits and '_', starting with a letter or '_', at most 128 characters`]);
  return name;
}

/** A checked name, quoted for the target: Snowflake upper-cases (its unquoted default), the others keep lower case. */
export function quoteName(target: DdlTarget, name: string): string {
  checkIdentifier(name, 'a name');
  return target === 'snowflake' ? `"${name.toUpperCase()}"` : `"${name.toLowerCase()}"`;
}
