import { createHash } from 'node:crypto';
import type { RecordBuffer } from './reading-record.js';

/** Bytes kept of each meter-day's SHA-256: 128 bits, ample to tell two meter-days apart by accident. */
export const DIGEST_BYTES = 16;

/**
 * Per meter-day of a chunk: how many distinct readings and a digest of them in time order (reading-record.ts), plus,
 * for a store, every row found, the extra copies of a key and the rows off the interval grid. Dense typed arrays: the
 * memory of a chunk is a few dozen bytes per meter-day, whatever the number of readings.
 */
export class MeterDayDigests {
  readonly count: Uint32Array;
  readonly digest: Uint8Array;
  /** Rows seen in the store (every copy, on or off the grid). */
  readonly found: Uint32Array;
  readonly duplicates: Uint32Array;
  readonly unexpected: Uint32Array;
  private readonly done: Uint8Array;

  constructor(readonly size: number) {
    this.count = new Uint32Array(size);
    this.digest = new Uint8Array(size * DIGEST_BYTES);
    this.found = new Uint32Array(size);
    this.duplicates = new Uint32Array(size);
    this.unexpected = new Uint32Array(size);
    this.done = new Uint8Array(size);
  }

  /** Records meter-day `index` as the readings in `records`. Each meter-day is set once. */
  set(index: number, records: RecordBuffer): void {
    if (this.done[index]) throw new Error(`meter-day ${index} recorded twice: rows not in (meter, time) order`);
    this.done[index] = 1;
    this.count[index] = records.length;
    if (records.length === 0) return;
    const hash = createHash('sha256').update(records.bytes()).digest();
    this.digest.set(hash.subarray(0, DIGEST_BYTES), index * DIGEST_BYTES);
  }

  /** Same count and digest as meter-day `index` of `other`. */
  sameReadings(index: number, other: MeterDayDigests): boolean {
    if (this.count[index] !== other.count[index]) return false;
    const a = this.digest;
    const b = other.digest;
    for (let k = index * DIGEST_BYTES, end = k + DIGEST_BYTES; k < end; k++) if (a[k] !== b[k]) return false;
    return true;
  }
}
