import type { EmissionPattern } from '../scenario/enums.js';

/**
 * Readings as typed-array columns (columnar invariant). Row i of every column belongs to the same reading; per-meter
 * strings are not here but in the Fleet, reached through `meterIndex`. Batches cross thread boundaries by transferring
 * their buffers (see `batchBuffers`), never by copying rows.
 */
export interface ReadingBatch {
  readonly length: number;
  readonly intervalMinutes: number;
  /** Index into the Fleet arrays. */
  readonly meterIndex: Uint32Array;
  /** Interval start, epoch milliseconds, UTC. */
  readonly tsUtcMs: Float64Array;
  /** Interval start as local wall-clock fields encoded as epoch milliseconds (a TIMESTAMP without zone). */
  readonly tsLocalMs: Float64Array;
  readonly usageKwh: Float64Array;
  /** Volts; 0 in an outage. */
  readonly voltage: Float64Array;
  readonly powerFactor: Float64Array;
  readonly temperatureC: Float64Array;
  /** 1 when the meter had no supply in the interval. */
  readonly isOutage: Uint8Array;
  /** Code into DATA_QUALITIES. */
  readonly dataQuality: Uint8Array;
  /** 0 for none, else 1 + index into EVENT_TYPES. */
  readonly eventType: Uint8Array;
  /** Code into EMISSION_PATTERNS. */
  readonly emissionPattern: Uint8Array;
  /** Stream jobs only: when each reading was emitted (simulated time), epoch milliseconds, UTC. */
  readonly emittedUtcMs?: Float64Array;
  /**
   * Stream jobs only: 1 for a second copy of a reading delivered before (the network's duplicate). Sinks that keep
   * exactly one copy and have committed the first (ordered delivery) may drop it; keyed sinks ignore it anyway.
   */
  readonly redelivery?: Uint8Array;
}

export type EmissionPatternName = EmissionPattern;

type Column = Exclude<keyof ReadingBatch, 'length' | 'intervalMinutes' | 'emittedUtcMs' | 'redelivery'>;

export const BATCH_COLUMNS: readonly Column[] = [
  'meterIndex',
  'tsUtcMs',
  'tsLocalMs',
  'usageKwh',
  'voltage',
  'powerFactor',
  'temperatureC',
  'isOutage',
  'dataQuality',
  'eventType',
  'emissionPattern',
];

export function allocateBatch(length: number, intervalMinutes: number): ReadingBatch {
  return {
    length,
    intervalMinutes,
    meterIndex: new Uint32Array(length),
    tsUtcMs: new Float64Array(length),
    tsLocalMs: new Float64Array(length),
    usageKwh: new Float64Array(length),
    voltage: new Float64Array(length),
    powerFactor: new Float64Array(length),
    temperatureC: new Float64Array(length),
    isOutage: new Uint8Array(length),
    dataQuality: new Uint8Array(length),
    eventType: new Uint8Array(length),
    emissionPattern: new Uint8Array(length),
  };
}

/** The buffers to list as transferables when posting a batch to another thread. */
export function batchBuffers(batch: ReadingBatch): ArrayBuffer[] {
  return BATCH_COLUMNS.map((c) => batch[c].buffer as ArrayBuffer);
}

/** Rows [start, end) as a batch sharing the same memory. */
export function sliceBatch(batch: ReadingBatch, start: number, end: number): ReadingBatch {
  const out: Record<string, unknown> = { length: end - start, intervalMinutes: batch.intervalMinutes };
  for (const c of BATCH_COLUMNS) out[c] = batch[c].subarray(start, end);
  if (batch.emittedUtcMs) out.emittedUtcMs = batch.emittedUtcMs.subarray(start, end);
  return out as unknown as ReadingBatch;
}

/**
 * Copies rows [start, end) of `source` into `target` from row `at` on (same interval length; no allocation). A target
 * with an emission-time column gets the source's emission times, or NaN (none) for a batch without them.
 */
export function copyRows(source: ReadingBatch, start: number, end: number, target: ReadingBatch, at: number): void {
  for (const c of BATCH_COLUMNS) (target[c] as Float64Array).set((source[c] as Float64Array).subarray(start, end), at);
  if (target.emittedUtcMs) {
    if (source.emittedUtcMs) target.emittedUtcMs.set(source.emittedUtcMs.subarray(start, end), at);
    else target.emittedUtcMs.fill(Number.NaN, at, at + end - start);
  }
}
