import { labelTableDdl, LABEL_TABLE, LABEL_TABLE_COLUMNS } from '../generator/label-columns.js';
import type { StageFile } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { sideFileHistory } from './side-file-history.js';

/** The pipeline's copy of the jobs' label windows, as every sink with tables keeps them (label-columns.ts). */
export const PIPELINE_LABELS_DDL = labelTableDdl('duckdb', LABEL_TABLE);

const TYPES = `{job_id: 'VARCHAR', meter_id: 'VARCHAR', event_type: 'VARCHAR', start_ts: 'TIMESTAMP', end_ts: 'TIMESTAMP',
  start_ts_utc: 'TIMESTAMPTZ', end_ts_utc: 'TIMESTAMPTZ', readings: 'INTEGER', severity: 'DOUBLE', source: 'VARCHAR'}`;

/**
 * Loads a stage's label file (stage/label-keys.ts) into anomaly_labels, exactly once like a readings file: the rows
 * and the file's history row commit together. A window already there (same job, meter, type and start: a resumed
 * job's) takes the file's values. A file DuckDB cannot read is quarantined with the error, as readings files are.
 */
export async function loadLabelFile(warehouse: Warehouse, file: StageFile, path: string): Promise<{ key: string; rows: number; rejected: number } | { key: string; error: string }> {
  const history = sideFileHistory(warehouse, file);
  try {
    await warehouse.run(
      `CREATE OR REPLACE TEMP TABLE stage_labels AS SELECT ${LABEL_TABLE_COLUMNS.join(', ')}
       FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${TYPES}, compression = '${path.endsWith('.gz') ? 'gzip' : 'uncompressed'}')`,
    );
  } catch (e) {
    const error = errorText(e).split(path).join(file.key).split('\n')[0]!;
    await history('QUARANTINED', 0, error);
    return { key: file.key, error };
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    await warehouse.run(`INSERT OR REPLACE INTO ${LABEL_TABLE} SELECT * FROM stage_labels`);
    const rows = await warehouse.number(`SELECT count(*) FROM stage_labels`);
    await history('LOADED', rows, null);
    await warehouse.run('COMMIT');
    return { key: file.key, rows, rejected: 0 };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await warehouse.run('DROP TABLE IF EXISTS stage_labels').catch(() => undefined);
  }
}
