/**
 * The reading schema's columns (DESIGN.md, "The reading"), declared once: each column's name, what it holds (its
 * logical type) and whether it may be NULL, and each SQL dialect's spelling of the logical types. The Postgres sink's
 * table, the DuckDB warehouse (its star schema and ami_readings view) and the tables `forge ddl` prints take their
 * columns and types from here, so the stores cannot drift apart.
 */

/** What a column holds, whatever the store. */
export const LOGICAL_TYPES = ['text', 'local_timestamp', 'utc_timestamp', 'small_integer', 'double', 'boolean'] as const;
export type LogicalType = (typeof LOGICAL_TYPES)[number];

/** The SQL dialects a reading table is created in. */
export const SQL_DIALECTS = ['postgres', 'duckdb', 'snowflake'] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

/**
 * Each logical type as each dialect spells it, and as the store reports it back (Postgres format_type, DuckDB
 * information_schema and DESCRIBE), so a table's catalogue compares with these verbatim. local_timestamp is the
 * service area's wall-clock time without a zone (Snowflake TIMESTAMP_NTZ); utc_timestamp an instant.
 * small_integer holds interval_minutes (5 to 60): DuckDB keeps INTEGER, which its ami_readings view, the pipeline's
 * silver_ami and the Parquet files have always had.
 */
const SQL_TYPES: Readonly<Record<SqlDialect, Readonly<Record<LogicalType, string>>>> = {
  postgres: {
    text: 'text',
    local_timestamp: 'timestamp without time zone',
    utc_timestamp: 'timestamp with time zone',
    small_integer: 'smallint',
    double: 'double precision',
    boolean: 'boolean',
  },
  duckdb: { text: 'VARCHAR', local_timestamp: 'TIMESTAMP', utc_timestamp: 'TIMESTAMP WITH TIME ZONE', small_integer: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' },
  snowflake: { text: 'VARCHAR', local_timestamp: 'TIMESTAMP_NTZ', utc_timestamp: 'TIMESTAMP_TZ', small_integer: 'SMALLINT', double: 'FLOAT', boolean: 'BOOLEAN' },
};

interface ColumnSpec {
  readonly name: string;
  readonly type: LogicalType;
  /** NULL allowed; every other column is NOT NULL where the DDL says so. */
  readonly nullable: boolean;
}

/** The flat reading, in column order. */
const FLAT = [
  { name: 'meter_id', type: 'text', nullable: false },
  { name: 'reading_ts', type: 'local_timestamp', nullable: false },
  { name: 'reading_ts_utc', type: 'utc_timestamp', nullable: false },
  { name: 'interval_minutes', type: 'small_integer', nullable: false },
  { name: 'usage_kwh', type: 'double', nullable: false },
  { name: 'voltage', type: 'double', nullable: false },
  { name: 'power_factor', type: 'double', nullable: false },
  { name: 'temperature_c', type: 'double', nullable: false },
  { name: 'transformer_id', type: 'text', nullable: false },
  { name: 'circuit_id', type: 'text', nullable: false },
  { name: 'substation_id', type: 'text', nullable: false },
  { name: 'service_area', type: 'text', nullable: false },
  { name: 'customer_segment', type: 'text', nullable: false },
  { name: 'latitude', type: 'double', nullable: false },
  { name: 'longitude', type: 'double', nullable: false },
  { name: 'is_outage', type: 'boolean', nullable: false },
  { name: 'data_quality', type: 'text', nullable: false },
  // NULL when no labelled event lies behind the reading.
  { name: 'event_type', type: 'text', nullable: true },
  { name: 'emission_pattern', type: 'text', nullable: false },
] as const satisfies readonly ColumnSpec[];

/** After the reading's columns in a table of readings: when a stream emitted the reading (NULL for batch jobs). */
const DELIVERY = [{ name: 'emitted_at', type: 'utc_timestamp', nullable: true }] as const satisfies readonly ColumnSpec[];

type Names<T extends readonly ColumnSpec[]> = { readonly [K in keyof T]: T[K] extends { readonly name: infer N } ? N : never };
const namesOf = <T extends readonly ColumnSpec[]>(specs: T): Names<T> => specs.map((s) => s.name) as unknown as Names<T>;

/** The flat reading's columns, in order (the flat shape of reading-records.ts, the CSV header). */
export const FLAT_COLUMNS = namesOf(FLAT);
export type FlatColumn = (typeof FLAT_COLUMNS)[number];

/** The columns of a table of readings: the flat reading, then emitted_at. */
export const READING_TABLE_COLUMNS = namesOf([...FLAT, ...DELIVERY] as const);
export type ReadingTableColumn = (typeof READING_TABLE_COLUMNS)[number];

/** The reading's unique key. */
export const READING_KEY = ['meter_id', 'reading_ts_utc'] as const satisfies readonly FlatColumn[];

const SPECS: ReadonlyMap<string, ColumnSpec> = new Map([...FLAT, ...DELIVERY].map((s) => [s.name, s]));
const spec = (column: ReadingTableColumn): ColumnSpec => SPECS.get(column)!;

export const logicalType = (column: ReadingTableColumn): LogicalType => spec(column).type;

export const isNullable = (column: ReadingTableColumn): boolean => spec(column).nullable;

/** A logical type as the dialect spells it (also for columns outside the reading that hold the same kind of value). */
export const dialectType = (dialect: SqlDialect, type: LogicalType): string => SQL_TYPES[dialect][type];

/** The column's SQL type in the dialect. */
export const sqlType = (dialect: SqlDialect, column: ReadingTableColumn): string => dialectType(dialect, logicalType(column));
