import { describe, expect, it } from 'vitest';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { MAX_SPEED_BATCH_ROWS, runStreamJob } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import type { Sink, SinkResult } from '../../src/sinks/sink.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { withTempDir } from '../support/fixtures.js';

/**
 * How many rows a stream's batch holds when nobody sets it: the stream's default (200,000 at --speed max), or less
 * where a sink names less (Sink.maxBatchRows: the stage builds a whole batch's lines in memory), and exactly what
 * `maxBatchRows` (--batch-rows) says when it is given, whatever the sinks name.
 */

// 2,000 meters for a day: 192,000 readings, so at --speed max the stream's own default would send a few batches of
// up to 200,000 rows, far above a sink's 5,000 or the stage's 50,000. A batch holds whole ticks (one simulated
// millisecond), so it may pass its limit by one tick's readings: staggered meters make a tick a few readings at most.
const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 2_000, seed: 5, emissionPattern: 'STAGGERED_REALISTIC' });
/** `limit` and at most one tick's readings more. */
const within = (limit: number): number => limit + 50;
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };

/** A sink that keeps only the size of each batch it is sent, and may name the most rows it wants. */
class SizeSink implements Sink {
  readonly name: string;
  readonly sizes: number[] = [];
  constructor(readonly maxBatchRows?: number) {
    this.name = `sizes-${maxBatchRows ?? 'any'}`;
  }
  async open(): Promise<void> {}
  async write(batch: ReadingBatch): Promise<void> {
    this.sizes.push(batch.length);
  }
  async flush(): Promise<void> {}
  async close(): Promise<SinkResult> {
    return { sink: this.name, rows: this.sizes.reduce((a, b) => a + b, 0), outputs: [] };
  }
  async abort(): Promise<void> {}
}

const run = (sinks: Sink[], maxBatchRows?: number): ReturnType<typeof runStreamJob> =>
  runStreamJob({ scenario, window, speed: null, emission: resolveEmission('STAGGERED_REALISTIC'), jobId: 'job-batch-size', sinks, ...(maxBatchRows ? { maxBatchRows } : {}) });

describe('the size of a stream batch', () => {
  it('is the stream default with sinks that name none, and the smallest a sink names otherwise, for every sink alike', async () => {
    const free = new SizeSink();
    await run([free]);
    expect(free.sizes.reduce((a, b) => a + b, 0)).toBe(2_000 * 96);
    expect(Math.max(...free.sizes)).toBeGreaterThan(50_000);
    expect(Math.max(...free.sizes)).toBeLessThanOrEqual(within(MAX_SPEED_BATCH_ROWS));

    const small = new SizeSink(5_000);
    const larger = new SizeSink(20_000);
    const other = new SizeSink();
    await run([larger, small, other]);
    for (const sink of [small, larger, other]) {
      expect(sink.sizes.reduce((a, b) => a + b, 0)).toBe(2_000 * 96);
      expect(Math.max(...sink.sizes)).toBeLessThanOrEqual(within(5_000));
      // Batches of whole ticks up to the limit, not one tick at a time.
      expect(sink.sizes.length).toBeLessThan(2 * Math.ceil((2_000 * 96) / 5_000));
    }
    expect(larger.sizes).toEqual(small.sizes);
  });

  it('is what maxBatchRows (--batch-rows) says when given, above or below what the sinks name', async () => {
    for (const limit of [1_000, 120_000]) {
      const sink = new SizeSink(5_000);
      await run([sink], limit);
      expect(Math.max(...sink.sizes)).toBeLessThanOrEqual(within(limit));
      expect(Math.max(...sink.sizes)).toBeGreaterThan(limit === 1_000 ? 0 : 5_000);
    }
  });

  it('is at most the stage sink\'s 50,000 rows beside a sink that takes any size', async () => {
    await withTempDir(async (dir) => {
      const stage = new StageSink({ location: parseStageLocation(`file://${dir}`) });
      const beside = new SizeSink();
      await run([stage, beside]);
      expect(stage.maxBatchRows).toBe(50_000);
      expect(beside.sizes.reduce((a, b) => a + b, 0)).toBe(2_000 * 96);
      expect(Math.max(...beside.sizes)).toBeLessThanOrEqual(within(50_000));
      expect(Math.max(...beside.sizes)).toBeGreaterThan(20_000);
    });
  });
});
