import type { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { ReadingBatch } from '../generator/reading-batch.js';
import { ForgeError } from '../util/forge-error.js';
import { FACT_COLUMNS, type FactColumn } from './star-schema.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;
const TWO_POW_32 = 4294967296;

type ColumnPositions = Record<FactColumn['name'], number>;

/**
 * Fills a fact-shaped DuckDB data chunk (FACT_COLUMNS, or a subset in the same order such as STAGE_COLUMNS) from up to 2,048 rows of a ReadingBatch: each typed-array
 * column is copied into its vector with one memcpy, so no per-row JS value crosses into DuckDB (columnar invariant).
 * Used by the appender (ColumnarAppender) and by the scan that INSERTs batches in one statement (BatchScan).
 *
 * Per-row work in JS is limited to what has no memcpy equivalent, done into scratch buffers reused across chunks:
 * - meter_key: fleet index -> key through the caller's map (the dimension's keys are not fleet indexes);
 * - timestamps: epoch-ms doubles -> int64 microseconds, written as little-endian (lo, hi) uint32 word pairs. Epoch
 *   microseconds stay below 2^53, so the double arithmetic is exact and no BigInt is made per row;
 * - event_type: batch code 0 ("none") becomes NULL through the vector's validity mask, code c the enum member c - 1.
 * BOOLEAN is one byte 0/1 and the other enums are UTINYINT codes equal to the batch codes, so those copy as they are.
 */
export class FactChunkWriter {
  /** Each column's position in the chunk; -1 for a column the layout leaves out. */
  private readonly col: ColumnPositions;
  private readonly meterKey = new Int32Array(CHUNK_ROWS);
  private readonly localTs = new Uint32Array(CHUNK_ROWS * 2);
  private readonly utcTs = new Uint32Array(CHUNK_ROWS * 2);
  private readonly interval = new Uint8Array(CHUNK_ROWS);
  private intervalFilled = -1;
  private readonly event = new Uint8Array(CHUNK_ROWS);
  /** One bit a row, 1 = valid; as uint32 words, the same bytes as DuckDB's uint64 little-endian mask. */
  private readonly eventValidity = new Uint32Array(CHUNK_ROWS / 32);
  private readonly emittedTs = new Uint32Array(CHUNK_ROWS * 2);
  private readonly emittedValidity = new Uint32Array(CHUNK_ROWS / 32);

  constructor(columns: readonly FactColumn[] = FACT_COLUMNS) {
    this.col = Object.fromEntries(FACT_COLUMNS.map((c) => [c.name, columns.findIndex((k) => k.name === c.name)])) as ColumnPositions;
  }

  /**
   * Writes rows [start, start + n) of the batch into the chunk, whose row count the caller has set to n.
   * `meterKeys[fleetIndex]` is each meter's dimension key; an index outside the map throws before the chunk is used
   * (a silent key 0 would vanish from every join).
   */
  fill(chunk: DuckDBDataChunk, batch: ReadingBatch, meterKeys: Int32Array, start: number, n: number): void {
    const { meterKey, localTs, utcTs, event, eventValidity } = this;
    if (this.intervalFilled !== batch.intervalMinutes) {
      this.interval.fill(batch.intervalMinutes);
      this.intervalFilled = batch.intervalMinutes;
    }
    const keyCount = meterKeys.length;
    for (let i = 0; i < n; i++) {
      const m = batch.meterIndex[start + i]!;
      if (m >= keyCount) {
        throw new ForgeError('FORGE_ERR_SINK_STATE', ['duckdb', `meter index ${m} is outside the fleet of ${keyCount} meters`]);
      }
      meterKey[i] = meterKeys[m]!;
      const local = batch.tsLocalMs[start + i]! * 1000;
      const localHi = Math.floor(local / TWO_POW_32);
      localTs[2 * i] = local - localHi * TWO_POW_32;
      localTs[2 * i + 1] = localHi;
      const utc = batch.tsUtcMs[start + i]! * 1000;
      const utcHi = Math.floor(utc / TWO_POW_32);
      utcTs[2 * i] = utc - utcHi * TWO_POW_32;
      utcTs[2 * i + 1] = utcHi;
    }
    eventValidity.fill(0xffffffff);
    for (let i = 0; i < n; i++) {
      const code = batch.eventType[start + i]!;
      if (code === 0) {
        event[i] = 0;
        eventValidity[i >>> 5]! &= ~(1 << (i & 31));
      } else {
        event[i] = code - 1;
      }
    }

    const COL = this.col;
    const vector = (col: number): duckdb.Vector => duckdb.data_chunk_get_vector(chunk.chunk, col);
    const copy = (col: number, a: ArrayBufferView, bytesPerRow: number, from: number): void => {
      if (col < 0) return;
      duckdb.copy_data_to_vector(vector(col), 0, a.buffer as ArrayBuffer, a.byteOffset + from * bytesPerRow, n * bytesPerRow);
    };
    copy(COL.meter_key, meterKey, 4, 0);
    // Two words a row: the byte count of the (lo, hi) pairs is n * 8.
    duckdb.copy_data_to_vector(vector(COL.reading_ts), 0, localTs.buffer as ArrayBuffer, 0, n * 8);
    duckdb.copy_data_to_vector(vector(COL.reading_ts_utc), 0, utcTs.buffer as ArrayBuffer, 0, n * 8);
    copy(COL.interval_minutes, this.interval, 1, 0);
    copy(COL.usage_kwh, batch.usageKwh, 8, start);
    copy(COL.voltage, batch.voltage, 8, start);
    copy(COL.power_factor, batch.powerFactor, 8, start);
    copy(COL.temperature_c, batch.temperatureC, 8, start);
    copy(COL.is_outage, batch.isOutage, 1, start);
    copy(COL.data_quality, batch.dataQuality, 1, start);
    const eventVector = vector(COL.event_type);
    duckdb.copy_data_to_vector(eventVector, 0, event.buffer as ArrayBuffer, 0, n);
    // Written even when every row is valid: a reused chunk must not depend on what reset leaves in the mask.
    duckdb.vector_ensure_validity_writable(eventVector);
    duckdb.copy_data_to_vector_validity(eventVector, 0, eventValidity.buffer as ArrayBuffer, 0, Math.ceil(n / 64) * 8);
    copy(COL.emission_pattern, batch.emissionPattern, 1, start);
    if (COL.emitted_at >= 0) this.fillEmitted(vector(COL.emitted_at), batch.emittedUtcMs, start, n);
  }

  /** emitted_at: the stream's emission times, NULL where there is none (batch jobs, NaN). */
  private fillEmitted(target: duckdb.Vector, emitted: Float64Array | undefined, start: number, n: number): void {
    const { emittedTs, emittedValidity } = this;
    emittedValidity.fill(emitted ? 0xffffffff : 0);
    if (emitted) {
      for (let i = 0; i < n; i++) {
        const ms = emitted[start + i]!;
        if (Number.isNaN(ms)) {
          emittedTs[2 * i] = 0;
          emittedTs[2 * i + 1] = 0;
          emittedValidity[i >>> 5]! &= ~(1 << (i & 31));
          continue;
        }
        const micros = ms * 1000;
        const hi = Math.floor(micros / TWO_POW_32);
        emittedTs[2 * i] = micros - hi * TWO_POW_32;
        emittedTs[2 * i + 1] = hi;
      }
    } else {
      emittedTs.fill(0, 0, 2 * n);
    }
    duckdb.copy_data_to_vector(target, 0, emittedTs.buffer as ArrayBuffer, 0, n * 8);
    duckdb.vector_ensure_validity_writable(target);
    duckdb.copy_data_to_vector_validity(target, 0, emittedValidity.buffer as ArrayBuffer, 0, Math.ceil(n / 64) * 8);
  }
}
