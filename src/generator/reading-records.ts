import type { Fleet } from '../fleet/fleet.js';
import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES, SEGMENTS, type DataQuality, type EmissionPattern, type EventType, type Segment } from '../scenario/enums.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import { isoDateTime } from '../util/time-zone.js';
import type { ReadingBatch } from './reading-batch.js';
import { FLAT_COLUMNS, type FlatColumn } from './reading-columns.js';

/**
 * Row shapes for sinks that need objects or text (columnar invariant: rows become objects only at such a sink).
 * Flat: the reading schema of DESIGN.md. Nested: the AMI head-end message shape of the stage files.
 */
export interface FlatReading {
  meter_id: string;
  reading_ts: string;
  reading_ts_utc: string;
  interval_minutes: number;
  usage_kwh: number;
  voltage: number;
  power_factor: number;
  temperature_c: number;
  transformer_id: string;
  circuit_id: string;
  substation_id: string;
  service_area: ServiceAreaName;
  customer_segment: Segment;
  latitude: number;
  longitude: number;
  is_outage: boolean;
  data_quality: DataQuality;
  event_type: EventType | null;
  emission_pattern: EmissionPattern;
}

export interface NestedReading {
  header: {
    message_id: string;
    source_system: 'AMI_HEAD_END';
    message_type: 'METER_READING';
    schema_version: string;
    /** When the head end emitted the message (stream jobs), ISO 8601 UTC; the event time is reading.reading_ts_utc. */
    emitted_at?: string;
  };
  meter: Pick<FlatReading, 'meter_id' | 'transformer_id' | 'circuit_id' | 'substation_id' | 'service_area' | 'customer_segment' | 'latitude' | 'longitude'>;
  reading: Pick<FlatReading, 'reading_ts' | 'reading_ts_utc' | 'interval_minutes' | 'usage_kwh' | 'voltage' | 'power_factor' | 'temperature_c'>;
  quality: Pick<FlatReading, 'is_outage' | 'data_quality' | 'event_type'>;
  metadata: { emission_pattern: EmissionPattern; generator: 'flux-data-forge' };
}

export const SHAPES = ['flat', 'nested'] as const;
export type Shape = (typeof SHAPES)[number];
export const isShape = (v: unknown): v is Shape => SHAPES.includes(v as Shape);

export const NESTED_SCHEMA_VERSION = '1.0';

/** The column order of the flat schema (DESIGN.md), declared with the columns' types in reading-columns.ts. */
export { FLAT_COLUMNS };

// FlatReading's fields are exactly the flat columns: a column added to one and not the other fails to compile.
type Unmatched = Exclude<keyof FlatReading, FlatColumn> | Exclude<FlatColumn, keyof FlatReading>;
const _sameFields: [Unmatched] extends [never] ? true : Unmatched = true;

/** UTC instant as ISO 8601 with a Z. */
export const utcText = (ms: number): string => `${isoDateTime(ms).replace(' ', 'T')}Z`;

export function flatReading(batch: ReadingBatch, row: number, fleet: Fleet, area: ServiceAreaName): FlatReading {
  const m = batch.meterIndex[row]!;
  const xfmr = fleet.transformer[m]!;
  const event = batch.eventType[row]!;
  return {
    meter_id: fleet.meterIds[m]!,
    reading_ts: isoDateTime(batch.tsLocalMs[row]!),
    reading_ts_utc: utcText(batch.tsUtcMs[row]!),
    interval_minutes: batch.intervalMinutes,
    usage_kwh: batch.usageKwh[row]!,
    voltage: batch.voltage[row]!,
    power_factor: batch.powerFactor[row]!,
    temperature_c: batch.temperatureC[row]!,
    transformer_id: fleet.transformerIds[xfmr]!,
    circuit_id: fleet.feederIds[fleet.feeder[m]!]!,
    substation_id: fleet.substationIds[fleet.substation[m]!]!,
    service_area: area,
    customer_segment: SEGMENTS[fleet.segment[m]!]!,
    latitude: fleet.latitude[m]!,
    longitude: fleet.longitude[m]!,
    is_outage: batch.isOutage[row] === 1,
    data_quality: DATA_QUALITIES[batch.dataQuality[row]!]!,
    event_type: event === 0 ? null : EVENT_TYPES[event - 1]!,
    emission_pattern: EMISSION_PATTERNS[batch.emissionPattern[row]!]!,
  };
}

/** Stable message id: the reading's unique key, so a re-sent message is recognisable downstream. */
export const messageId = (meterId: string, tsUtcMs: number): string => `${meterId}:${Math.round(tsUtcMs / 1000)}`;

export function nestedReading(flat: FlatReading, tsUtcMs: number): NestedReading {
  return {
    header: { message_id: messageId(flat.meter_id, tsUtcMs), source_system: 'AMI_HEAD_END', message_type: 'METER_READING', schema_version: NESTED_SCHEMA_VERSION },
    meter: {
      meter_id: flat.meter_id, transformer_id: flat.transformer_id, circuit_id: flat.circuit_id, substation_id: flat.substation_id,
      service_area: flat.service_area, customer_segment: flat.customer_segment, latitude: flat.latitude, longitude: flat.longitude,
    },
    reading: {
      reading_ts: flat.reading_ts, reading_ts_utc: flat.reading_ts_utc, interval_minutes: flat.interval_minutes, usage_kwh: flat.usage_kwh,
      voltage: flat.voltage, power_factor: flat.power_factor, temperature_c: flat.temperature_c,
    },
    quality: { is_outage: flat.is_outage, data_quality: flat.data_quality, event_type: flat.event_type },
    metadata: { emission_pattern: flat.emission_pattern, generator: 'flux-data-forge' },
  };
}

export function recordOf(batch: ReadingBatch, row: number, fleet: Fleet, area: ServiceAreaName, shape: Shape): FlatReading | NestedReading {
  const flat = flatReading(batch, row, fleet, area);
  if (shape === 'flat') return flat;
  const nested = nestedReading(flat, batch.tsUtcMs[row]!);
  if (batch.emittedUtcMs) nested.header.emitted_at = new Date(batch.emittedUtcMs[row]!).toISOString();
  return nested;
}
