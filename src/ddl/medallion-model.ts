import { READING_TABLE_COLUMNS, type ReadingTableColumn } from '../generator/reading-columns.js';
import { nameplateColumns, TRANSFORMER_TABLE } from '../generator/transformer-columns.js';

/** The readings table's columns (the reading, then emitted_at): reading-columns.ts declares them with their types. */
export const READING_COLUMNS = READING_TABLE_COLUMNS;

/** Where each column sits in a raw head-end message (NestedReading). */
export const MESSAGE_PATH: Readonly<Record<ReadingTableColumn, string>> = {
  meter_id: 'meter.meter_id', reading_ts: 'reading.reading_ts', reading_ts_utc: 'reading.reading_ts_utc', interval_minutes: 'reading.interval_minutes',
  usage_kwh: 'reading.usage_kwh', voltage: 'reading.voltage', power_factor: 'reading.power_factor', temperature_c: 'reading.temperature_c',
  transformer_id: 'meter.transformer_id', circuit_id: 'meter.circuit_id', substation_id: 'meter.substation_id', service_area: 'meter.service_area',
  customer_segment: 'meter.customer_segment', latitude: 'meter.latitude', longitude: 'meter.longitude', is_outage: 'quality.is_outage',
  data_quality: 'quality.data_quality', event_type: 'quality.event_type', emission_pattern: 'metadata.emission_pattern', emitted_at: 'header.emitted_at',
};

/** Layer tables and views, in the order they are created. */
export const MEDALLION = {
  readings: 'ami_readings',
  bronze: 'bronze_ami',
  silver: 'silver_ami',
  /** Each transformer's rating (transformer-columns.ts), loaded from the stage's raw/transformers files. */
  transformers: TRANSFORMER_TABLE,
  goldUsageHourly: 'gold_usage_hourly',
  goldUsageDaily: 'gold_usage_daily',
  goldTransformerHourly: 'gold_transformer_hourly',
  goldFeederHourly: 'gold_feeder_hourly',
  goldSubstationHourly: 'gold_substation_hourly',
  goldOutageSummary: 'gold_outage_summary',
} as const;

/** The tables gold reads: a target schema-qualifies them in the queries (each query names them as `q(name)`). */
export const GOLD_SOURCES = [MEDALLION.silver, MEDALLION.transformers] as const;

/**
 * The gold queries over silver, in portable SQL (each target quotes names its way through `q`). Hours are UTC;
 * days are the service area's local dates (reading_ts is local wall-clock time). Transformer loading takes each
 * transformer's nameplate from ami_transformers (a transformer landed twice with two ratings, e.g. by two fleets over
 * the same ids, takes the larger), 25 kVA where it has none, as `forge ingest` does.
 */
export function goldQueries(q: (name: string) => string, hourOf: (column: string) => string): Record<string, string> {
  const silver = q(MEDALLION.silver);
  const kw = `SUM(${q('usage_kwh')}) / (MAX(${q('interval_minutes')}) / 60.0)`;
  const lastGasps = `SUM(CASE WHEN ${q('event_type')} = 'LAST_GASP' THEN 1 ELSE 0 END)`;
  const minutesOut = `SUM(CASE WHEN ${q('is_outage')} THEN ${q('interval_minutes')} ELSE 0 END)`;
  const customers = `COUNT(DISTINCT ${q('meter_id')})`;
  return {
    [MEDALLION.goldUsageHourly]: `SELECT ${q('meter_id')}, ${hourOf(q('reading_ts_utc'))} AS ${q('hour_utc')}, SUM(${q('usage_kwh')}) AS ${q('kwh')}, COUNT(*) AS ${q('readings')} FROM ${silver} GROUP BY 1, 2`,
    [MEDALLION.goldUsageDaily]:
      `SELECT ${q('meter_id')}, ${q('service_area')}, CAST(${q('reading_ts')} AS DATE) AS ${q('local_date')}, SUM(${q('usage_kwh')}) AS ${q('kwh')}, ` +
      `COUNT(*) AS ${q('readings')} FROM ${silver} GROUP BY 1, 2, 3`,
    // Peak kW: the hour's highest interval load (the sum of its meters' interval kWh over the interval's hours).
    [MEDALLION.goldTransformerHourly]:
      `SELECT ${q('i')}.${q('transformer_id')}, ${q('i')}.${q('hour_utc')}, SUM(${q('i')}.${q('kwh')}) AS ${q('kwh')}, MAX(${q('i')}.${q('kw')}) AS ${q('peak_kw')}, ` +
      `MAX(${q('m')}.${q('meters')}) AS ${q('meters')}, ${nameplateColumns(`MAX(${q('r')}.${q('kva')})`, `MAX(${q('i')}.${q('kw')})`, q)} ` +
      `FROM (SELECT ${q('transformer_id')}, ${hourOf(q('reading_ts_utc'))} AS ${q('hour_utc')}, ${q('reading_ts_utc')}, SUM(${q('usage_kwh')}) AS ${q('kwh')}, ${kw} AS ${q('kw')} ` +
      `FROM ${silver} GROUP BY 1, 2, 3) AS ${q('i')} ` +
      `JOIN (SELECT ${q('transformer_id')}, ${hourOf(q('reading_ts_utc'))} AS ${q('hour_utc')}, ${customers} AS ${q('meters')} FROM ${silver} GROUP BY 1, 2) AS ${q('m')} ` +
      `ON ${q('m')}.${q('transformer_id')} = ${q('i')}.${q('transformer_id')} AND ${q('m')}.${q('hour_utc')} = ${q('i')}.${q('hour_utc')} ` +
      `LEFT JOIN (SELECT ${q('transformer_id')}, MAX(${q('kva')}) AS ${q('kva')} FROM ${q(MEDALLION.transformers)} GROUP BY 1) AS ${q('r')} ` +
      `ON ${q('r')}.${q('transformer_id')} = ${q('i')}.${q('transformer_id')} ` +
      `GROUP BY 1, 2`,
    [MEDALLION.goldFeederHourly]: `SELECT ${q('circuit_id')}, ${hourOf(q('reading_ts_utc'))} AS ${q('hour_utc')}, SUM(${q('usage_kwh')}) AS ${q('kwh')}, ${customers} AS ${q('meters')} FROM ${silver} GROUP BY 1, 2`,
    [MEDALLION.goldSubstationHourly]: `SELECT ${q('substation_id')}, ${hourOf(q('reading_ts_utc'))} AS ${q('hour_utc')}, SUM(${q('usage_kwh')}) AS ${q('kwh')}, ${customers} AS ${q('meters')} FROM ${silver} GROUP BY 1, 2`,
    // Per area and local day: interruptions are LAST_GASP labels; SAIFI- and SAIDI-style figures per customer.
    [MEDALLION.goldOutageSummary]:
      `SELECT ${q('service_area')}, CAST(${q('reading_ts')} AS DATE) AS ${q('local_date')}, ${customers} AS ${q('customers')}, ` +
      `COUNT(DISTINCT CASE WHEN ${q('is_outage')} THEN ${q('meter_id')} END) AS ${q('customers_out')}, ${minutesOut} AS ${q('customer_minutes_out')}, ` +
      `${lastGasps} AS ${q('interruptions')}, ${lastGasps} * 1.0 / ${customers} AS ${q('saifi')}, ${minutesOut} * 1.0 / ${customers} AS ${q('saidi_minutes')} ` +
      `FROM ${silver} GROUP BY 1, 2`,
  };
}
