import { describe, expect, it } from 'vitest';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { AckedPublisherSink, type PublisherCounts, type PublisherSettings } from '../../src/sinks/acked-publisher-sink.js';
import type { BatchInfo, SinkContext, SinkResult, SinkStatus } from '../../src/sinks/sink.js';
import { testJob } from '../support/fixtures.js';

interface MemoryResult extends SinkResult {
  readonly retries: number;
  readonly peakInFlight: number;
}

/**
 * The least a broker's sink implements on the base class (what a Kafka sink would): connect, a row's message, one
 * publish resolving on its acknowledgement, disconnect. The "broker" is in memory, and the test steers it: publishes
 * that fail a number of times, publishes held until released, a connection that is lost.
 */
class MemorySink extends AckedPublisherSink<string, MemoryResult> {
  /** Messages the broker acknowledged, in order (a retried message once). */
  readonly acked: string[] = [];
  /** Publishes awaiting their acknowledgement as each publish started, itself included. */
  readonly pendingAtStart: number[] = [];
  readonly batchesAcknowledged: number[] = [];
  readonly calls: string[] = [];
  /** Message keys the destination holds already: not sent. */
  held = new Set<string>();
  /** Failures still to come per message key. */
  failures = new Map<string, number>();
  /** When set, publishes wait for `release()` before being acknowledged. */
  holding = false;
  refuseConnect = false;
  failCheckpoint = false;
  private pending = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(settings: Partial<PublisherSettings> = {}) {
    super('memory', { shownUrl: 'memory://broker', maxInFlight: 4, refillAt: 3, maxAttempts: 3, reconnectTimeoutMs: 60_000, ...settings });
  }

  protected async connect(_context: SinkContext): Promise<void> {
    this.calls.push('connect');
    if (this.refuseConnect) throw new Error('connection refused');
  }

  protected message(batch: ReadingBatch, row: number): string | null {
    const key = `${batch.meterIndex[row]}@${batch.tsUtcMs[row]}`;
    return this.held.has(key) ? null : key;
  }

  protected async publish(message: string): Promise<void> {
    const left = this.failures.get(message) ?? 0;
    if (left > 0) {
      this.failures.set(message, left - 1);
      throw new Error('broker said no');
    }
    this.pending++;
    this.pendingAtStart.push(this.pending);
    try {
      if (this.holding) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else await new Promise<void>((resolve) => setImmediate(resolve));
      this.acked.push(message);
    } finally {
      this.pending--;
    }
  }

  protected describe(message: string): string {
    return `publish of ${message}`;
  }

  protected override async acknowledged(info: BatchInfo): Promise<void> {
    if (this.failCheckpoint) throw new Error('checkpoint store down');
    this.batchesAcknowledged.push(info.sequence);
  }

  protected async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }

  protected async destroy(): Promise<void> {
    this.calls.push('destroy');
    throw new Error('already gone');
  }

  protected result(counts: PublisherCounts): MemoryResult {
    return { ...counts, outputs: ['memory://broker'] };
  }

  /** Acknowledges every publish held so far. */
  release(): number {
    const n = this.waiting.length;
    for (const resolve of this.waiting.splice(0)) resolve();
    return n;
  }

  lose(detail = ''): void {
    this.connectionLost('connection to the broker lost; reconnecting', () => detail);
  }

  back(): void {
    this.connectionBack();
  }
}

/** Waits until `ready()` holds, turning the event loop, for at most 10 s. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(ready()).toBe(true);
}

describe('AckedPublisherSink', () => {
  it('publishes every row once acknowledged, counts them, and keeps the open/closed guard', async () => {
    const job = testJob();
    const [first, second] = job.batches;
    const sink = new MemorySink();
    await expect(sink.write(first!.batch, first!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink memory: write called before open' });
    await expect(sink.close()).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink memory: close called before open' });
    await sink.open(job.context);
    await expect(sink.open(job.context)).rejects.toMatchObject({ message: 'Sink memory: open called on a sink that is open' });
    await sink.write(first!.batch, first!.info);
    await sink.write(second!.batch, second!.info);
    await sink.flush();
    const result = await sink.close();
    const rows = first!.batch.length + second!.batch.length;
    expect(result).toEqual({ sink: 'memory', rows, retries: 0, peakInFlight: 4, outputs: ['memory://broker'] });
    expect(new Set(sink.acked).size).toBe(rows);
    expect(sink.batchesAcknowledged).toEqual([first!.info.sequence, second!.info.sequence]);
    expect(sink.calls).toEqual(['connect', 'disconnect']);
    await expect(sink.write(first!.batch, first!.info)).rejects.toMatchObject({ message: 'Sink memory: write called after close' });
  });

  it('never has more than maxInFlight awaiting acknowledgement, and refills from refillAt once full', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink({ maxInFlight: 8, refillAt: 2 });
    await sink.open(job.context);
    await sink.write(batch, info);
    const starts = sink.pendingAtStart;
    expect(starts).toHaveLength(batch.length);
    expect(Math.max(...starts)).toBe(8);
    // After each full window the writer waited until at most 2 were in flight: the next publish was the 3rd at most.
    for (let i = 1; i < starts.length; i++) if (starts[i - 1] === 8) expect(starts[i]).toBeLessThanOrEqual(3);
  });

  it('resolves a write only once every publish of its batch is acknowledged', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink({ maxInFlight: 10_000, refillAt: 9_999 });
    sink.holding = true;
    await sink.open(job.context);
    let done = false;
    const writing = sink.write(batch, info).then(() => (done = true));
    await until(() => sink.pendingAtStart.length === batch.length);
    expect(done).toBe(false);
    expect(sink.batchesAcknowledged).toEqual([]);
    expect(sink.release()).toBe(batch.length);
    await writing;
    expect(sink.acked).toHaveLength(batch.length);
    expect(sink.batchesAcknowledged).toEqual([info.sequence]);
  });

  it('retries a failed publish, counts the message once and the retries apart', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink();
    const flaky = `${batch.meterIndex[3]}@${batch.tsUtcMs[3]}`;
    sink.failures.set(flaky, 2);
    await sink.open(job.context);
    await sink.write(batch, info);
    const result = await sink.close();
    expect(result.rows).toBe(batch.length);
    expect(result.retries).toBe(2);
    expect(sink.acked.filter((m) => m === flaky)).toHaveLength(1);
  });

  it('fails the write after maxAttempts, naming the message, and every later call with the same failure', async () => {
    const job = testJob();
    const [first, second] = job.batches;
    const sink = new MemorySink({ maxAttempts: 2 });
    const doomed = `${first!.batch.meterIndex[0]}@${first!.batch.tsUtcMs[0]}`;
    sink.failures.set(doomed, 99);
    await sink.open(job.context);
    const failure = { code: 'FORGE_ERR_SINK_WRITE', message: `Sink memory failed: publish of ${doomed} failed 2 times: broker said no` };
    await expect(sink.write(first!.batch, first!.info)).rejects.toMatchObject(failure);
    expect(sink.batchesAcknowledged).toEqual([]);
    await expect(sink.write(second!.batch, second!.info)).rejects.toMatchObject(failure);
    await expect(sink.flush()).rejects.toMatchObject(failure);
    await expect(sink.close()).rejects.toMatchObject(failure);
    await expect(sink.abort(new Error('job failed'))).resolves.toBeUndefined();
  });

  it('counts rows the destination already holds as delivered without publishing them', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink();
    for (const row of [0, 5, 9]) sink.held.add(`${batch.meterIndex[row]}@${batch.tsUtcMs[row]}`);
    await sink.open(job.context);
    await sink.write(batch, info);
    expect(sink.acked).toHaveLength(batch.length - 3);
    expect((await sink.close()).rows).toBe(batch.length);
  });

  it('fails a write whose batch-end step (a checkpoint) fails', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink();
    sink.failCheckpoint = true;
    await sink.open(job.context);
    await expect(sink.write(batch, info)).rejects.toThrow('checkpoint store down');
  });

  it('leaves a sink whose connect failed new, so it can be opened again', async () => {
    const job = testJob();
    const sink = new MemorySink();
    sink.refuseConnect = true;
    await expect(sink.open(job.context)).rejects.toThrow('connection refused');
    await expect(sink.write(job.batches[0]!.batch, job.batches[0]!.info)).rejects.toMatchObject({ message: 'Sink memory: write called before open' });
    sink.refuseConnect = false;
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
  });

  it('reports a lost connection and its return, and fails writes when it stays lost past the reconnect timeout', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const statuses: SinkStatus[] = [];
    const sink = new MemorySink({ reconnectTimeoutMs: 20, onStatus: (s) => statuses.push(s) });
    // Before open a lost connection is no news: nothing was promised yet.
    sink.lose();
    expect(statuses).toEqual([]);
    await sink.open(job.context);
    sink.lose();
    sink.lose();
    sink.back();
    expect(statuses).toEqual([{ state: 'degraded', error: 'connection to the broker lost; reconnecting' }, { state: 'recovered' }]);
    sink.holding = true;
    const writing = sink.write(batch, info);
    await until(() => sink.pendingAtStart.length > 0);
    sink.lose(': no route to host');
    await expect(writing).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: 'Sink memory cannot reach memory://broker: connection lost and not back within 20 ms: no route to host',
    });
    expect(sink.batchesAcknowledged).toEqual([]);
  });

  it('abort fails a write waiting for acknowledgements, drops the connection and never throws', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new MemorySink();
    sink.holding = true;
    await sink.open(job.context);
    const writing = sink.write(batch, info);
    await until(() => sink.pendingAtStart.length === 4);
    await expect(sink.abort(new Error('stop'))).resolves.toBeUndefined();
    await expect(writing).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink memory: aborted' });
    await expect(sink.abort(new Error('again'))).resolves.toBeUndefined();
    expect(sink.calls).toEqual(['connect', 'destroy', 'destroy']);
    await expect(sink.write(batch, info)).rejects.toMatchObject({ message: 'Sink memory: write called after close' });
  });
});
