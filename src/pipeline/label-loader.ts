import { labelTableDdl, LABEL_TABLE, LABEL_TABLE_COLUMNS } from '../generator/label-columns.js';
import type { StageFile } from '../stage/stage-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { loadSideFile, type SideFileResult } from './side-file-load.js';

/** The pipeline's copy of the jobs' label windows, as every sink with tables keeps them (label-columns.ts). */
export const PIPELINE_LABELS_DDL = labelTableDdl('duckdb', LABEL_TABLE);

const TYPES = `{job_id: 'VARCHAR', meter_id: 'VARCHAR', event_type: 'VARCHAR', start_ts: 'TIMESTAMP', end_ts: 'TIMESTAMP',
  start_ts_utc: 'TIMESTAMPTZ', end_ts_utc: 'TIMESTAMPTZ', readings: 'INTEGER', severity: 'DOUBLE', source: 'VARCHAR'}`;

/**
 * Loads a stage's label file (stage/label-keys.ts) into anomaly_labels, exactly once like a readings file: the rows
 * and the file's history row commit together. A window already there (same job, meter, type and start: a resumed
 * job's) takes the file's values. A file DuckDB cannot read is quarantined with the error, as readings files are.
 */
export function loadLabelFile(warehouse: Warehouse, file: StageFile, path: string): Promise<SideFileResult> {
  return loadSideFile(warehouse, file, path, {
    table: 'stage_labels',
    columns: LABEL_TABLE_COLUMNS,
    types: TYPES,
    apply: (w) => w.run(`INSERT OR REPLACE INTO ${LABEL_TABLE} SELECT * FROM stage_labels`),
  });
}
