import type { Warehouse } from '../warehouse/warehouse.js';
import { PIPELINE_LABELS_DDL } from './label-loader.js';
import { PIPELINE_TRANSFORMERS_DDL } from './transformer-loader.js';

/** The pipeline's tables, in dependency order (bronze, load history, silver, gold, bookkeeping). */
export const GOLD_TABLES = [
  'gold_usage_hourly',
  'gold_usage_daily',
  'gold_transformer_hourly',
  'gold_feeder_hourly',
  'gold_substation_hourly',
  'gold_outage_summary',
] as const;
export type GoldTable = (typeof GOLD_TABLES)[number];

/**
 * DDL of the pipeline database. Bronze keeps each good raw line as JSON with its file and line number (bad lines go
 * to `stage_rejects`); `bronze_id` orders rows for silver's watermark: the loader gives each batch the ids after the
 * largest, in file and line order (reading-file-load.ts; the sequence is the default of databases made before). The
 * load history is keyed by file name, like Snowpipe's: a file with a row there (LOADED or QUARANTINED) is never
 * loaded again. Silver is unique on (meter_id, reading_ts_utc) by its
 * refresh (silver-refresh.ts), not by a primary key: DuckDB's key index was the costliest part of a pass after the
 * checks and held every key in memory (docs/PERFORMANCE.md); databases made before keep their key and work as they
 * did. Gold tables have no primary key on purpose: a refresh
 * deletes and re-inserts the keys it touches in one transaction, which DuckDB's eager unique checks would refuse.
 * Gold column names follow the medallion model of `forge ddl` (src/ddl/medallion-model.ts): `kwh`, `customers`,
 * plus `service_area` on the daily tables (one pipeline database may hold several areas).
 */
const DDL = [
  `CREATE SEQUENCE IF NOT EXISTS bronze_ami_seq START 1`,
  `CREATE TABLE IF NOT EXISTS bronze_ami (
    bronze_id BIGINT NOT NULL DEFAULT nextval('bronze_ami_seq'),
    raw JSON NOT NULL,
    file_name VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS stage_load_history (
    file_name VARCHAR PRIMARY KEY,
    size BIGINT NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('LOADED', 'QUARANTINED')),
    rows BIGINT NOT NULL,
    error VARCHAR,
    landed_at TIMESTAMPTZ,
    first_emitted_at TIMESTAMPTZ,
    loaded_at TIMESTAMPTZ NOT NULL
  )`,
  // Columns added after the first release: a database from before gets them here (older rows: rejected 0, no ETag).
  `ALTER TABLE stage_load_history ADD COLUMN IF NOT EXISTS rejected BIGINT DEFAULT 0`,
  `ALTER TABLE stage_load_history ADD COLUMN IF NOT EXISTS etag VARCHAR`,
  `ALTER TABLE stage_load_history ADD COLUMN IF NOT EXISTS modified_ms BIGINT`,
  // Lines of loaded files that failed the reading checks: where (file, line), why (every failing column), and what.
  `CREATE TABLE IF NOT EXISTS stage_rejects (
    file_name VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    raw VARCHAR,
    rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (file_name, line)
  )`,
  // Files of the load history found changed in the stage (another size or ETag): reported, never loaded again.
  `CREATE TABLE IF NOT EXISTS stage_changed_files (
    file_name VARCHAR PRIMARY KEY,
    loaded_size BIGINT NOT NULL,
    loaded_etag VARCHAR,
    size BIGINT NOT NULL,
    etag VARCHAR,
    modified_ms BIGINT NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS silver_ami (
    meter_id VARCHAR NOT NULL,
    reading_ts TIMESTAMP NOT NULL,
    reading_ts_utc TIMESTAMPTZ NOT NULL,
    interval_minutes INTEGER NOT NULL,
    usage_kwh DOUBLE NOT NULL,
    voltage DOUBLE,
    power_factor DOUBLE,
    temperature_c DOUBLE,
    transformer_id VARCHAR,
    circuit_id VARCHAR,
    substation_id VARCHAR,
    service_area VARCHAR,
    customer_segment VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    is_outage BOOLEAN NOT NULL,
    data_quality VARCHAR NOT NULL,
    event_type VARCHAR,
    emission_pattern VARCHAR,
    message_id VARCHAR,
    emitted_at TIMESTAMPTZ,
    loaded_at TIMESTAMPTZ NOT NULL,
    file_name VARCHAR NOT NULL,
    refresh_id BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS gold_usage_hourly (
    meter_id VARCHAR NOT NULL, hour_utc TIMESTAMPTZ NOT NULL, kwh DOUBLE NOT NULL, readings BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS gold_usage_daily (
    meter_id VARCHAR NOT NULL, service_area VARCHAR, local_date DATE NOT NULL, kwh DOUBLE NOT NULL, readings BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS gold_transformer_hourly (
    transformer_id VARCHAR, hour_utc TIMESTAMPTZ NOT NULL, kwh DOUBLE NOT NULL, peak_kw DOUBLE NOT NULL,
    meters BIGINT NOT NULL, nameplate_kw DOUBLE NOT NULL, over_nameplate BOOLEAN NOT NULL
  )`,
  // Each transformer's own nameplate (ami_transformers) since ratings reached the pipeline; older rows: 25 kVA.
  `ALTER TABLE gold_transformer_hourly ADD COLUMN IF NOT EXISTS nameplate_kva DOUBLE DEFAULT 25`,
  `ALTER TABLE gold_transformer_hourly ADD COLUMN IF NOT EXISTS nameplate_source VARCHAR DEFAULT 'DEFAULT_25_KVA'`,
  `CREATE TABLE IF NOT EXISTS gold_feeder_hourly (
    circuit_id VARCHAR, hour_utc TIMESTAMPTZ NOT NULL, kwh DOUBLE NOT NULL, meters BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS gold_substation_hourly (
    substation_id VARCHAR, hour_utc TIMESTAMPTZ NOT NULL, kwh DOUBLE NOT NULL, meters BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS gold_outage_summary (
    service_area VARCHAR, local_date DATE NOT NULL, customers BIGINT NOT NULL, customers_out BIGINT NOT NULL,
    customer_minutes_out DOUBLE NOT NULL, interruptions BIGINT NOT NULL, saifi DOUBLE, saidi_minutes DOUBLE
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline_state (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pipeline_refresh_history (
    refresh_id BIGINT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    files_loaded BIGINT NOT NULL,
    files_quarantined BIGINT NOT NULL,
    bronze_rows BIGINT NOT NULL,
    silver_rows BIGINT NOT NULL,
    gold_hours BIGINT NOT NULL,
    gold_days BIGINT NOT NULL,
    duration_ms DOUBLE NOT NULL,
    lag_ms DOUBLE
  )`,
];

/** Creates whatever of the pipeline schema is missing (idempotent). */
export async function ensurePipelineSchema(warehouse: Warehouse): Promise<void> {
  for (const statement of DDL) await warehouse.run(statement);
  await warehouse.run(PIPELINE_LABELS_DDL);
  await warehouse.run(PIPELINE_TRANSFORMERS_DDL);
}
