import type { ReadingBatch } from '../generator/reading-batch.js';

/**
 * Batches handed back by the consumer, kept for the generator to overwrite (ReadingGenerator.generate's `into`), so a
 * long job touches the same memory again instead of faulting in fresh pages for every batch.
 *
 * Keyed by row count: a job's units nearly all have one size (the last block of a day and DST days differ). At most
 * `capacity` batches are kept; more are left to the garbage collector.
 */
export class BatchRecycler {
  private readonly free = new Map<number, ReadingBatch[]>();
  private kept = 0;

  constructor(private readonly capacity: number) {}

  /** Keeps a batch nothing refers to any more. */
  put(batch: ReadingBatch): void {
    if (this.kept >= this.capacity || batch.length === 0) return;
    const list = this.free.get(batch.length);
    if (list) list.push(batch);
    else this.free.set(batch.length, [batch]);
    this.kept++;
  }

  /** A kept batch of exactly `rows` rows, removed from the pool, if there is one. */
  take(rows: number): ReadingBatch | undefined {
    const batch = this.free.get(rows)?.pop();
    if (batch) this.kept--;
    return batch;
  }
}
