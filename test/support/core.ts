import { createHash } from 'node:crypto';
import { emitBatches, type BatchEmitterOptions } from '../../src/emit/batch-emitter.js';
import { generationDays } from '../../src/generator/calendar.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import type { Scenario } from '../../src/scenario/scenario.js';

/** One reading's values, every column of the batch, in a fixed binary layout (bit-exact for doubles). */
const ROW_BYTES = 4 + 6 * 8 + 4;

function rowBytes(batch: ReadingBatch, row: number, out: Buffer): Buffer {
  out.writeUInt32LE(batch.meterIndex[row]!, 0);
  out.writeDoubleLE(batch.tsUtcMs[row]!, 4);
  out.writeDoubleLE(batch.tsLocalMs[row]!, 12);
  out.writeDoubleLE(batch.usageKwh[row]!, 20);
  out.writeDoubleLE(batch.voltage[row]!, 28);
  out.writeDoubleLE(batch.powerFactor[row]!, 36);
  out.writeDoubleLE(batch.temperatureC[row]!, 44);
  out.writeUInt8(batch.isOutage[row]!, 52);
  out.writeUInt8(batch.dataQuality[row]!, 53);
  out.writeUInt8(batch.eventType[row]!, 54);
  out.writeUInt8(batch.emissionPattern[row]!, 55);
  return out;
}

/**
 * An order-independent checksum of a set of readings: each meter-day's rows are hashed (every column, bit for bit,
 * plus the interval length), then the meter-day digests are sorted by (meter, first instant) and hashed together. Two
 * runs agree only if they produced exactly the same rows, whatever order or batch boundaries they came in.
 */
export class ReadingChecksum {
  private readonly rows = new Map<string, { meter: number; ts: number; bytes: Buffer }>();
  count = 0;
  duplicates = 0;

  add(batch: ReadingBatch): void {
    const scratch = Buffer.alloc(ROW_BYTES);
    for (let r = 0; r < batch.length; r++) {
      const meter = batch.meterIndex[r]!;
      const ts = batch.tsUtcMs[r]!;
      const key = `${meter}:${ts}`;
      if (this.rows.has(key)) this.duplicates++;
      this.rows.set(key, { meter, ts, bytes: Buffer.from(rowBytes(batch, r, scratch)) });
      this.count++;
    }
    this.intervalMinutes.add(batch.intervalMinutes);
  }

  readonly intervalMinutes = new Set<number>();

  digest(): string {
    const sorted = [...this.rows.values()].sort((a, b) => a.meter - b.meter || a.ts - b.ts);
    const total = createHash('sha256');
    total.update(`interval=${[...this.intervalMinutes].join(',')};`);
    let dayHash = createHash('sha256');
    let current = '';
    const DAY_MS = 86_400_000;
    for (const row of sorted) {
      // Meter-day buckets by UTC day: a grouping for the digest only; any fixed grouping would do.
      const bucket = `${row.meter}:${Math.floor(row.ts / DAY_MS)}`;
      if (bucket !== current) {
        if (current) total.update(`${current}=${dayHash.digest('hex')};`);
        current = bucket;
        dayHash = createHash('sha256');
      }
      dayHash.update(row.bytes);
    }
    if (current) total.update(`${current}=${dayHash.digest('hex')};`);
    return total.digest('hex');
  }
}

/** `release`: hand each batch back once summed, as jobs do, so later batches overwrite recycled memory. */
export async function checksumOf(
  scenario: Scenario,
  options: BatchEmitterOptions & { release?: boolean },
): Promise<{ digest: string; rows: number; duplicates: number; sequences: number[] }> {
  const sum = new ReadingChecksum();
  const sequences: number[] = [];
  for await (const { batch, unit, release } of emitBatches(scenario, options)) {
    sum.add(batch);
    sequences.push(unit.sequence);
    if (options.release) release();
  }
  return { digest: sum.digest(), rows: sum.count, duplicates: sum.duplicates, sequences };
}

/** Every reading of a scenario on the calling thread, as one batch per generation day (meter-major within a day). */
export function generateAll(scenario: Scenario, generator = new ReadingGenerator(scenario)): ReadingBatch[] {
  return generationDays(scenario).map((day) => generator.generate(day, 0, scenario.meters));
}

/** Row indices of each meter, in time order, across day batches: rows[m] = [batchIndex, row][] */
export function rowsByMeter(batches: readonly ReadingBatch[], meters: number): [number, number][][] {
  const out: [number, number][][] = Array.from({ length: meters }, () => []);
  batches.forEach((batch, b) => {
    for (let r = 0; r < batch.length; r++) out[batch.meterIndex[r]!]!.push([b, r]);
  });
  for (const list of out) list.sort((x, y) => batches[x[0]]!.tsUtcMs[x[1]]! - batches[y[0]]!.tsUtcMs[y[1]]!);
  return out;
}

/** Great-circle distance, km. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}
