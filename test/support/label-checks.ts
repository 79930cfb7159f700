import type { Warehouse } from '../../src/warehouse/warehouse.js';

/**
 * Where labels disagree with the readings' per-row flags, read in SQL from `readings` (flat columns) and `labels`
 * (anomaly_labels columns) as DuckDB sees them: a DuckDB file's tables or Parquet files read through a view. Returns
 * the counts of each kind of disagreement (all zero when they agree) and the number of labels.
 */
export async function labelDisagreements(w: Warehouse, readings: string, labels: string): Promise<Record<string, number>> {
  const flagged = `SELECT meter_id, reading_ts, reading_ts_utc, CASE WHEN event_type = 'LAST_GASP' THEN 'OUTAGE' ELSE event_type END AS label
                   FROM ${readings} WHERE event_type IN ('OUTAGE', 'LAST_GASP', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL', 'TAMPER', 'METER_FAULT')`;
  const [row] = await w.rows(`
    WITH f AS (${flagged}), l AS (SELECT * FROM ${labels})
    SELECT
      (SELECT count(*) FROM l) AS labels,
      -- a flagged reading outside every window of its meter and type
      (SELECT count(*) FROM f WHERE NOT EXISTS (
         SELECT 1 FROM l WHERE l.meter_id = f.meter_id AND l.event_type = f.label AND f.reading_ts_utc >= l.start_ts_utc AND f.reading_ts_utc < l.end_ts_utc)) AS unlabelled,
      -- a window whose count is not the flagged readings it holds, or holds none
      (SELECT count(*) FROM l WHERE l.readings <> (
         SELECT count(*) FROM f WHERE f.meter_id = l.meter_id AND f.label = l.event_type AND f.reading_ts_utc >= l.start_ts_utc AND f.reading_ts_utc < l.end_ts_utc)
         OR l.readings = 0) AS miscounted,
      -- local and UTC bounds describing different readings
      (SELECT count(*) FROM l WHERE NOT EXISTS (
         SELECT 1 FROM f WHERE f.meter_id = l.meter_id AND f.reading_ts_utc = l.start_ts_utc AND f.reading_ts = l.start_ts)) AS misplaced,
      (SELECT count(*) FROM l WHERE source <> 'injected' OR severity < 0 OR severity > 1 OR end_ts_utc <= start_ts_utc) AS malformed`);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}
