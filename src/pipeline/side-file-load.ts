import type { StageFile } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export type SideFileResult = { key: string; rows: number; rejected: number } | { key: string; error: string };

export interface SideFileSpec {
  /** The temporary table the file is read into. */
  readonly table: string;
  /** The columns selected from the file, and their read_json types. */
  readonly columns: readonly string[];
  readonly types: string;
  /** SQL after the read (e.g. QUALIFY ...). */
  readonly suffix?: string;
  /** Throws (the file is quarantined with the message) when the rows read are not acceptable. */
  readonly check?: (warehouse: Warehouse) => Promise<void>;
  /** Statements applying the rows, inside the transaction that also records the file as loaded. */
  readonly apply: (warehouse: Warehouse) => Promise<void>;
}

/**
 * Loads a side file (labels, transformer ratings: NDJSON beside the readings that the loader takes whole), exactly
 * once like a readings file: read into `spec.table`, checked, then applied with the file's stage_load_history row in
 * one transaction. A file DuckDB cannot read, or that fails its check, is quarantined with the error (its key in
 * place of the local path). A side file rejects no line and has no emission time.
 */
export async function loadSideFile(warehouse: Warehouse, file: StageFile, path: string, spec: SideFileSpec): Promise<SideFileResult> {
  const history = (status: 'LOADED' | 'QUARANTINED', rows: number, error: string | null): Promise<void> =>
    warehouse.run(
      `INSERT INTO stage_load_history (file_name, size, status, rows, error, landed_at, first_emitted_at, loaded_at, rejected, etag, modified_ms)
       VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), NULL, now(), 0, $7, $6)`,
      [file.key, file.size, status, rows, error, Math.round(file.modifiedMs), file.etag ?? null],
    );
  const drop = (): Promise<void> => warehouse.run(`DROP TABLE IF EXISTS ${spec.table}`).catch(() => undefined);
  try {
    await warehouse.run(
      `CREATE OR REPLACE TEMP TABLE ${spec.table} AS SELECT ${spec.columns.join(', ')}
       FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${spec.types}, compression = '${path.endsWith('.gz') ? 'gzip' : 'uncompressed'}')
       ${spec.suffix ?? ''}`,
    );
    await spec.check?.(warehouse);
  } catch (e) {
    const error = errorText(e).split(path).join(file.key).split('\n')[0]!;
    await drop();
    await history('QUARANTINED', 0, error);
    return { key: file.key, error };
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    await spec.apply(warehouse);
    const rows = await warehouse.number(`SELECT count(*) FROM ${spec.table}`);
    await history('LOADED', rows, null);
    await warehouse.run('COMMIT');
    return { key: file.key, rows, rejected: 0 };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await drop();
  }
}
