import { DOUBLE, INTEGER, LIST, listValue, VARCHAR, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { LABEL_SOURCE, type AnomalyLabel } from '../generator/anomaly-labels.js';

/**
 * Label windows as DuckDB rows in anomaly_labels' column order (label-columns.ts): a SELECT over list parameters,
 * one list per column, unnested side by side, so a day's windows go in one statement (the DuckDB sink's INSERT, the
 * file sinks' COPY) without a row object per window in SQL.
 */
export const LABEL_ROWS_SELECT = `SELECT $1 AS job_id, unnest($2) AS meter_id, unnest($3) AS event_type,
  make_timestamp(CAST(unnest($4) * 1000 AS BIGINT)) AS start_ts, make_timestamp(CAST(unnest($5) * 1000 AS BIGINT)) AS end_ts,
  to_timestamp(unnest($6) / 1000) AS start_ts_utc, to_timestamp(unnest($7) / 1000) AS end_ts_utc,
  unnest($8) AS readings, unnest($9) AS severity, $10 AS source`;

export const LABEL_ROWS_TYPES: DuckDBType[] = [VARCHAR, LIST(VARCHAR), LIST(VARCHAR), LIST(DOUBLE), LIST(DOUBLE), LIST(DOUBLE), LIST(DOUBLE), LIST(INTEGER), LIST(DOUBLE), VARCHAR];

/** The parameters of LABEL_ROWS_SELECT for these windows of a job. */
export function labelRowsValues(jobId: string, labels: readonly AnomalyLabel[], meterIds: readonly string[]): DuckDBValue[] {
  const column = (f: (l: AnomalyLabel) => number | string): DuckDBValue => listValue(labels.map(f));
  return [
    jobId,
    column((l) => meterIds[l.meterIndex]!),
    column((l) => l.eventType),
    column((l) => l.startLocalMs),
    column((l) => l.endLocalMs),
    column((l) => l.startUtcMs),
    column((l) => l.endUtcMs),
    column((l) => l.readings),
    column((l) => l.severity),
    LABEL_SOURCE,
  ];
}
