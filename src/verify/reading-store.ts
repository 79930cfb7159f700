import type { RecordBuffer } from './reading-record.js';

/**
 * Rows read back from a store, as columns (at most `capacity` rows a chunk); no strings per row. Time is kept in microseconds, the
 * stores' own precision, so a time stamp that is not a whole millisecond is seen as such rather than rounded onto the
 * interval grid. Enums are already codes (reading-record.ts); `nulls` is each row's null mask.
 */
export interface SinkRows {
  length: number;
  /** The row's meter, as its position in the request's list of meter ids. */
  readonly meter: Int32Array;
  readonly tsUs: Float64Array;
  readonly usage: Float64Array;
  readonly voltage: Float64Array;
  readonly powerFactor: Float64Array;
  readonly temperature: Float64Array;
  readonly outage: Uint8Array;
  readonly quality: Uint8Array;
  readonly event: Uint8Array;
  readonly nulls: Uint8Array;
}

export function allocateSinkRows(capacity: number): SinkRows {
  return {
    length: 0,
    meter: new Int32Array(capacity),
    tsUs: new Float64Array(capacity),
    usage: new Float64Array(capacity),
    voltage: new Float64Array(capacity),
    powerFactor: new Float64Array(capacity),
    temperature: new Float64Array(capacity),
    outage: new Uint8Array(capacity),
    quality: new Uint8Array(capacity),
    event: new Uint8Array(capacity),
    nulls: new Uint8Array(capacity),
  };
}

/** Appends row i of `rows` (time `tsMs`) to a record buffer. */
export function pushSinkRow(buffer: RecordBuffer, rows: SinkRows, i: number, tsMs: number): void {
  buffer.push(tsMs, rows.usage[i]!, rows.voltage[i]!, rows.powerFactor[i]!, rows.temperature[i]!, rows.outage[i]!, rows.quality[i]!, rows.event[i]!, rows.nulls[i]!);
}

/**
 * Where verify reads readings back: the DuckDB warehouse's `ami_readings` view or a Postgres sink's table. Read only.
 */
export interface ReadingStore {
  /** What is read, fit to print (a Postgres URL without its password). */
  readonly description: string;
  /**
   * A store that holds only some of a reading's values (a sink's files in an exchange format): the null mask of the
   * fields it lacks (projectionMask), which the expected readings are projected onto before they are compared.
   */
  readonly projection?: number;
  /**
   * The rows of these meters (distinct ids) whose reading_ts_utc is in [fromMs, toMs), every copy, grouped by meter
   * and in time order within a meter: a meter's rows arrive together (meters in an order of the store's choosing).
   * Each chunk is overwritten by the next one.
   */
  rows(meterIds: readonly string[], fromMs: number, toMs: number): AsyncIterable<SinkRows>;
  close(): Promise<void>;
}
