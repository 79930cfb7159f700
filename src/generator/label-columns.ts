import { dialectType, type LogicalType, type SqlDialect } from './reading-columns.js';

/**
 * The `anomaly_labels` table every sink with tables creates (anomaly-labels.ts says what a label is): one row per
 * event window, keyed by (job_id, meter_id, event_type, start_ts_utc) so a resumed job that sends a window again adds
 * nothing. Timestamps as the reading's: start_ts/end_ts local wall clock like reading_ts, the _utc pair the instants;
 * a window is [start, end), so `reading_ts >= start_ts AND reading_ts < end_ts` selects its readings (per meter).
 * Snowflake upper-cases the names, as it does the reading's.
 */
export const LABEL_TABLE = 'anomaly_labels';

const COLUMNS = [
  { name: 'job_id', type: 'text' },
  { name: 'meter_id', type: 'text' },
  { name: 'event_type', type: 'text' },
  { name: 'start_ts', type: 'local_timestamp' },
  { name: 'end_ts', type: 'local_timestamp' },
  { name: 'start_ts_utc', type: 'utc_timestamp' },
  { name: 'end_ts_utc', type: 'utc_timestamp' },
  { name: 'readings', type: 'small_integer' },
  { name: 'severity', type: 'double' },
  { name: 'source', type: 'text' },
] as const satisfies readonly { name: string; type: LogicalType }[];

export const LABEL_TABLE_COLUMNS = COLUMNS.map((c) => c.name);
export type LabelTableColumn = (typeof COLUMNS)[number]['name'];
export const LABEL_KEY = ['job_id', 'meter_id', 'event_type', 'start_ts_utc'] as const satisfies readonly LabelTableColumn[];

/**
 * CREATE TABLE IF NOT EXISTS for the labels in a dialect. `table` is already quoted (and schema-qualified) by the
 * caller, who knows its dialect's quoting. Readings of a window fit an INTEGER (a 10-year job at 5 minutes is 1.05M).
 */
export function labelTableDdl(dialect: SqlDialect, table: string): string {
  const columns = COLUMNS.map((c) => {
    const type = c.name === 'readings' ? (dialect === 'snowflake' ? 'NUMBER(10,0)' : 'INTEGER') : dialectType(dialect, c.type);
    return `${dialect === 'snowflake' ? c.name.toUpperCase() : c.name} ${type} NOT NULL`;
  });
  const key = LABEL_KEY.map((k) => (dialect === 'snowflake' ? k.toUpperCase() : k)).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')}, PRIMARY KEY (${key}))`;
}
