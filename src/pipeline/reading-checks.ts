import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES, INTERVALS, SEGMENTS, type Segment } from '../scenario/enums.js';
import { SERVICE_AREA_NAMES } from '../scenario/service-areas.js';
import { READING_PROJECTION } from './reading-projection.js';

/**
 * The reading schema as the stage loader enforces it, value by value, in bulk in DuckDB: one SQL pass over a file's
 * lines gives each line its head-end message (nested, as bronze keeps it) and a `reason` that is NULL for a good
 * line and otherwise names every failing column ("interval_minutes: 0 is not one of 5, 15, 30, 60; is_outage: "yes"
 * is not true or false"). The loader then splits the file on it: good lines to bronze, bad ones to `stage_rejects`.
 *
 * What a value must be is what the generator writes (DESIGN.md's reading): ids non-empty text of at most
 * MAX_ID_LENGTH characters; enumerations exactly as the generator spells them; time stamps finite, ISO 8601, in
 * READING_DATE_RANGE, the UTC one with its zone and on its interval's grid, the local one the same instant at a whole
 * quarter-hour offset within 14 hours; interval 5, 15, 30 or 60 as a JSON integer; numbers finite JSON numbers within
 * physical bounds; booleans JSON true or false (CSV: the text true or false). A JSON string where a number belongs
 * ("15"), a number where a string belongs, 15.0 for an interval, "yes" or 1 for a boolean: all rejected.
 */

/** The longest id (meter, transformer, circuit, substation) accepted: the generator writes 15 to 30 characters. */
export const MAX_ID_LENGTH = 64;

/** Dates a reading may fall on (UTC and local), the range scenarios accept: from 1900-01-01 to 2199-12-31 included. */
export const READING_DATE_RANGE = { first: '1900-01-01', last: '2199-12-31' } as const;

/**
 * Physical bounds of a meter's demand, in kW (import positive, export negative); a reading's usage may be at most
 * the bound times its interval in hours. They are service sizes, not statistics, so a real reading never meets them
 * and a corrupt one (-1e300, 1e12) always does:
 * - RESIDENTIAL: 100 kW import (a 400 A, 240 V service, the largest common home service, is 96 kW), 50 kW export
 *   (home PV systems are rarely above 20 kW; utilities cap home interconnection well below 50 kW).
 * - COMMERCIAL: 10 MW either way (a 4,000 A, 480 V three-phase service, the largest common building service, is
 *   3.3 MW; campuses and data halls on one meter reach a few MW).
 * - INDUSTRIAL: 100 MW either way (larger loads and generators connect at transmission voltage, not through an AMI
 *   distribution meter).
 * The generator's largest readings (3,000 meters x 14 summer days with a storm) were 37.5 kW, 0.8 MW and 2.9 MW before
 * commercial buildings took CBECS sizes; the largest of those (over 500,000 sq ft) now reach 9.75 MW with an anomaly
 * spike, under the commercial bound by construction (generator/reading-generator.ts, COMMERCIAL_SERVICE_KW).
 */
export const USAGE_BOUNDS_KW: Readonly<Record<Segment, { readonly importKw: number; readonly exportKw: number }>> = {
  RESIDENTIAL: { importKw: 100, exportKw: 50 },
  COMMERCIAL: { importKw: 10_000, exportKw: 10_000 },
  INDUSTRIAL: { importKw: 100_000, exportKw: 100_000 },
};

/** Bounds of the optional measurements (a JSON null is accepted for them). */
export const MEASUREMENT_BOUNDS = {
  /** Meter RMS voltage: 0 in an outage; 120/240 V homes, up to 480 V (277 V phase) services, with room for swells. */
  voltage: [0, 1_000],
  /** Power factor: -1 to 1 (some head ends sign it with the direction of flow). */
  power_factor: [-1, 1],
  /** Outdoor temperature in degrees C: the lowest and highest ever recorded are -89.2 and 56.7. */
  temperature_c: [-90, 60],
  latitude: [-90, 90],
  longitude: [-180, 180],
} as const;

type Kind = 'id' | 'enum' | 'utc' | 'local' | 'instant' | 'interval' | 'usage' | 'measure' | 'bool' | 'text';

interface Field {
  readonly column: string;
  /** The message group holding it (the nested shape). */
  readonly group: 'header' | 'meter' | 'reading' | 'quality' | 'metadata';
  readonly kind: Kind;
  readonly required: boolean;
  readonly values?: readonly string[];
}

/** Every field a line may carry, in the flat schema's order, then the header's. */
const FIELDS: readonly Field[] = [
  { column: 'meter_id', group: 'meter', kind: 'id', required: true },
  { column: 'reading_ts', group: 'reading', kind: 'local', required: true },
  { column: 'reading_ts_utc', group: 'reading', kind: 'utc', required: true },
  { column: 'interval_minutes', group: 'reading', kind: 'interval', required: true },
  { column: 'usage_kwh', group: 'reading', kind: 'usage', required: true },
  { column: 'voltage', group: 'reading', kind: 'measure', required: false },
  { column: 'power_factor', group: 'reading', kind: 'measure', required: false },
  { column: 'temperature_c', group: 'reading', kind: 'measure', required: false },
  { column: 'transformer_id', group: 'meter', kind: 'id', required: false },
  { column: 'circuit_id', group: 'meter', kind: 'id', required: false },
  { column: 'substation_id', group: 'meter', kind: 'id', required: false },
  { column: 'service_area', group: 'meter', kind: 'enum', required: true, values: SERVICE_AREA_NAMES },
  { column: 'customer_segment', group: 'meter', kind: 'enum', required: true, values: SEGMENTS },
  { column: 'latitude', group: 'meter', kind: 'measure', required: false },
  { column: 'longitude', group: 'meter', kind: 'measure', required: false },
  { column: 'is_outage', group: 'quality', kind: 'bool', required: true },
  { column: 'data_quality', group: 'quality', kind: 'enum', required: true, values: DATA_QUALITIES },
  { column: 'event_type', group: 'quality', kind: 'enum', required: false, values: EVENT_TYPES },
  { column: 'emission_pattern', group: 'metadata', kind: 'enum', required: true, values: EMISSION_PATTERNS },
  { column: 'message_id', group: 'header', kind: 'text', required: false },
  { column: 'emitted_at', group: 'header', kind: 'instant', required: false },
];

/** The columns a reason can name (every checked field). */
export const CHECKED_COLUMNS: readonly string[] = FIELDS.filter((f) => f.kind !== 'text').map((f) => f.column);

const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const NUMBER_TYPES = `('UBIGINT', 'BIGINT', 'DOUBLE')`;
const UTC_TEXT = String.raw`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$`;
const LOCAL_TEXT = String.raw`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$`;
const FIRST = `TIMESTAMPTZ '${READING_DATE_RANGE.first} 00:00:00+00'`;
const AFTER_LAST = `(TIMESTAMPTZ '${READING_DATE_RANGE.last} 00:00:00+00' + INTERVAL 1 DAY)`;

/** The json_transform structure: every leaf of both shapes as JSON, so a value's JSON type is kept for the checks. */
const LEAVES = JSON.stringify({
  ...Object.fromEntries(['header', 'meter', 'reading', 'quality', 'metadata'].map((g) => [g, Object.fromEntries(FIELDS.filter((f) => f.group === g).map((f) => [f.column, 'JSON']))])),
  ...Object.fromEntries(FIELDS.filter((f) => f.group !== 'header').map((f) => [f.column, 'JSON'])),
});

// Column names inside the check query: v_ the JSON leaf, k_ its JSON type, s_ the string, n_ the number, b_ the boolean.
const v = (c: string): string => `v_${c}`;
const k = (c: string): string => `k_${c}`;
const s = (c: string): string => `s_${c}`;
const n = (c: string): string => `n_${c}`;
const shown = (c: string): string => `left(CAST(${v(c)} AS VARCHAR), 40)`;

/** The failing reason of one field as a CASE (NULL when the value is good). */
function fieldReason(f: Field): string {
  const c = f.column;
  const missing = f.required ? `WHEN ${v(c)} IS NULL THEN ${lit(`${c}: missing`)} ` : `WHEN ${v(c)} IS NULL THEN NULL `;
  const notString = `WHEN ${k(c)} <> 'VARCHAR' THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not a string' `;
  const notNumber = `WHEN ${k(c)} NOT IN ${NUMBER_TYPES} THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not a number' `;
  const notFinite = `WHEN NOT isfinite(${n(c)}) THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not finite' `;
  switch (f.kind) {
    case 'id':
      return (
        `CASE ${missing}${notString}WHEN trim(${s(c)}) = '' THEN ${lit(`${c}: empty`)} ` +
        `WHEN length(${s(c)}) > ${MAX_ID_LENGTH} THEN ${lit(`${c}: longer than ${MAX_ID_LENGTH} characters`)} END`
      );
    case 'enum':
      return (
        `CASE ${missing}${notString}WHEN ${s(c)} NOT IN (${f.values!.map(lit).join(', ')}) ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is not one of ${f.values!.join(', ')}`)} END`
      );
    case 'bool':
      return `CASE ${missing}WHEN ${k(c)} <> 'BOOLEAN' THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not true or false' END`;
    case 'interval':
      return (
        `CASE ${missing}WHEN ${k(c)} NOT IN ('UBIGINT', 'BIGINT') OR ${n(c)} NOT IN (${INTERVALS.join(', ')}) ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is not one of ${INTERVALS.join(', ')}`)} END`
      );
    case 'usage':
      return (
        `CASE ${missing}${notNumber}${notFinite}WHEN ${n(c)} < -usage_export_kwh OR ${n(c)} > usage_import_kwh ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' kWh is outside [' || (-usage_export_kwh)::VARCHAR || ', ' || usage_import_kwh::VARCHAR || '] for ' || usage_basis END`
      );
    case 'measure': {
      const [lo, hi] = MEASUREMENT_BOUNDS[c as keyof typeof MEASUREMENT_BOUNDS];
      return `CASE ${missing}${notNumber}${notFinite}WHEN ${n(c)} < ${lo} OR ${n(c)} > ${hi} THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is outside [${lo}, ${hi}]`)} END`;
    }
    case 'utc':
      return (
        `CASE ${missing}${notString}WHEN NOT regexp_matches(${s(c)}, ${lit(UTC_TEXT)}) OR t_utc IS NULL ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not an ISO 8601 time stamp with a zone' ` +
        `WHEN t_utc < ${FIRST} OR t_utc >= ${AFTER_LAST} THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is outside ${READING_DATE_RANGE.first}..${READING_DATE_RANGE.last}`)} ` +
        `WHEN interval_ok AND epoch_ms(t_utc) % (${n('interval_minutes')} * 60000) <> 0 ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not on the ' || ${n('interval_minutes')}::BIGINT::VARCHAR || '-minute grid' END`
      );
    case 'local':
      return (
        `CASE ${missing}${notString}WHEN NOT regexp_matches(${s(c)}, ${lit(LOCAL_TEXT)}) OR t_local IS NULL ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not an ISO 8601 local time stamp' ` +
        `WHEN t_local < CAST(${FIRST} AS TIMESTAMP) OR t_local >= CAST(${AFTER_LAST} AS TIMESTAMP) ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is outside ${READING_DATE_RANGE.first}..${READING_DATE_RANGE.last}`)} ` +
        `WHEN t_utc IS NOT NULL AND (abs(epoch_ms(t_local) - epoch_ms(t_utc)) > 14 * 3600000 OR (epoch_ms(t_local) - epoch_ms(t_utc)) % 900000 <> 0) ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not reading_ts_utc in a time zone' END`
      );
    case 'instant':
      return (
        `CASE ${missing}${notString}WHEN NOT regexp_matches(${s(c)}, ${lit(UTC_TEXT)}) OR TRY_CAST(${s(c)} AS TIMESTAMPTZ) IS NULL ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ' is not an ISO 8601 time stamp with a zone' ` +
        `WHEN TRY_CAST(${s(c)} AS TIMESTAMPTZ) < ${FIRST} OR TRY_CAST(${s(c)} AS TIMESTAMPTZ) >= ${AFTER_LAST} ` +
        `THEN ${lit(`${c}: `)} || ${shown(c)} || ${lit(` is outside ${READING_DATE_RANGE.first}..${READING_DATE_RANGE.last}`)} END`
      );
    case 'text':
      return `NULL`;
  }
}

/** The nested message of a flat line, built from its leaves (bronze keeps one shape). */
function messageOfFlat(): string {
  const group = (g: Field['group']): string =>
    `json_object(${FIELDS.filter((f) => f.group === g).map((f) => `${lit(f.column)}, ${v(f.column)}`).join(', ')})`;
  return (
    `json_object('header', json_object('message_id', to_json(${s('meter_id')} || ':' || CAST(epoch(t_utc) AS BIGINT)::VARCHAR), ` +
    `'source_system', 'AMI_HEAD_END', 'message_type', 'METER_READING', 'schema_version', '1.0'), ` +
    `'meter', ${group('meter')}, 'reading', ${group('reading')}, 'quality', ${group('quality')}, ` +
    `'metadata', json_object('emission_pattern', ${v('emission_pattern')}, 'generator', 'flux-data-forge'))`
  );
}

/**
 * A good line's reading as silver types it, from the values the checks read (no second parse): the columns of
 * READING_PROJECTION (reading-projection.ts), which types a message kept in bronze the same way. A flat line's message
 * id is the one its nested message gets (messageOfFlat), and it has no emission time.
 */
function typedReading(f: Field): string {
  const c = f.column;
  // The message id is not checked: a value that is not a string is kept as its JSON text, as silver typing bronze does.
  if (c === 'message_id') {
    return `CASE WHEN flat THEN ${s('meter_id')} || ':' || CAST(epoch(t_utc) AS BIGINT)::VARCHAR WHEN ${k(c)} = 'VARCHAR' THEN ${s(c)} ELSE CAST(${v(c)} AS VARCHAR) END`;
  }
  if (c === 'emitted_at') return `CASE WHEN NOT flat THEN TRY_CAST(${s(c)} AS TIMESTAMPTZ) END`;
  switch (f.kind) {
    case 'utc':
      return 't_utc';
    case 'local':
      return 't_local';
    case 'interval':
      return `CASE WHEN interval_ok THEN TRY_CAST(${n(c)} AS INTEGER) END`;
    case 'usage':
    case 'measure':
      return n(c);
    case 'bool':
      return `CASE WHEN ${k(c)} = 'BOOLEAN' THEN CAST(${v(c)} AS BOOLEAN) END`;
    default:
      return s(c);
  }
}

/** The typed reading's columns, in READING_PROJECTION's order (the columns of `checkedLinesSql` after `reason`). */
export const TYPED_COLUMNS: readonly string[] = READING_PROJECTION.map(([column]) => column);

/**
 * One query over `source` (a table or parenthesised query with columns `file_no`, `line` and `raw` JSON: one line of
 * a stage file each) giving `file_no`, `line`, `message` (the nested message: `raw` itself, or built from a flat line),
 * `reason` (NULL for a good line) and the typed reading (TYPED_COLUMNS, what silver keeps of a good line). One JSON
 * parse per line (json_transform into every leaf of both shapes); the checks are vectorised expressions, so a file is
 * checked in one pass whatever its size.
 */
export function checkedLinesSql(source: string): string {
  const leafOf = (f: Field): string =>
    f.group === 'header' ? `j.header.${f.column}` : `CASE WHEN flat THEN j.${f.column} ELSE j.${f.group}.${f.column} END`;
  const layer1 = `SELECT file_no, line, raw, j, (j.${'meter_id'} IS NOT NULL OR j.reading_ts_utc IS NOT NULL) AND j.meter.meter_id IS NULL AND j.reading.reading_ts_utc IS NULL AS flat
    FROM (SELECT file_no, line, raw, json_transform(raw, ${lit(LEAVES)}) AS j FROM ${source})`;
  const layer2 = `SELECT file_no, line, raw, flat, ${FIELDS.map((f) => `${leafOf(f)} AS ${v(f.column)}`).join(', ')} FROM (${layer1})`;
  // A JSON string's text: the leaf's own text without its quotes, unless it holds an escape (then the JSON reader's).
  const typed = FIELDS.map((f) => {
    const c = f.column;
    return ['usage', 'measure', 'interval'].includes(f.kind)
      ? `CASE WHEN ${k(c)} IN ${NUMBER_TYPES} THEN CAST(${v(c)} AS DOUBLE) END AS ${n(c)}`
      : `CASE WHEN ${k(c)} = 'VARCHAR' THEN (CASE WHEN contains(CAST(${v(c)} AS VARCHAR), '\\') THEN ${v(c)} ->> '$' ELSE CAST(${v(c)} AS VARCHAR)[2:-2] END) END AS ${s(c)}`;
  }).join(', ');
  const kinds = FIELDS.map((f) => `json_type(${v(f.column)}) AS ${k(f.column)}`).join(', ');
  const layer3 = `SELECT *, TRY_CAST(${s('reading_ts_utc')} AS TIMESTAMPTZ) AS t_utc, TRY_CAST(${s('reading_ts')} AS TIMESTAMP) AS t_local
    FROM (SELECT *, ${typed} FROM (SELECT *, ${kinds} FROM (${layer2})))`;
  const hours = `${n('interval_minutes')} / 60.0`;
  const segmentBound = (side: 'importKw' | 'exportKw'): string =>
    `CASE ${SEGMENTS.map((seg) => `WHEN ${s('customer_segment')} = ${lit(seg)} THEN ${USAGE_BOUNDS_KW[seg][side]}`).join(' ')} ELSE ${Math.max(...SEGMENTS.map((seg) => USAGE_BOUNDS_KW[seg][side]))} END`;
  const layer4 = `SELECT *,
      ${segmentBound('importKw')} * (CASE WHEN interval_ok THEN ${hours} ELSE 1 END) AS usage_import_kwh,
      ${segmentBound('exportKw')} * (CASE WHEN interval_ok THEN ${hours} ELSE 1 END) AS usage_export_kwh,
      CASE WHEN ${s('customer_segment')} IN (${SEGMENTS.map(lit).join(', ')}) THEN 'a ' || ${s('customer_segment')} || ' meter' ELSE 'any meter' END
        || CASE WHEN interval_ok THEN ' over ' || ${n('interval_minutes')}::BIGINT::VARCHAR || ' minutes' ELSE ' over an hour' END AS usage_basis
    FROM (SELECT *, coalesce(${k('interval_minutes')} IN ('UBIGINT', 'BIGINT') AND ${n('interval_minutes')} IN (${INTERVALS.join(', ')}), false) AS interval_ok FROM (${layer3}))`;
  const reasons = FIELDS.filter((f) => f.kind !== 'text').map(fieldReason);
  return `SELECT file_no, line,
      CASE WHEN flat THEN ${messageOfFlat()} ELSE raw END AS message,
      CASE WHEN NOT starts_with(ltrim(CAST(raw AS VARCHAR)), '{') THEN 'line: not a JSON object' ELSE NULLIF(concat_ws('; ', ${reasons.join(', ')}), '') END AS reason,
      ${TYPED_COLUMNS.map((c) => `${typedReading(FIELDS.find((f) => f.column === c)!)} AS ${c}`).join(', ')}
    FROM (${layer4})`;
}
