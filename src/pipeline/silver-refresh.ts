import type { Warehouse } from '../warehouse/warehouse.js';
import { projectionSelect, READING_PROJECTION, withMessage } from './reading-projection.js';

export interface SilverRefresh {
  /** Bronze rows read (those above the watermark). */
  readonly bronzeRows: number;
  /** Readings added to silver: new keys only; duplicates and re-deliveries add nothing. */
  readonly silverRows: number;
}

const WATERMARK = 'silver_bronze_watermark';

/**
 * Brings bronze rows above the watermark (the last `bronze_id` silver has read) into `silver_ami`, typed and
 * de-duplicated on (meter_id, reading_ts_utc): the first copy in bronze order wins, a key already in silver is kept
 * (`ON CONFLICT DO NOTHING`), so a duplicate or a re-delivered file adds nothing and a late reading simply lands in
 * its place. New rows carry `refresh_id`, which tells gold what to recompute. Runs inside the caller's transaction,
 * so the watermark moves with the rows.
 */
export async function refreshSilver(warehouse: Warehouse, refreshId: number): Promise<SilverRefresh> {
  const from = await warehouse.number(`SELECT coalesce(max(value), 0) FROM pipeline_state WHERE name = $1`, [WATERMARK]);
  const to = await warehouse.number(`SELECT coalesce(max(bronze_id), 0) FROM bronze_ami`);
  if (to <= from) return { bronzeRows: 0, silverRows: 0 };
  const columns = READING_PROJECTION.map(([column]) => column).join(', ');
  await warehouse.run(
    `INSERT INTO silver_ami (${columns}, loaded_at, file_name, refresh_id)
     SELECT ${columns}, loaded_at, file_name, $3 FROM (
       SELECT ${projectionSelect()}, loaded_at, file_name, bronze_id
       FROM ${withMessage('(SELECT * FROM bronze_ami WHERE bronze_id > $1 AND bronze_id <= $2)')}
     )
     QUALIFY row_number() OVER (PARTITION BY meter_id, reading_ts_utc ORDER BY bronze_id) = 1
     ON CONFLICT DO NOTHING`,
    [from, to, refreshId],
  );
  const bronzeRows = await warehouse.number(`SELECT count(*) FROM bronze_ami WHERE bronze_id > $1 AND bronze_id <= $2`, [from, to]);
  const silverRows = await warehouse.number(`SELECT count(*) FROM silver_ami WHERE refresh_id = $1`, [refreshId]);
  await warehouse.run(`INSERT OR REPLACE INTO pipeline_state (name, value) VALUES ($1, $2)`, [WATERMARK, to]);
  return { bronzeRows, silverRows };
}
