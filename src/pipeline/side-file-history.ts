import type { StageFile } from '../stage/stage-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * The stage_load_history row of a side file (labels, transformer ratings: files beside the readings that the loader
 * takes whole), recorded with its status, rows and error; such a file rejects no line and has no emission time.
 */
export function sideFileHistory(warehouse: Warehouse, file: StageFile): (status: 'LOADED' | 'QUARANTINED', rows: number, error: string | null) => Promise<void> {
  return (status, rows, error) =>
    warehouse.run(
      `INSERT INTO stage_load_history (file_name, size, status, rows, error, landed_at, first_emitted_at, loaded_at, rejected, etag, modified_ms)
       VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), NULL, now(), 0, $7, $6)`,
      [file.key, file.size, status, rows, error, Math.round(file.modifiedMs), file.etag ?? null],
    );
}
