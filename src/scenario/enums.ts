/**
 * Enumerations of the reading schema: each a const tuple, its union type and a runtime check. The tuple order is the
 * stable numeric code used in columnar batches (Uint8Array columns), so new members are only ever appended.
 */

export const SEGMENTS = ['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL'] as const;
export type Segment = (typeof SEGMENTS)[number];
export const isSegment = (v: unknown): v is Segment => SEGMENTS.includes(v as Segment);

export const DATA_QUALITIES = ['VALID', 'ESTIMATED', 'OUTAGE', 'ANOMALY'] as const;
export type DataQuality = (typeof DATA_QUALITIES)[number];
export const isDataQuality = (v: unknown): v is DataQuality => DATA_QUALITIES.includes(v as DataQuality);

/** Code 0 of the event column means "no event" (NULL in the schema); member i has code i + 1. */
export const EVENT_TYPES = [
  'OUTAGE',
  'LAST_GASP',
  'POWER_RESTORE',
  'ESTIMATED_READ',
  'USAGE_SPIKE',
  'VOLTAGE_SAG',
  'VOLTAGE_SWELL',
  'TAMPER',
  'METER_FAULT',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const isEventType = (v: unknown): v is EventType => EVENT_TYPES.includes(v as EventType);
export const NO_EVENT = 0;
export const eventCode = (e: EventType): number => EVENT_TYPES.indexOf(e) + 1;

export const EMISSION_PATTERNS = ['UNIFORM', 'STAGGERED_REALISTIC', 'PARTIAL_REPORTING', 'DEGRADED_NETWORK'] as const;
export type EmissionPattern = (typeof EMISSION_PATTERNS)[number];
export const isEmissionPattern = (v: unknown): v is EmissionPattern => EMISSION_PATTERNS.includes(v as EmissionPattern);

export const INTERVALS = [5, 15, 30, 60] as const;
export type IntervalMinutes = (typeof INTERVALS)[number];
export const isInterval = (v: unknown): v is IntervalMinutes => INTERVALS.includes(v as IntervalMinutes);
