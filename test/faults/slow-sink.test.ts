import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { runStreamJob } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import type { Sink, SinkResult } from '../../src/sinks/sink.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';

/**
 * A slow sink under a stream at --speed max: every write takes DELAY_MS. Backpressure (DESIGN.md invariant 4) means
 * the generator waits for the sink, so memory stays bounded however far the sink falls behind the generator; without
 * it the whole window would pile up as batches. The figures go to docs/RELIABILITY.md.
 */

const DELAY_MS = 60;
const MB = 2 ** 20;

/** Bytes a batch's columns take per reading (what each piled-up reading would hold on to). */
function bytesPerRow(batch: ReadingBatch): number {
  const columns = [batch.meterIndex, batch.tsUtcMs, batch.tsLocalMs, batch.usageKwh, batch.voltage, batch.powerFactor, batch.temperatureC, batch.isOutage, batch.dataQuality, batch.eventType, batch.emissionPattern, batch.emittedUtcMs];
  return columns.reduce((n, c) => n + (c ? c.BYTES_PER_ELEMENT : 0), 0);
}

/** Accepts each batch after DELAY_MS, keeping nothing; counts writes in flight at once. */
class SlowSink implements Sink {
  readonly name = 'slow';
  rows = 0;
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  rowBytes = 0;
  constructor(private readonly onWrite: () => void) {}
  async open(): Promise<void> {}
  async write(batch: ReadingBatch): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.rowBytes ||= bytesPerRow(batch);
    this.onWrite();
    await sleep(DELAY_MS);
    this.rows += batch.length;
    this.writes++;
    this.inFlight--;
  }
  async flush(): Promise<void> {}
  async close(): Promise<SinkResult> {
    return { sink: this.name, rows: this.rows, outputs: [] };
  }
  async abort(): Promise<void> {}
}

describe('a slow sink under a stream at --speed max', () => {
  it('holds the generator back: one write in flight, memory bounded while the whole window goes through', async () => {
    const meters = 1_000;
    const days = 60;
    const scenario = resolveScenario({ area: 'ERCOT', start: '2026-03-01', days, meters, seed: 12 });
    const expected = meters * days * 96; // days x 24 real hours, whatever the clock changes
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed + base.arrayBuffers;
    const sample = (): void => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    };
    const timer = setInterval(sample, 20);
    const sink = new SlowSink(sample);
    const started = performance.now();
    try {
      const summary = await runStreamJob({
        scenario, window: { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) }, speed: null,
        emission: resolveEmission('UNIFORM'), jobId: 'job-slow-sink', sinks: [sink],
      });
      expect(summary.status).toBe('completed');
      expect(summary.stats.delivered).toBe(expected);
    } finally {
      clearInterval(timer);
    }
    sample();
    const seconds = (performance.now() - started) / 1000;
    const pileUp = expected * sink.rowBytes;
    const rssGrowth = peakRss - base.rss;
    const heapGrowth = peakHeap - (base.heapUsed + base.arrayBuffers);
    console.info(
      `slow sink (${DELAY_MS} ms a write): ${expected} readings in ${sink.writes} writes, ${seconds.toFixed(1)} s; ` +
        `peak RSS ${(peakRss / MB).toFixed(0)} MB (+${(rssGrowth / MB).toFixed(0)} MB), peak heap+buffers ${(peakHeap / MB).toFixed(0)} MB (+${(heapGrowth / MB).toFixed(0)} MB); ` +
        `piling the window up would hold ${(pileUp / MB).toFixed(0)} MB of columns`,
    );
    expect(sink.rows).toBe(expected);
    // Backpressure in structure: the job never hands the sink a batch before the previous one was accepted.
    expect(sink.maxInFlight).toBe(1);
    // And in memory: far below what piling the window up would take, and under a generous absolute bound.
    expect(rssGrowth).toBeLessThan(300 * MB);
    expect(heapGrowth).toBeLessThan(pileUp / 2);
  }, 120_000);
});
