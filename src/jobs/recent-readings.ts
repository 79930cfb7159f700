import type { Fleet } from '../fleet/fleet.js';
import type { ReadingBatch } from '../generator/reading-batch.js';
import { flatReading, type FlatReading } from '../generator/reading-records.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';

/** How many of the latest delivered readings a running job shows. */
export const RECENT_READINGS = 20;

/**
 * The last readings a job delivered, kept as references to its last batches (no copy, no per-row work): only when
 * asked (once per stats tick) are those few rows turned into flat records. A batch must not be reused while it is
 * held: the stream job's batches are fresh arrays; the batch job, whose batches are recycled, asks before releasing.
 */
export class RecentReadings {
  private batches: ReadingBatch[] = [];
  private rows = 0;

  constructor(private readonly size: number = RECENT_READINGS) {}

  add(batch: ReadingBatch): void {
    if (batch.length === 0) return;
    this.batches.push(batch);
    this.rows += batch.length;
    while (this.batches.length > 1 && this.rows - this.batches[0]!.length >= this.size) this.rows -= this.batches.shift()!.length;
  }

  /** The held readings, oldest first, as flat records (the shape of /api/preview's flat sample). */
  records(fleet: Fleet, area: ServiceAreaName): FlatReading[] {
    const out: FlatReading[] = [];
    let skip = Math.max(0, this.rows - this.size);
    for (const batch of this.batches) {
      const from = Math.min(skip, batch.length);
      skip -= from;
      for (let row = from; row < batch.length; row++) out.push(flatReading(batch, row, fleet, area));
    }
    return out;
  }
}
