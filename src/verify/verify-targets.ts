import { DEFAULT_DUCKDB_PATH } from '../sinks/duckdb/duckdb-sink.js';
import { DEFAULT_PG_TABLE, defaultPgUrl } from '../sinks/postgres/postgres-options.js';
import type { VerifyTarget } from './verify-sink.js';

/** The sinks verify can read back. */
export const VERIFIABLE_SINKS = ['duckdb', 'postgres'] as const;

/** Sinks that write to no path: `out` names the path of the one sink that does (output-options.ts). */
const PATHLESS_SINKS = new Set(['stdout', 'postgres', 'mqtt', 'nats', 'stage', 'snowflake', 'snowflake-insert', 'snowflake-stage']);

/** The output settings verify needs, as a job records them (jobs/output-options.ts) or as flags give them. */
export interface TargetOutput {
  readonly sink: readonly string[];
  readonly out?: string | undefined;
  readonly pgUrl?: string | undefined;
  readonly pgTable?: string | undefined;
}

/**
 * The stores an output delivered to that verify can read, resolved as the sink factory resolves them: the DuckDB file
 * is `out` when DuckDB is the output's only sink with a path, else the default file; Postgres is `pgUrl` (else
 * FORGE_PG_URL, DATABASE_URL or the local server) and `pgTable` (else ami_readings). Other sinks are left out.
 */
export function verifyTargets(output: TargetOutput, env: NodeJS.ProcessEnv = process.env): VerifyTarget[] {
  const targets: VerifyTarget[] = [];
  const pathSinks = output.sink.filter((s) => !PATHLESS_SINKS.has(s));
  if (output.sink.includes('duckdb')) {
    const onlyPathSink = pathSinks.length === 1 && pathSinks[0] === 'duckdb';
    targets.push({ kind: 'duckdb', path: onlyPathSink && output.out ? output.out : DEFAULT_DUCKDB_PATH });
  }
  if (output.sink.includes('postgres')) {
    targets.push({ kind: 'postgres', url: output.pgUrl ?? defaultPgUrl(env), table: output.pgTable ?? DEFAULT_PG_TABLE });
  }
  return targets;
}
