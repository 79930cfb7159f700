/** Bucket width: each bucket covers 2% more than the previous one, so a percentile is exact to about 2%. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Latencies below 0.1 ms share the first bucket; above about 10^4 s the last. */
const MIN_MS = 0.1;
const BUCKETS = Math.ceil(Math.log(1e8 / MIN_MS) / LOG_GROWTH) + 1;

/**
 * Latency percentiles in constant memory: a log-bucketed histogram (as HdrHistogram does, simplified), so a stream
 * of any length can report p50/p95/p99 without keeping its samples.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private max = 0;

  /** Adds `count` samples of `ms` milliseconds. */
  add(ms: number, count = 1): void {
    const value = Math.max(0, ms);
    const bucket = value <= MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[bucket]! += count;
    this.total += count;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.total;
  }

  /** The p-th percentile (0 < p <= 100), ms: the upper edge of the bucket holding it (never above the maximum). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.max, b === 0 ? MIN_MS : MIN_MS * GROWTH ** b);
    }
    return this.max;
  }

  summary(): { p50: number; p95: number; p99: number } {
    const round = (v: number): number => Math.round(v * 10) / 10;
    return { p50: round(this.percentile(50)), p95: round(this.percentile(95)), p99: round(this.percentile(99)) };
  }
}
