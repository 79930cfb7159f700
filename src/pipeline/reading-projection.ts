/**
 * The typed flat reading (DESIGN.md's schema) read out of a raw head-end message held as JSON in column `raw`. The
 * loader checks the required fields with it (a line without them quarantines its file), silver selects it.
 */
export const READING_PROJECTION: readonly (readonly [column: string, sql: string, required: boolean])[] = [
  ['meter_id', `raw->>'$.meter.meter_id'`, true],
  ['reading_ts', `TRY_CAST(raw->>'$.reading.reading_ts' AS TIMESTAMP)`, true],
  ['reading_ts_utc', `TRY_CAST(raw->>'$.reading.reading_ts_utc' AS TIMESTAMPTZ)`, true],
  ['interval_minutes', `TRY_CAST(raw->>'$.reading.interval_minutes' AS INTEGER)`, true],
  ['usage_kwh', `TRY_CAST(raw->>'$.reading.usage_kwh' AS DOUBLE)`, true],
  ['voltage', `TRY_CAST(raw->>'$.reading.voltage' AS DOUBLE)`, false],
  ['power_factor', `TRY_CAST(raw->>'$.reading.power_factor' AS DOUBLE)`, false],
  ['temperature_c', `TRY_CAST(raw->>'$.reading.temperature_c' AS DOUBLE)`, false],
  ['transformer_id', `raw->>'$.meter.transformer_id'`, false],
  ['circuit_id', `raw->>'$.meter.circuit_id'`, false],
  ['substation_id', `raw->>'$.meter.substation_id'`, false],
  ['service_area', `raw->>'$.meter.service_area'`, true],
  ['customer_segment', `raw->>'$.meter.customer_segment'`, false],
  ['latitude', `TRY_CAST(raw->>'$.meter.latitude' AS DOUBLE)`, false],
  ['longitude', `TRY_CAST(raw->>'$.meter.longitude' AS DOUBLE)`, false],
  ['is_outage', `TRY_CAST(raw->>'$.quality.is_outage' AS BOOLEAN)`, true],
  ['data_quality', `raw->>'$.quality.data_quality'`, true],
  ['event_type', `raw->>'$.quality.event_type'`, false],
  ['emission_pattern', `raw->>'$.metadata.emission_pattern'`, false],
  ['message_id', `raw->>'$.header.message_id'`, false],
  ['emitted_at', `TRY_CAST(raw->>'$.header.emitted_at' AS TIMESTAMPTZ)`, false],
];

/** `expr AS column, ...` of the whole projection. */
export const projectionSelect = (): string => READING_PROJECTION.map(([column, sql]) => `${sql} AS ${column}`).join(', ');

/** SQL listing the names of the required fields that are missing or mistyped in `raw`, as a list (empty when fine). */
export const missingRequiredSql = (): string =>
  `list_filter([${READING_PROJECTION.filter(([, , required]) => required)
    .map(([column, sql]) => `CASE WHEN json_type(raw) <> 'OBJECT' OR (${sql}) IS NULL THEN '${column}' END`)
    .join(', ')}], x -> x IS NOT NULL)`;
