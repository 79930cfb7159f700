import { sqlType } from '../generator/reading-columns.js';
import { FLAT_COLUMNS, NESTED_SCHEMA_VERSION, type FlatReading } from '../generator/reading-records.js';
import { quoteIdentifier, quoteLiteral } from './sql-quote.js';

/**
 * The SELECT that turns fact rows joined to the meter dimension into the reading schema: the `ami_readings` view and
 * every file the file sinks write come from it, so all outputs agree on names, order, types and text forms.
 *
 * - `shape: 'flat'`: FLAT_COLUMNS in order. `'nested'`: the AMI head-end message (reading-records.ts NestedReading),
 *   five STRUCT columns header, meter, reading, quality, metadata.
 * - `timestamps: 'typed'`: reading_ts TIMESTAMP, reading_ts_utc TIMESTAMPTZ (warehouse, Parquet). `'text'`: the
 *   forms of reading-records.ts, 'YYYY-MM-DD HH:MM:SS' local and ISO 8601 with Z (CSV, NDJSON), independent of the
 *   session time zone.
 * interval_minutes and the enum columns (stored compact in the fact) leave with their types of reading-columns.ts
 * (INTEGER, VARCHAR), the enums unless `enumsAsText` is false.
 */
export interface ReadingsSelectOptions {
  readonly fact: string;
  readonly meters: string;
  readonly shape: 'flat' | 'nested';
  readonly timestamps: 'typed' | 'text';
  /**
   * Default true: enum columns leave as VARCHAR, the schema's text type (the view). False keeps them ENUM, for
   * writers where that changes nothing a reader sees but is cheaper (COPY to files: ENUMs are written as strings).
   */
  readonly enumsAsText?: boolean;
  /**
   * The job's constants, for a fact staged without them (STAGE_COLUMNS): interval_minutes and emission_pattern are
   * selected as these literals instead of read from the fact.
   */
  readonly constants?: { readonly intervalMinutes: number; readonly emissionPattern: string };
}

type Column = keyof FlatReading;

function columnExpressions(options: ReadingsSelectOptions): Record<Column, string> {
  const text = options.timestamps === 'text';
  const label = (c: 'data_quality' | 'event_type' | 'emission_pattern'): string => (options.enumsAsText ?? true ? `CAST(f.${c} AS ${sqlType('duckdb', c)})` : `f.${c}`);
  const interval = sqlType('duckdb', 'interval_minutes');
  const constants = options.constants;
  if (constants && !Number.isInteger(constants.intervalMinutes)) throw new RangeError(`interval ${constants.intervalMinutes} is not whole minutes`);
  return {
    meter_id: 'm.meter_id',
    reading_ts: text ? `strftime(f.reading_ts, '%Y-%m-%d %H:%M:%S')` : 'f.reading_ts',
    reading_ts_utc: text ? `strftime(timezone('UTC', f.reading_ts_utc), '%Y-%m-%dT%H:%M:%SZ')` : 'f.reading_ts_utc',
    interval_minutes: `CAST(${constants ? constants.intervalMinutes : 'f.interval_minutes'} AS ${interval})`,
    usage_kwh: 'f.usage_kwh',
    voltage: 'f.voltage',
    power_factor: 'f.power_factor',
    temperature_c: 'f.temperature_c',
    transformer_id: 'm.transformer_id',
    circuit_id: 'm.circuit_id',
    substation_id: 'm.substation_id',
    service_area: 'm.service_area',
    customer_segment: 'm.customer_segment',
    latitude: 'm.latitude',
    longitude: 'm.longitude',
    is_outage: 'f.is_outage',
    data_quality: label('data_quality'),
    event_type: label('event_type'),
    emission_pattern: constants ? quoteLiteral(constants.emissionPattern) : label('emission_pattern'),
  };
}

/** The nested groups, member order as in NestedReading. */
const NESTED_GROUPS = {
  meter: ['meter_id', 'transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude'],
  reading: ['reading_ts', 'reading_ts_utc', 'interval_minutes', 'usage_kwh', 'voltage', 'power_factor', 'temperature_c'],
  quality: ['is_outage', 'data_quality', 'event_type'],
} as const satisfies Record<string, readonly Column[]>;

export function readingsSelect(options: ReadingsSelectOptions): string {
  const expr = columnExpressions(options);
  const from = `FROM ${quoteIdentifier(options.fact)} AS f JOIN ${quoteIdentifier(options.meters)} AS m ON m.meter_key = f.meter_key`;
  if (options.shape === 'flat') {
    return `SELECT ${FLAT_COLUMNS.map((c) => `${expr[c]} AS ${c}`).join(', ')} ${from}`;
  }
  const pack = (members: Record<string, string>): string =>
    `struct_pack(${Object.entries(members).map(([k, v]) => `${k} := ${v}`).join(', ')})`;
  const group = (cols: readonly Column[]): string => pack(Object.fromEntries(cols.map((c) => [c, expr[c]])));
  // messageId() of reading-records.ts: meter_id ':' epoch seconds. Interval starts are whole minutes, so the
  // DOUBLE epoch is exact and the cast cannot round differently from Math.round.
  const header = pack({
    message_id: `m.meter_id || ':' || CAST(CAST(epoch(f.reading_ts_utc) AS BIGINT) AS VARCHAR)`,
    source_system: quoteLiteral('AMI_HEAD_END'),
    message_type: quoteLiteral('METER_READING'),
    schema_version: quoteLiteral(NESTED_SCHEMA_VERSION),
  });
  const metadata = pack({ emission_pattern: expr.emission_pattern, generator: quoteLiteral('flux-data-forge') });
  return `SELECT ${header} AS header, ${group(NESTED_GROUPS.meter)} AS meter, ${group(NESTED_GROUPS.reading)} AS reading, ${group(NESTED_GROUPS.quality)} AS quality, ${metadata} AS metadata ${from}`;
}
