// Types straight from src/ (erased at build), not through api.ts: the Node-side tests import this module too.
import type { JobRecord } from '../../../src/jobs/job-store.js';
import type { SinkDescription } from '../../../src/sinks/sink-catalog.js';

/** The duckdb sink's file when a job names none (relative paths are under the server's data directory). */
export const DEFAULT_DUCKDB = 'forge.duckdb';

/**
 * The DuckDB file a job wrote, when it had a duckdb sink: `out` is one path (a single path sink) or one per path sink
 * (output-paths.ts's pathOf, which the browser cannot import: it loads the sinks).
 */
export const duckdbOf = (job: JobRecord): string | null => {
  if (!job.output.sink.includes('duckdb')) return null;
  const out = job.output.out;
  return (typeof out === 'string' ? out : out?.duckdb) ?? DEFAULT_DUCKDB;
};

/** The job's sinks that `verify` can read back (the catalogue says which: DuckDB and Postgres today). */
export const verifiableSinks = (job: JobRecord, catalog: readonly SinkDescription[]): string[] =>
  job.output.sink.filter((name) => catalog.some((s) => s.name === name && s.verifiable));

/**
 * Whether the Validate page has anything to do for a finished job: quality checks need a DuckDB output, verify a sink
 * it can read back. A job that wrote only files or messages has neither, so no Validate button is offered for it.
 */
export const canValidate = (job: JobRecord, catalog: readonly SinkDescription[]): boolean =>
  job.status !== 'running' && (duckdbOf(job) !== null || verifiableSinks(job, catalog).length > 0);
