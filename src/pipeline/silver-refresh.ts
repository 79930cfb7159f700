import type { DuckDBValue } from '@duckdb/node-api';
import type { Warehouse } from '../warehouse/warehouse.js';
import { projectionSelect, READING_PROJECTION, withMessage } from './reading-projection.js';

const WATERMARK = 'silver_bronze_watermark';

/**
 * Bronze ids typed and de-duplicated at a time, so a pass of any size stays within the pipeline database's memory
 * limit (pipeline-settings.ts): one statement over a whole pass of 960,000 readings ran out of a 600 MB limit.
 */
export const SILVER_CHUNK_ROWS = 250_000;

/**
 * Brings bronze rows above the watermark (the last `bronze_id` silver has read) into `silver_ami`, typed and
 * de-duplicated on (meter_id, reading_ts_utc): the first copy in bronze order wins, a key already in silver is kept,
 * so a duplicate or a re-delivered file adds nothing and a late reading simply lands in its place. New rows carry
 * `refresh_id`, which tells gold what to recompute. Runs inside the caller's transaction, so the watermark moves with
 * the rows.
 * A key already in silver is found by an anti-join with silver's rows between the new rows' first and last time
 * stamps (DuckDB skips the row groups outside them), not by a primary key (pipeline-schema.ts); a database made with
 * the key (before) inserts with `ON CONFLICT DO NOTHING` as it did.
 * Bronze is read `chunkRows` ids at a time, in id order, so a key's first copy is in silver before a later chunk
 * meets it again.
 */
export async function refreshSilver(warehouse: Warehouse, refreshId: number, chunkRows = SILVER_CHUNK_ROWS): Promise<void> {
  const from = await silverWatermark(warehouse);
  const to = await warehouse.number(`SELECT coalesce(max(bronze_id), 0) FROM bronze_ami`);
  if (to <= from) return;
  for (let lo = from; lo < to; lo += chunkRows) {
    await insertSilver(
      warehouse,
      `SELECT ${projectionSelect()}, loaded_at, file_name, bronze_id FROM ${withMessage('(SELECT * FROM bronze_ami WHERE bronze_id > $1 AND bronze_id <= $2)')}`,
      [lo, Math.min(to, lo + chunkRows)],
      refreshId,
    );
  }
  await setSilverWatermark(warehouse, to);
}

/** The last bronze id silver has read (0 before the first refresh). */
export const silverWatermark = (warehouse: Warehouse): Promise<number> =>
  warehouse.number(`SELECT coalesce(max(value), 0) FROM pipeline_state WHERE name = $1`, [WATERMARK]);

/** Moves the watermark: silver has read every bronze id up to `to` (in the transaction that added their rows). */
export const setSilverWatermark = (warehouse: Warehouse, to: number): Promise<void> =>
  warehouse.run(`INSERT OR REPLACE INTO pipeline_state (name, value) VALUES ($1, $2)`, [WATERMARK, to]);

/**
 * The rows of `select` (the typed reading's columns, then `loaded_at`, `file_name` and `bronze_id`) into silver with
 * `refreshId`: de-duplicated within them (first copy in bronze order), then inserted unless silver (with the rows
 * inserted before in this transaction) already holds the key. Used for a chunk of bronze (refreshSilver) and by the
 * loader for a batch's good lines, typed by the checks as they were read (reading-file-load.ts).
 */
export async function insertSilver(warehouse: Warehouse, select: string, values: DuckDBValue[], refreshId: number): Promise<void> {
  const columns = READING_PROJECTION.map(([column]) => column).join(', ');
  await warehouse.run(`CREATE OR REPLACE TEMP TABLE silver_new AS ${select}`, values);
  try {
    // Later copies of a key within the chunk, found on the key and id alone (a window over every column held the
    // whole chunk's rows in memory at once).
    await warehouse.run(
      `CREATE OR REPLACE TEMP TABLE silver_later AS
       SELECT bronze_id FROM silver_new QUALIFY row_number() OVER (PARTITION BY meter_id, reading_ts_utc ORDER BY bronze_id) > 1`,
    );
    const firsts = `(SELECT ${columns}, loaded_at, file_name FROM silver_new n ANTI JOIN silver_later USING (bronze_id))`;
    if (await hasPrimaryKey(warehouse)) {
      await warehouse.run(`INSERT INTO silver_ami (${columns}, loaded_at, file_name, refresh_id) SELECT *, $1 FROM ${firsts} ON CONFLICT DO NOTHING`, [refreshId]);
      return;
    }
    const span = (await warehouse.rows(`SELECT CAST(min(reading_ts_utc) AS VARCHAR) AS lo, CAST(max(reading_ts_utc) AS VARCHAR) AS hi FROM silver_new`))[0]!;
    if (span.lo === null) return;
    await warehouse.run(
      `INSERT INTO silver_ami (${columns}, loaded_at, file_name, refresh_id)
       SELECT n.*, $1 FROM ${firsts} n ANTI JOIN (
         SELECT meter_id, reading_ts_utc FROM silver_ami WHERE reading_ts_utc BETWEEN CAST($2 AS TIMESTAMPTZ) AND CAST($3 AS TIMESTAMPTZ)
       ) s ON s.meter_id = n.meter_id AND s.reading_ts_utc = n.reading_ts_utc`,
      [refreshId, String(span.lo), String(span.hi)],
    );
  } finally {
    await warehouse.run(`DROP TABLE IF EXISTS silver_new`);
    await warehouse.run(`DROP TABLE IF EXISTS silver_later`);
  }
}

/** Whether silver_ami was made with its primary key (a database from before silver kept its keys by the refresh). */
async function hasPrimaryKey(warehouse: Warehouse): Promise<boolean> {
  return (await warehouse.number(`SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'silver_ami' AND constraint_type = 'PRIMARY KEY'`)) > 0;
}
