import type pg from 'pg';

/**
 * forge_checkpoints, beside the table of readings: per job and table, the last batch sequence committed and the rows
 * the job has delivered. Each batch's row is written in the batch's own transaction (invariant 2), so a resumed job
 * continues exactly after what the table holds.
 */

export const CHECKPOINTS = 'forge_checkpoints';

/** The table's DDL; `checkpoints` is its quoted (and schema-qualified) name. */
export const checkpointsDdl = (checkpoints: string): string =>
  `CREATE TABLE IF NOT EXISTS ${checkpoints} (job_id text NOT NULL, table_name text NOT NULL, sequence bigint NOT NULL, ` +
  `rows bigint NOT NULL, committed_at timestamptz NOT NULL, PRIMARY KEY (job_id, table_name))`;

/**
 * Records a batch in the open transaction. The rows grow only when the sequence is past the one recorded, so a
 * redelivered batch (a retry whose COMMIT had landed, a resumed job) is not counted twice.
 */
export async function recordCheckpoint(client: pg.Client, checkpoints: string, jobKey: string, table: string, sequence: number, rows: number): Promise<void> {
  await client.query(
    `INSERT INTO ${checkpoints} AS c (job_id, table_name, sequence, rows, committed_at) VALUES ($1, $2, $3, $4, now()) ` +
      `ON CONFLICT (job_id, table_name) DO UPDATE SET ` +
      `rows = c.rows + CASE WHEN EXCLUDED.sequence > c.sequence THEN EXCLUDED.rows ELSE 0 END, ` +
      `sequence = GREATEST(c.sequence, EXCLUDED.sequence), committed_at = EXCLUDED.committed_at`,
    [jobKey, table, sequence, rows],
  );
}

/** The last sequence committed for the job into the table, or null when none was. */
export async function readCheckpoint(client: pg.Client, checkpoints: string, jobKey: string, table: string): Promise<number | null> {
  const result = await client.query<{ sequence: string }>(`SELECT sequence FROM ${checkpoints} WHERE job_id = $1 AND table_name = $2`, [jobKey, table]);
  const row = result.rows[0];
  return row ? Number(row.sequence) : null;
}
