import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlType } from '../generator/reading-columns.js';
import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES } from '../scenario/enums.js';
import { ForgeError } from '../util/forge-error.js';
import { readingsSelect } from './readings-select.js';
import { quoteIdentifier, quoteLiteral } from './sql-quote.js';

/**
 * The warehouse's star schema:
 * - `ami_fact`: one row per reading, compact (meter key, two timestamps, measures, enum codes); no per-row strings.
 * - `ami_meters`: the meter dimension (ids, topology, segment, location), one row per meter_id, keyed by meter_key.
 * - `ami_readings`: a view giving exactly the flat reading schema of DESIGN.md (FLAT_COLUMNS, in order).
 * - `forge_jobs`: one row per job that wrote here, with its scenario and the rows it committed, so validate can
 *   compute the expected row count from what was written.
 *
 * The enums are ENUM types built from the const tuples in scenario/enums.ts, so a column's physical value is exactly
 * the tuple index the batches carry (UTINYINT storage): appending copies the code bytes as they are. The tuples
 * only ever grow at the end, and `checkStarSchema` refuses a database whose enums differ from this code's.
 */
export const STAR_SCHEMA = {
  fact: 'ami_fact',
  meters: 'ami_meters',
  readings: 'ami_readings',
  jobs: 'forge_jobs',
  checkpoints: 'forge_checkpoints',
} as const;

const enumType = (members: readonly string[]): string => `ENUM(${members.map(quoteLiteral).join(', ')})`;

/**
 * Fact columns in physical order (ColumnarAppender fills them by position). Types as DuckDB reports them: a reading
 * column stored as the reading schema has it takes its type from reading-columns.ts; interval_minutes and the enums
 * are stored compact, and the ami_readings view gives them the schema's types.
 */
export const FACT_COLUMNS = [
  { name: 'meter_key', type: 'INTEGER' },
  { name: 'reading_ts', type: sqlType('duckdb', 'reading_ts') },
  { name: 'reading_ts_utc', type: sqlType('duckdb', 'reading_ts_utc') },
  { name: 'interval_minutes', type: 'UTINYINT' },
  { name: 'usage_kwh', type: sqlType('duckdb', 'usage_kwh') },
  { name: 'voltage', type: sqlType('duckdb', 'voltage') },
  { name: 'power_factor', type: sqlType('duckdb', 'power_factor') },
  { name: 'temperature_c', type: sqlType('duckdb', 'temperature_c') },
  { name: 'is_outage', type: sqlType('duckdb', 'is_outage') },
  { name: 'data_quality', type: enumType(DATA_QUALITIES) },
  /** NULL when the reading carries no event (code 0 in the batch); member i is batch code i + 1. */
  { name: 'event_type', type: enumType(EVENT_TYPES) },
  { name: 'emission_pattern', type: enumType(EMISSION_PATTERNS) },
  /** When a stream emitted the reading (NULL for batch jobs): its event time is reading_ts_utc. */
  { name: 'emitted_at', type: sqlType('duckdb', 'emitted_at') },
] as const;

export type FactColumn = (typeof FACT_COLUMNS)[number];

/**
 * What the file sinks stage: the fact without the job's constants (interval_minutes, emission_pattern), which their
 * COPY writes as literals. Two columns fewer cut the staging append, the busiest work of the main thread, by ~14%.
 */
export const STAGE_COLUMNS: readonly FactColumn[] = FACT_COLUMNS.filter(
  (c) => c.name !== 'interval_minutes' && c.name !== 'emission_pattern' && c.name !== 'emitted_at',
);

/** The meter dimension: its key, then the reading's per-meter columns with their types from reading-columns.ts. */
export const METER_COLUMNS = [
  { name: 'meter_key', type: 'INTEGER' },
  { name: 'meter_id', type: sqlType('duckdb', 'meter_id') },
  { name: 'transformer_id', type: sqlType('duckdb', 'transformer_id') },
  { name: 'circuit_id', type: sqlType('duckdb', 'circuit_id') },
  { name: 'substation_id', type: sqlType('duckdb', 'substation_id') },
  { name: 'service_area', type: sqlType('duckdb', 'service_area') },
  { name: 'customer_segment', type: sqlType('duckdb', 'customer_segment') },
  { name: 'latitude', type: sqlType('duckdb', 'latitude') },
  { name: 'longitude', type: sqlType('duckdb', 'longitude') },
] as const;

/**
 * The fact table has no key or index: an index would cut append speed several-fold, and the unique key
 * (meter_id, reading_ts_utc) is a property validate checks rather than one the engine enforces row by row.
 */
export function factTableDdl(table: string = STAR_SCHEMA.fact, options: { temporary?: boolean; columns?: readonly FactColumn[] } = {}): string {
  const cols = (options.columns ?? FACT_COLUMNS).map((c) => `${c.name} ${c.type}${c.name === 'meter_key' || c.name.startsWith('reading_ts') ? ' NOT NULL' : ''}`);
  return `CREATE ${options.temporary ? 'TEMPORARY ' : ''}TABLE IF NOT EXISTS ${quoteIdentifier(table)} (${cols.join(', ')})`;
}

export function meterTableDdl(table: string = STAR_SCHEMA.meters): string {
  const cols = METER_COLUMNS.map((c) =>
    c.name === 'meter_key' ? `${c.name} ${c.type} PRIMARY KEY` : c.name === 'meter_id' ? `${c.name} ${c.type} NOT NULL UNIQUE` : `${c.name} ${c.type}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (${cols.join(', ')})`;
}

const JOBS_DDL = `CREATE TABLE IF NOT EXISTS ${STAR_SCHEMA.jobs} (
  job_id VARCHAR PRIMARY KEY,
  scenario JSON NOT NULL,
  sink VARCHAR NOT NULL,
  rows BIGINT NOT NULL,
  started_at TIMESTAMP WITH TIME ZONE NOT NULL,
  finished_at TIMESTAMP WITH TIME ZONE,
  status VARCHAR NOT NULL
)`;

/** A job's last committed batch sequence, written in the transaction of the rows it covers (what resume reads). */
const CHECKPOINTS_DDL = `CREATE TABLE IF NOT EXISTS ${STAR_SCHEMA.checkpoints} (
  job_id VARCHAR PRIMARY KEY,
  sequence BIGINT NOT NULL,
  committed_at TIMESTAMP WITH TIME ZONE NOT NULL
)`;

/** Creates whatever of the star schema is absent, then checks what was already there is this code's schema. */
export async function createStarSchema(connection: DuckDBConnection, where: string): Promise<void> {
  await connection.run(factTableDdl());
  await connection.run(meterTableDdl());
  await connection.run(JOBS_DDL);
  await connection.run(CHECKPOINTS_DDL);
  // Warehouses written before streams had no emission time: the column is added (NULL for their rows).
  await connection.run(`ALTER TABLE ${STAR_SCHEMA.fact} ADD COLUMN IF NOT EXISTS emitted_at TIMESTAMP WITH TIME ZONE`);
  await checkStarSchema(connection, where);
  const view = readingsSelect({ fact: STAR_SCHEMA.fact, meters: STAR_SCHEMA.meters, shape: 'flat', timestamps: 'typed' });
  await connection.run(`CREATE OR REPLACE VIEW ${STAR_SCHEMA.readings} AS ${view}`);
}

/** Refuses tables whose columns are not exactly this code's (an older or foreign database of the same names). */
export async function checkStarSchema(connection: DuckDBConnection, where: string): Promise<void> {
  for (const [table, expected] of [[STAR_SCHEMA.fact, FACT_COLUMNS], [STAR_SCHEMA.meters, METER_COLUMNS]] as const) {
    const reader = await connection.runAndReadAll(
      `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = current_schema() AND table_name = $1 ORDER BY column_index`,
      [table],
    );
    const actual = reader.getRows().map(([name, type]) => `${String(name)} ${String(type)}`);
    const wanted = expected.map((c) => `${c.name} ${c.type}`);
    if (actual.join(', ') !== wanted.join(', ')) {
      const diff = wanted.find((w, i) => actual[i] !== w) ?? `${actual.length} columns instead of ${wanted.length}`;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['duckdb', `table ${table} in ${where} does not have this version's schema (expected ${diff}); choose another --out`]);
    }
  }
}
