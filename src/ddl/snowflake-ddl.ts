import { parseStageLocation } from '../stage/stage-location.js';
import { RAW_PREFIX } from '../stage/stage-keys.js';
import type { DdlOptions } from './ddl-options.js';
import { columnType, goldQueries, MEDALLION, MESSAGE_PATH, READING_COLUMNS, TRANSFORMER_NAMEPLATE_KW } from './medallion-model.js';
import { quoteName } from './sql-identifier.js';

const q = (name: string): string => quoteName('snowflake', name);
/** A literal with its quotes doubled (the inputs are checked already; this keeps the output valid whatever). */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The whole Snowflake set for the medallion flow, to paste into a worksheet: database, schema and warehouse; the
 * target table and bronze table; a JSON file format; an internal stage and an external stage on the S3 landing
 * prefix with a storage-integration template; a pipe with AUTO_INGEST loading bronze; dynamic tables for silver and
 * gold with TARGET_LAG; a task for the scheduled flow; and the streaming pipe that Snowpipe Streaming's
 * high-performance architecture writes through.
 */
export function snowflakeDdl(o: DdlOptions): string {
  const stage = parseStageLocation(o.stageUrl);
  const url = stage.kind === 's3' ? `s3://${stage.bucket}/${stage.prefix ? `${stage.prefix}/` : ''}` : '';
  const db = q(o.database);
  const schema = `${db}.${q(o.schema)}`;
  const wh = q(o.warehouse);
  const name = (n: string): string => `${schema}.${q(n)}`;
  const readingColumns = READING_COLUMNS.map((c) => `  ${q(c)} ${columnType('snowflake', c)}`).join(',\n');
  const fromMessage = READING_COLUMNS.map((c) => `  ${q('raw')}:${MESSAGE_PATH[c]}::${columnType('snowflake', c)} AS ${q(c)}`).join(',\n');
  const gold = goldQueries(q, (col) => `DATE_TRUNC('HOUR', ${col})`);
  const lag = literal(o.targetLag);
  const dynamic = (table: string, query: string): string =>
    `CREATE OR REPLACE DYNAMIC TABLE ${name(table)}\n  TARGET_LAG = ${lag}\n  WAREHOUSE = ${wh}\nAS\n${query.replaceAll(q(MEDALLION.silver), name(MEDALLION.silver))};`;
  return [
    '-- Flux Data Forge: the AMI medallion flow on Snowflake (forge ddl --target snowflake).',
    '-- 1. Database objects',
    `CREATE DATABASE IF NOT EXISTS ${db};`,
    `CREATE SCHEMA IF NOT EXISTS ${schema};`,
    `CREATE WAREHOUSE IF NOT EXISTS ${wh} WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;`,
    `USE SCHEMA ${schema};`,
    '',
    '-- 2. Target table: direct inserts, the scheduled flow and Snowpipe Streaming land here. The key is informational',
    '--    (Snowflake does not enforce it): loads are idempotent through offset tokens and MERGE, not the constraint.',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.readings)} (\n${readingColumns},\n  CONSTRAINT ${q('ami_readings_pk')} PRIMARY KEY (${q('meter_id')}, ${q('reading_ts_utc')})\n);`,
    '',
    '-- 3. Bronze: raw head-end messages as landed, one row per line of a stage file',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.bronze)} (\n  ${q('raw')} VARIANT,\n  ${q('file_name')} VARCHAR,\n  ${q('row_number')} NUMBER,\n  ${q('loaded_at')} TIMESTAMP_LTZ\n);`,
    '',
    '-- 4. File format of the stage files (NDJSON, gzip detected from the name)',
    `CREATE FILE FORMAT IF NOT EXISTS ${name('ami_json')} TYPE = JSON COMPRESSION = AUTO STRIP_OUTER_ARRAY = FALSE;`,
    '',
    '-- 5. Stages: internal (PUT then COPY INTO) and external on the landing bucket',
    `CREATE STAGE IF NOT EXISTS ${name('ami_internal_stage')} FILE_FORMAT = ${name('ami_json')};`,
    '-- Storage integration: run once as ACCOUNTADMIN with your IAM role, then DESC INTEGRATION for the trust policy.',
    `CREATE STORAGE INTEGRATION IF NOT EXISTS ${q(o.integration)}\n  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n  STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::<account-id>:role/<snowflake-access-role>'\n  STORAGE_ALLOWED_LOCATIONS = (${literal(url)});`,
    `CREATE STAGE IF NOT EXISTS ${name('ami_external_stage')}\n  URL = ${literal(url)}\n  STORAGE_INTEGRATION = ${q(o.integration)}\n  FILE_FORMAT = ${name('ami_json')};`,
    '',
    '-- 6. Snowpipe with AUTO_INGEST: each new file under raw/ami/ loads into bronze once (the pipe keeps the load history);',
    '--    point the bucket\'s event notifications at the pipe\'s notification_channel (SHOW PIPES).',
    `CREATE PIPE IF NOT EXISTS ${name('ami_bronze_pipe')}\n  AUTO_INGEST = TRUE\nAS\nCOPY INTO ${name(MEDALLION.bronze)} (${q('raw')}, ${q('file_name')}, ${q('row_number')}, ${q('loaded_at')})\nFROM (\n  SELECT $1, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, METADATA$START_SCAN_TIME\n  FROM @${name('ami_external_stage')}/${RAW_PREFIX}/\n)\nFILE_FORMAT = (FORMAT_NAME = ${name('ami_json')});`,
    '',
    '-- 7. Silver: typed, one row per (meter_id, reading_ts_utc) (the first landed copy), late arrivals merged by the refresh',
    dynamic(
      MEDALLION.silver,
      `SELECT\n${fromMessage},\n  ${q('loaded_at')}\nFROM ${name(MEDALLION.bronze)}\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${q('meter_id')}, ${q('reading_ts_utc')} ORDER BY ${q('loaded_at')}, ${q('file_name')}, ${q('row_number')}) = 1`,
    ),
    '',
    `-- 8. Gold: usage per meter per hour and day, transformer loading (peak kW over a ${TRANSFORMER_NAMEPLATE_KW} kW nameplate flagged),`,
    '--    feeder and substation totals, outage summary (customers out, customer-minutes, SAIFI/SAIDI-style per day)',
    ...Object.entries(gold).map(([table, query]) => dynamic(table, query)),
    '',
    '-- 9. The scheduled flow: a task that moves each interval\'s new silver readings into the target table',
    `CREATE TASK IF NOT EXISTS ${name('ami_scheduled_flow')}\n  WAREHOUSE = ${wh}\n  SCHEDULE = '15 MINUTE'\nAS\nINSERT INTO ${name(MEDALLION.readings)}\nSELECT ${READING_COLUMNS.map(q).join(', ')}\nFROM ${name(MEDALLION.silver)}\nWHERE ${q('reading_ts_utc')} > (SELECT COALESCE(MAX(${q('reading_ts_utc')}), '1970-01-01'::TIMESTAMP_TZ) FROM ${name(MEDALLION.readings)});`,
    `ALTER TASK ${name('ami_scheduled_flow')} RESUME;`,
    '',
    '-- 10. Snowpipe Streaming (high-performance architecture): the pipe the SDK or REST API writes rows through,',
    '--     column names matched to the target table; channels keep offset tokens for exactly-once resume.',
    `CREATE PIPE IF NOT EXISTS ${name('ami_streaming_pipe')}\nAS\nCOPY INTO ${name(MEDALLION.readings)}\nFROM TABLE(DATA_SOURCE(TYPE => 'STREAMING'))\nMATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;`,
    '',
  ].join('\n');
}
