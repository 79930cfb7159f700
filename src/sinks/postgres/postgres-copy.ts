import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { FLAT_COLUMNS, READING_KEY } from '../../generator/reading-columns.js';
import { ForgeError } from '../../util/forge-error.js';
import { recordCheckpoint } from './postgres-checkpoints.js';
import { COLUMN_LIST, columnDefinitions, type PgTable } from './postgres-table.js';

import type { OnConflict } from './postgres-options.js';

/** Per connection (temporary tables are private to their session); emptied by every commit. */
const STAGING = 'pg_temp."forge_staging"';

const KEY = READING_KEY.join(', ');

/** The reading's values (not its key, not when a stream emitted it): what two copies of one reading must agree on. */
const VALUE_COLUMNS = FLAT_COLUMNS.filter((c) => !(READING_KEY as readonly string[]).includes(c)).map((c) => `"${c}"`);

/** Creates the session's staging table: each new connection needs it before a batch can go the staged way. */
export async function prepareStaging(client: pg.Client): Promise<void> {
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${STAGING.slice('pg_temp.'.length)} (${columnDefinitions(false)}) ON COMMIT DELETE ROWS`);
}

/** Where a batch goes and under which job: the table, what its held keys do, and the checkpoint's key. */
export interface BatchTarget {
  readonly table: PgTable;
  readonly onConflict: OnConflict;
  /** The job's checkpoint key (with the shard when the job is one). */
  readonly jobKey: string;
  /** The table as named in the database (schema-qualified), the other half of the checkpoint's key. */
  readonly checkpointTable: string;
}

/**
 * One transaction: the rows, then the checkpoint, then COMMIT; returns the rows added and overwritten. The caller
 * rolls back on an error. Two ways in, both binary COPY (see copy-binary-encoder.ts):
 * - direct: COPY into the table itself, as fast as a plain COPY. A row already there fails it with a unique violation.
 * - staged: COPY into the session's staging table, then INSERT ... ON CONFLICT into the table: idempotent, but the
 *   conflict check costs about as much again as the COPY.
 *
 * The staged way meets keys the table holds. With onConflict 'error' (the default) it first compares their values
 * (VALUE_COLUMNS): the same reading again is skipped, a different one (another seed, another scenario over the same
 * meters and dates) refuses the batch before anything of it is written, instead of keeping the old rows silently
 * while reporting the new ones as written.
 */
export async function commitBatch(
  client: pg.Client,
  chunks: Iterable<Buffer>,
  batch: { readonly rows: number; readonly sequence: number },
  way: 'direct' | 'staged',
  into: BatchTarget,
): Promise<{ inserted: number; replaced: number }> {
  const target = into.table.target;
  await client.query('BEGIN');
  let inserted: number;
  let replaced = 0;
  if (way === 'direct') {
    inserted = await copyInto(client, `COPY ${target} (${COLUMN_LIST}) FROM STDIN WITH (FORMAT binary)`, chunks);
  } else {
    await copyInto(client, `COPY ${STAGING} (${COLUMN_LIST}) FROM STDIN WITH (FORMAT binary)`, chunks);
    if (into.onConflict === 'error') await refuseDifferingRows(client, into.table);
    if (into.onConflict === 'replace') {
      // A batch may carry a reading twice (a stream's duplicate sends): ON CONFLICT DO UPDATE takes each key once.
      const changed = VALUE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
      const result = await client.query<{ inserted: string; replaced: string }>(
        `WITH written AS (INSERT INTO ${target} AS t (${COLUMN_LIST}) ` +
          `SELECT DISTINCT ON (${KEY}) ${COLUMN_LIST} FROM ${STAGING} ` +
          `ON CONFLICT (${KEY}) DO UPDATE SET ${changed} ` +
          `WHERE (${VALUE_COLUMNS.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')}) ` +
          // xmax is 0 for a row this statement inserted, the updating transaction's id for one it overwrote.
          `RETURNING (t.xmax = 0) AS fresh) ` +
          `SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) FILTER (WHERE NOT fresh) AS replaced FROM written`,
      );
      inserted = Number(result.rows[0]?.inserted ?? 0);
      replaced = Number(result.rows[0]?.replaced ?? 0);
    } else {
      const insert = await client.query(`INSERT INTO ${target} (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM ${STAGING} ON CONFLICT (${KEY}) DO NOTHING`);
      inserted = insert.rowCount ?? 0;
    }
  }
  await recordCheckpoint(client, into.table.checkpoints, into.jobKey, into.checkpointTable, batch.sequence, batch.rows);
  await client.query('COMMIT');
  return { inserted, replaced };
}

/** FORGE_ERR_CONFLICTING_ROWS when a staged reading's key is in the table with other values (the caller rolls back). */
async function refuseDifferingRows(client: pg.Client, t: PgTable): Promise<void> {
  const differing = await client.query<{ n: string; example: string | null }>(
    `SELECT count(*) AS n, min(s.meter_id || ' at ' || to_char(s.reading_ts_utc AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')) AS example ` +
      `FROM ${STAGING} AS s JOIN ${t.target} AS t USING (${KEY}) ` +
      `WHERE (${VALUE_COLUMNS.map((c) => `s.${c}`).join(', ')}) IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `t.${c}`).join(', ')})`,
  );
  const n = Number(differing.rows[0]?.n ?? 0);
  if (n > 0) throw new ForgeError('FORGE_ERR_CONFLICTING_ROWS', [t.target, t.shownUrl, n.toLocaleString('en-US'), differing.rows[0]?.example ?? '?']);
}

/**
 * Streams the chunks through COPY FROM STDIN, encoding the next chunk while the server stores the last; resolves
 * with the rows copied once the server has acknowledged the COPY. Stops sending at the first error (the server
 * ignores what follows an error anyway).
 */
async function copyInto(client: pg.Client, sql: string, chunks: Iterable<Buffer>): Promise<number> {
  const stream = client.query(copyFrom(sql));
  let failure: unknown = null;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('error', (e) => {
      failure = e;
      reject(e);
    });
    stream.once('finish', () => resolve());
  });
  done.catch(() => undefined);
  for (const chunk of chunks) {
    if (failure !== null) break;
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]).catch(() => undefined);
  }
  if (failure === null) stream.end();
  await done;
  return stream.rowCount;
}
