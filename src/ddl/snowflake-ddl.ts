import { parseStageLocation } from '../stage/stage-location.js';
import { RAW_PREFIX } from '../stage/stage-keys.js';
import { FLAT_COLUMNS, READING_KEY, READING_TABLE_COLUMNS, sqlType, type FlatColumn } from '../generator/reading-columns.js';
import { INTERVALS } from '../scenario/enums.js';
import { lagMinutes, type DdlOptions } from './ddl-options.js';
import { GOLD_SOURCES, goldQueries, MEDALLION, MESSAGE_PATH } from './medallion-model.js';
import { DEFAULT_TRANSFORMER_KVA, NAMEPLATE_POWER_FACTOR, TRANSFORMER_TABLE_COLUMNS, transformerTableDdl } from '../generator/transformer-columns.js';
import { TRANSFORMER_PREFIX } from '../stage/transformer-keys.js';
import { quoteName } from './sql-identifier.js';
import { LABEL_TABLE, labelTableDdl } from '../generator/label-columns.js';

const q = (name: string): string => quoteName('snowflake', name);
/** A literal with its quotes doubled (the inputs are checked already; this keeps the output valid whatever). */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Hours a day an XSMALL warehouse (1 credit an hour) stays awake for dynamic tables at `lagMinutes`, data arriving. */
export function snowflakeWarehouseHours(lagMinutes: number): number {
  // Each refresh wakes the warehouse: at least 60 s billed, then AUTO_SUSPEND = 60 s idle before it sleeps, so about
  // 2 minutes awake per refresh; the tables refresh together about once per lag. At a lag of 2 minutes or less the
  // warehouse never gets to sleep.
  return Math.min(24, (24 * 2) / lagMinutes);
}

/** The stage file formats the stage sink writes, each with its file format and the pattern of its keys. */
const FORMATS = [
  { name: 'json', pattern: String.raw`.*[.]json([.]gz)?`, format: 'TYPE = JSON COMPRESSION = AUTO STRIP_OUTER_ARRAY = FALSE' },
  { name: 'csv', pattern: String.raw`.*[.]csv([.]gz)?`, format: `TYPE = CSV COMPRESSION = AUTO SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '"' EMPTY_FIELD_AS_NULL = TRUE` },
  { name: 'parquet', pattern: String.raw`.*[.]parquet`, format: 'TYPE = PARQUET' },
] as const;

/**
 * The whole Snowflake set for the medallion flow, to paste into a worksheet, in two parts.
 * Part 1 runs with a role that can create a database, a warehouse and tasks (SYSADMIN with EXECUTE TASK): database,
 * schema and warehouse; the target and bronze tables; a file format per stage format (NDJSON, CSV, Parquet); an
 * internal stage with a pipe per format into bronze; silver and gold as dynamic tables (with what their lag costs);
 * the scheduled flow, a task that MERGEs the new bronze rows (a stream) into the target table by
 * (METER_ID, READING_TS_UTC), so late and backfilled readings arrive whatever their time; and the Snowpipe
 * Streaming pipe.
 * Part 2, only with `withIntegration`, needs ACCOUNTADMIN: the storage integration for the IAM role given, then the
 * external stage on the landing bucket and its auto-ingest pipes. Without it nothing in the script needs
 * ACCOUNTADMIN, so a paste runs to the end.
 */
export function snowflakeDdl(o: DdlOptions): string {
  const stage = parseStageLocation(o.stageUrl);
  const url = stage.kind === 's3' ? `s3://${stage.bucket}/${stage.prefix ? `${stage.prefix}/` : ''}` : '';
  const db = q(o.database);
  const schema = `${db}.${q(o.schema)}`;
  const wh = q(o.warehouse);
  const name = (n: string): string => `${schema}.${q(n)}`;
  const readingColumns = READING_TABLE_COLUMNS.map((c) => `  ${q(c)} ${sqlType('snowflake', c)}`).join(',\n');
  const fromMessage = READING_TABLE_COLUMNS.map((c) => `    ${q('raw')}:${MESSAGE_PATH[c]}::${sqlType('snowflake', c)} AS ${q(c)}`).join(',\n');
  const key = READING_KEY.map(q).join(', ');
  // The key's domain: a reading without a meter, time or usage, or with an interval the schema has not, is left out
  // (forge ingest checks every value; see docs/RELIABILITY.md).
  const valid = `${q('meter_id')} <> '' AND ${q('reading_ts_utc')} IS NOT NULL AND ${q('usage_kwh')} IS NOT NULL AND ${q('interval_minutes')} IN (${INTERVALS.join(', ')})`;
  const firstCopy = `QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${q('loaded_at')}, ${q('file_name')}, ${q('row_number')}) = 1`;
  const typedFrom = (source: string): string =>
    `SELECT * FROM (\n  SELECT\n${fromMessage},\n    ${q('loaded_at')}, ${q('file_name')}, ${q('row_number')}\n  FROM ${source}\n)\nWHERE ${valid}\n${firstCopy}`;
  const gold = goldQueries(q, (col) => `DATE_TRUNC('HOUR', ${col})`);
  const lag = literal(o.targetLag);
  const minutes = lagMinutes(o.targetLag);
  const hours = snowflakeWarehouseHours(minutes);
  const dynamic = (table: string, query: string, targetLag: string): string =>
    `CREATE OR REPLACE DYNAMIC TABLE ${name(table)}\n  TARGET_LAG = ${targetLag}\n  WAREHOUSE = ${wh}\nAS\n${GOLD_SOURCES.reduce((sql, t) => sql.replaceAll(q(t), name(t)), query)};`;
  const bronzeColumns = `${name(MEDALLION.bronze)} (${q('raw')}, ${q('file_name')}, ${q('row_number')}, ${q('loaded_at')})`;
  // The CSV's columns in the flat order, rebuilt into the head-end message bronze keeps for every format.
  const col = (c: string): string => `$${FLAT_COLUMNS.indexOf(c as FlatColumn) + 1}`;
  const group = (keys: readonly string[]): string => `OBJECT_CONSTRUCT(${keys.map((k) => `'${k}', ${col(k)}`).join(', ')})`;
  const csvMessage =
    `OBJECT_CONSTRUCT('header', OBJECT_CONSTRUCT('source_system', 'AMI_HEAD_END', 'message_type', 'METER_READING', 'schema_version', '1.0'), ` +
    `'meter', ${group(['meter_id', 'transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude'])}, ` +
    `'reading', ${group(['reading_ts', 'reading_ts_utc', 'interval_minutes', 'usage_kwh', 'voltage', 'power_factor', 'temperature_c'])}, ` +
    `'quality', ${group(['is_outage', 'data_quality', 'event_type'])}, 'metadata', OBJECT_CONSTRUCT('emission_pattern', ${col('emission_pattern')}))`;
  const pipe = (pipeName: string, stageName: string, f: (typeof FORMATS)[number], autoIngest: boolean): string =>
    `CREATE PIPE IF NOT EXISTS ${name(pipeName)}\n  AUTO_INGEST = ${autoIngest ? 'TRUE' : 'FALSE'}\nAS\nCOPY INTO ${bronzeColumns}\nFROM (\n` +
    `  SELECT ${f.name === 'csv' ? csvMessage : '$1'}, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, METADATA$START_SCAN_TIME\n  FROM @${name(stageName)}/${RAW_PREFIX}/\n)\n` +
    `FILE_FORMAT = (FORMAT_NAME = ${name(`ami_${f.name}`)})\nPATTERN = ${literal(f.pattern)};`;
  // The stage sink's transformer files (one JSON object a line) into the ratings table gold loading joins.
  const transformerPipe = (pipeName: string, stageName: string, autoIngest: boolean): string =>
    `CREATE PIPE IF NOT EXISTS ${name(pipeName)}\n  AUTO_INGEST = ${autoIngest ? 'TRUE' : 'FALSE'}\nAS\nCOPY INTO ${name(MEDALLION.transformers)} (${TRANSFORMER_TABLE_COLUMNS.map(q).join(', ')})\nFROM (\n` +
    `  SELECT ${TRANSFORMER_TABLE_COLUMNS.map((c) => `$1:${c}`).join(', ')}\n  FROM @${name(stageName)}/${TRANSFORMER_PREFIX}/\n)\n` +
    `FILE_FORMAT = (FORMAT_NAME = ${name('ami_json')})\nPATTERN = ${literal(String.raw`.*[.]ndjson([.]gz)?`)};`;
  const part1 = [
    '-- Flux Data Forge: the AMI medallion flow on Snowflake (forge ddl --target snowflake).',
    '-- Part 1 runs without ACCOUNTADMIN: a role that can create a database and a warehouse and execute tasks (e.g.',
    '-- SYSADMIN granted EXECUTE TASK). The S3 landing bucket (storage integration, external stage, auto-ingest pipes) is',
    '-- part 2, printed with --with-integration --aws-role-arn <arn>, and needs ACCOUNTADMIN once.',
    '',
    '-- 1. Database objects',
    `CREATE DATABASE IF NOT EXISTS ${db};`,
    `CREATE SCHEMA IF NOT EXISTS ${schema};`,
    `CREATE WAREHOUSE IF NOT EXISTS ${wh} WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;`,
    `USE SCHEMA ${schema};`,
    '',
    '-- 2. Target table: direct inserts, the scheduled flow and Snowpipe Streaming land here. The key is informational',
    '--    (Snowflake does not enforce it): loads are idempotent through offset tokens and MERGE, not the constraint.',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.readings)} (\n${readingColumns},\n  CONSTRAINT ${q('ami_readings_pk')} PRIMARY KEY (${key})\n);`,
    '--    Beside it, the jobs\' ground truth for ML: one row per labelled event window (label-columns.ts; informational key).',
    `${labelTableDdl('snowflake', name(LABEL_TABLE))};`,
    '--    And each transformer\'s rating, which gold loading joins (loaded from the stage\'s raw/transformers files, step 5).',
    `${transformerTableDdl('snowflake', name(MEDALLION.transformers))};`,
    '',
    '-- 3. Bronze: raw head-end messages as landed, one row per line of a stage file (a CSV row rebuilt as the message)',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.bronze)} (\n  ${q('raw')} VARIANT,\n  ${q('file_name')} VARCHAR,\n  ${q('row_number')} NUMBER,\n  ${q('loaded_at')} TIMESTAMP_LTZ\n);`,
    '',
    '-- 4. File formats of the stage files: NDJSON and CSV (gzip or not, detected), Parquet (compressed inside)',
    ...FORMATS.map((f) => `CREATE FILE FORMAT IF NOT EXISTS ${name(`ami_${f.name}`)} ${f.format};`),
    '',
    '-- 5. Internal stage and a pipe per format into bronze. Pipes on an internal stage load the files named to the',
    '--    Snowpipe REST API (insertFiles) after a PUT; AUTO_INGEST is for external stages (part 2). A pipe loads a file',
    '--    once (its load history): a file changed in place is not loaded again, land new data under a new key.',
    `CREATE STAGE IF NOT EXISTS ${name('ami_internal_stage')};`,
    ...FORMATS.map((f) => pipe(`ami_bronze_${f.name}_pipe`, 'ami_internal_stage', f, false)),
    transformerPipe('ami_transformers_pipe', 'ami_internal_stage', false),
    '',
    '-- 6. Silver: typed, one row per (meter_id, reading_ts_utc) (the first landed copy), late arrivals merged in. Its lag',
    '--    is DOWNSTREAM: it refreshes when gold does, not on a schedule of its own.',
    dynamic(MEDALLION.silver, typedFrom(name(MEDALLION.bronze)), 'DOWNSTREAM'),
    '',
    `-- 7. Gold: usage per meter per hour and day, transformer loading (peak kW over each transformer's nameplate flagged:`,
    `--    its kVA x ${NAMEPLATE_POWER_FACTOR} from ${MEDALLION.transformers.toUpperCase()}, ${DEFAULT_TRANSFORMER_KVA} kVA where it has no row; nameplate_source says which),`,
    '--    feeder and substation totals, outage summary (customers out, customer-minutes, SAIFI/SAIDI-style per day).',
    `--    Cost: TARGET_LAG = ${lag} refreshes these tables together about every ${formatMinutes(minutes)} while data arrives;`,
    '--    each refresh keeps the XSMALL warehouse awake about 2 minutes (60 s minimum billing, then AUTO_SUSPEND = 60),',
    `--    so about ${hours.toFixed(1)} hours of warehouse time a day, ${hours.toFixed(1)} credits (XSMALL: 1 credit an hour), ${Math.round(hours * 30)} a month${hours >= 24 ? ': the warehouse never sleeps' : ''}.`,
    '--    Refreshes with no new bronze rows are skipped and cost no warehouse time. To spend less, raise the lag',
    `--    (forge ddl --target-lag '30 minutes': about ${snowflakeWarehouseHours(30).toFixed(1)} h a day; '1 hour': ${snowflakeWarehouseHours(60).toFixed(1)} h), or later:`,
    `--    ALTER DYNAMIC TABLE <name> SET TARGET_LAG = '1 hour'; ALTER DYNAMIC TABLE <name> SUSPEND stops one altogether.`,
    ...Object.entries(gold).map(([table, query]) => dynamic(table, query, lag)),
    '',
    '-- 8. The scheduled flow: every 15 minutes, when bronze has new rows (a stream), MERGE them into the target table on',
    '--    its key. A late or backfilled reading (PARTIAL_REPORTING, DEGRADED_NETWORK, a re-sent file) is inserted whatever',
    '--    its time; a key already there is kept (the first landed copy wins, as in silver). The task wakes the warehouse',
    '--    only when the stream has data (SYSTEM$STREAM_HAS_DATA).',
    `CREATE STREAM IF NOT EXISTS ${name('ami_bronze_stream')} ON TABLE ${name(MEDALLION.bronze)} APPEND_ONLY = TRUE;`,
    `CREATE TASK IF NOT EXISTS ${name('ami_scheduled_flow')}\n  WAREHOUSE = ${wh}\n  SCHEDULE = '15 MINUTE'\n  WHEN SYSTEM$STREAM_HAS_DATA(${literal(`${o.database.toUpperCase()}.${o.schema.toUpperCase()}.AMI_BRONZE_STREAM`)})\nAS\n` +
      `MERGE INTO ${name(MEDALLION.readings)} AS ${q('t')}\nUSING (\n${typedFrom(name('ami_bronze_stream'))}\n) AS ${q('s')}\n` +
      `ON ${READING_KEY.map((c) => `${q('t')}.${q(c)} = ${q('s')}.${q(c)}`).join(' AND ')}\n` +
      `WHEN NOT MATCHED THEN INSERT (${READING_TABLE_COLUMNS.map(q).join(', ')})\n  VALUES (${READING_TABLE_COLUMNS.map((c) => `${q('s')}.${q(c)}`).join(', ')});`,
    `ALTER TASK ${name('ami_scheduled_flow')} RESUME;`,
    '',
    '-- 9. Snowpipe Streaming (high-performance architecture): the pipe the SDK or REST API writes rows through,',
    '--    column names matched to the target table; channels keep offset tokens for exactly-once resume.',
    `CREATE PIPE IF NOT EXISTS ${name('ami_streaming_pipe')}\nAS\nCOPY INTO ${name(MEDALLION.readings)}\nFROM TABLE(DATA_SOURCE(TYPE => 'STREAMING'))\nMATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;`,
    '',
  ];
  if (!o.withIntegration) return part1.join('\n');
  const part2 = [
    '-- Part 2: the S3 landing bucket. The storage integration needs ACCOUNTADMIN; its usage is then granted to SYSADMIN,',
    '-- the role assumed to have run part 1. After it runs, DESC INTEGRATION gives the IAM user and external id for the',
    '-- role\'s trust policy.',
    'USE ROLE ACCOUNTADMIN;',
    `CREATE STORAGE INTEGRATION IF NOT EXISTS ${q(o.integration)}\n  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n  STORAGE_AWS_ROLE_ARN = ${literal(o.awsRoleArn!)}\n  STORAGE_ALLOWED_LOCATIONS = (${literal(url)});`,
    `GRANT USAGE ON INTEGRATION ${q(o.integration)} TO ROLE SYSADMIN;`,
    'USE ROLE SYSADMIN;',
    `USE SCHEMA ${schema};`,
    `CREATE STAGE IF NOT EXISTS ${name('ami_external_stage')}\n  URL = ${literal(url)}\n  STORAGE_INTEGRATION = ${q(o.integration)};`,
    '-- Auto-ingest pipes, one per stage format: each new file under raw/ami/ loads into bronze once; point the bucket\'s',
    '-- event notifications at the pipes\' notification_channel (SHOW PIPES).',
    ...FORMATS.map((f) => pipe(`ami_bronze_${f.name}_auto_pipe`, 'ami_external_stage', f, true)),
    transformerPipe('ami_transformers_auto_pipe', 'ami_external_stage', true),
    '',
  ];
  return [...part1, ...part2].join('\n');
}

const formatMinutes = (minutes: number): string => (minutes % 60 === 0 && minutes >= 60 ? `${minutes / 60} hour(s)` : `${Number(minutes.toFixed(2))} minute(s)`);
