import type { DuckDBConnection } from '@duckdb/node-api';
import { scenarioToInput, type Scenario } from '../scenario/scenario.js';
import { STAR_SCHEMA } from './star-schema.js';

/**
 * The `forge_jobs` rows. `rows` counts only rows committed by the job, and is updated in the same transaction as the
 * rows it counts (invariant 2), so sum(rows) over the jobs of a warehouse equals count(*) of its fact table as long
 * as only Flux Data Forge writes there. A job id seen again (a resumed job) keeps its row count and adds to it.
 */
export type JobStatus = 'running' | 'completed' | 'stopped' | 'aborted';

export async function recordJobStart(connection: DuckDBConnection, jobId: string, scenario: Scenario, sink: string): Promise<void> {
  await connection.run(
    `INSERT INTO ${STAR_SCHEMA.jobs} (job_id, scenario, sink, rows, started_at, finished_at, status)
     VALUES ($1, CAST($2 AS JSON), $3, 0, now(), NULL, 'running')
     ON CONFLICT (job_id) DO UPDATE SET scenario = excluded.scenario, sink = excluded.sink, finished_at = NULL, status = 'running'`,
    [jobId, JSON.stringify(scenarioToInput(scenario)), sink],
  );
}

/** Adds `rows` to the job's count and sets its status (finished_at set unless still running). */
export async function recordJobProgress(connection: DuckDBConnection, jobId: string, rows: number, status: JobStatus): Promise<void> {
  await connection.run(
    `UPDATE ${STAR_SCHEMA.jobs} SET rows = rows + CAST($2 AS BIGINT), status = $3,
       finished_at = CASE WHEN $3 = 'running' THEN NULL ELSE now() END
     WHERE job_id = $1`,
    [jobId, rows, status],
  );
}
