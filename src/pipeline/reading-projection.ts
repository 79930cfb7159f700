/**
 * The typed flat reading (DESIGN.md's schema) read out of a raw head-end message held as JSON in column `raw`: what
 * silver selects from bronze. Bronze holds only lines that passed the loader's checks (reading-checks.ts), so every
 * required field is there and of its type; `required` documents which.
 */
export const READING_PROJECTION: readonly (readonly [column: string, sql: string, required: boolean])[] = [
  ['meter_id', `j.meter.meter_id`, true],
  ['reading_ts', `TRY_CAST(j.reading.reading_ts AS TIMESTAMP)`, true],
  ['reading_ts_utc', `TRY_CAST(j.reading.reading_ts_utc AS TIMESTAMPTZ)`, true],
  ['interval_minutes', `j.reading.interval_minutes`, true],
  ['usage_kwh', `j.reading.usage_kwh`, true],
  ['voltage', `j.reading.voltage`, false],
  ['power_factor', `j.reading.power_factor`, false],
  ['temperature_c', `j.reading.temperature_c`, false],
  ['transformer_id', `j.meter.transformer_id`, false],
  ['circuit_id', `j.meter.circuit_id`, false],
  ['substation_id', `j.meter.substation_id`, false],
  ['service_area', `j.meter.service_area`, true],
  ['customer_segment', `j.meter.customer_segment`, false],
  ['latitude', `j.meter.latitude`, false],
  ['longitude', `j.meter.longitude`, false],
  ['is_outage', `j.quality.is_outage`, true],
  ['data_quality', `j.quality.data_quality`, true],
  ['event_type', `j.quality.event_type`, false],
  ['emission_pattern', `j.metadata.emission_pattern`, false],
  ['message_id', `j.header.message_id`, false],
  ['emitted_at', `TRY_CAST(j.header.emitted_at AS TIMESTAMPTZ)`, false],
];

/**
 * The message's fields as DuckDB types, for json_transform: each line is parsed once into a STRUCT `j` (a value of the
 * wrong type becomes NULL, and so counts as missing). Extracting the 21 fields one path at a time parsed every line
 * 21 times: 12.3 s against 1.4 s for 960,000 readings.
 */
const MESSAGE_STRUCTURE = JSON.stringify({
  header: { message_id: 'VARCHAR', emitted_at: 'VARCHAR' },
  meter: {
    meter_id: 'VARCHAR', transformer_id: 'VARCHAR', circuit_id: 'VARCHAR', substation_id: 'VARCHAR', service_area: 'VARCHAR',
    customer_segment: 'VARCHAR', latitude: 'DOUBLE', longitude: 'DOUBLE',
  },
  reading: {
    reading_ts: 'VARCHAR', reading_ts_utc: 'VARCHAR', interval_minutes: 'INTEGER', usage_kwh: 'DOUBLE', voltage: 'DOUBLE',
    power_factor: 'DOUBLE', temperature_c: 'DOUBLE',
  },
  quality: { is_outage: 'BOOLEAN', data_quality: 'VARCHAR', event_type: 'VARCHAR' },
  metadata: { emission_pattern: 'VARCHAR' },
});

/** `source` (a table or a parenthesised query with a JSON column `raw`) with the parsed message as column `j`. */
export const withMessage = (source: string): string => `(SELECT *, json_transform(raw, '${MESSAGE_STRUCTURE}') AS j FROM ${source})`;

/** `expr AS column, ...` of the whole projection. */
export const projectionSelect = (): string => READING_PROJECTION.map(([column, sql]) => `${sql} AS ${column}`).join(', ');
