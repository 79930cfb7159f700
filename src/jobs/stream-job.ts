import { setTimeout as sleep } from 'node:timers/promises';
import { buildFleet } from '../fleet/fleet.js';
import { generationDays } from '../generator/calendar.js';
import { emittedMeters, type Scenario } from '../scenario/scenario.js';
import { achievedRates, LabelCollector, type AnomalyLabel } from '../generator/anomaly-labels.js';
import type { LabelInfo, Sink, SinkResult } from '../sinks/sink.js';
import type { EmissionSettings } from '../stream/emission-settings.js';
import { EmissionStream, TICK_MS, type StreamBatch, type StreamWindow } from '../stream/emission-stream.js';
import { LatencyHistogram } from '../stream/latency-histogram.js';
import type { FlatReading } from '../generator/reading-records.js';
import type { JobStats, SinkStats } from './job-store.js';
import { RecentReadings } from './recent-readings.js';
import type { SinkStatusEvent } from './sink-factory.js';

export interface StreamJobOptions {
  /** The scenario whose days cover the window (see streamScenario). */
  readonly scenario: Scenario;
  readonly window: StreamWindow;
  /** Simulated milliseconds per wall millisecond (1 = real time); null = as fast as the sinks accept. */
  readonly speed: number | null;
  /**
   * What the simulated clock shows when the job starts. Default: the window's start. A stream from "now" starts its
   * clock at the wall clock, so the readings of the interval that just ended arrive at once.
   */
  readonly clockStartUtcMs?: number;
  readonly emission: EmissionSettings;
  readonly sinks: readonly Sink[];
  readonly jobId: string;
  /** Continue a job from its sinks' checkpoints (or `resumeAfterTick` for sinks that keep none). */
  readonly resume?: boolean;
  readonly resumeAfterTick?: number;
  readonly signal?: AbortSignal;
  /**
   * Rows per delivered batch at most (whole ticks: a tick is never split). Default 50,000; at `--speed max` (speed
   * null) 200,000, where every batch is a commit and nobody waits on latency: 10,000 meters x 7 days into DuckDB went
   * from 0.64M to 0.98M rows/s (docs/PERFORMANCE.md).
   */
  readonly maxBatchRows?: number;
  /**
   * Worker threads making the stream's days ahead of it (EmissionStream). Default: DAY_WORKERS when a simulated day
   * holds at least DAY_WORKER_READINGS readings, else none (the stream's own thread makes each day when it is due).
   */
  readonly dayWorkers?: number;
  readonly health?: SinkHealth;
  /**
   * Told about once a second and at the end. `recent` turns the last readings delivered (RECENT_READINGS) into flat
   * records: call it only when they are wanted, it is the only per-row work of a stats tick.
   */
  readonly onStats?: (stats: StreamStats, recent: () => FlatReading[]) => void;
}

/** Sink health as the job reports it: createSinks' onStatus hook feeds `update`. */
export class SinkHealth {
  private readonly states = new Map<string, { state: 'ok' | 'degraded'; lastError?: string }>();

  update(event: SinkStatusEvent): void {
    this.states.set(event.sink, { state: event.state === 'degraded' ? 'degraded' : 'ok', ...(event.error ? { lastError: event.error } : {}) });
  }

  of(sink: string): { state: 'ok' | 'degraded'; lastError?: string } {
    return this.states.get(sink) ?? { state: 'ok' };
  }
}

export interface StreamStats extends JobStats {
  readonly seconds: number;
  /**
   * Rows per second between the first batch's commit and the last one's: the stream's sustained rate, without the
   * start-up (fleet, first simulated day, connections) that rowsPerSecond includes.
   */
  readonly sustainedRowsPerSecond: number;
  readonly late: number;
  readonly backfilled: number;
  readonly outOfOrder: number;
  readonly duplicates: number;
}

export interface StreamJobSummary {
  readonly jobId: string;
  readonly status: 'completed' | 'stopped';
  readonly stats: StreamStats;
  readonly sinks: readonly SinkResult[];
}

/** Longest wait between two looks at the clock and the stop signal. */
const MAX_WAIT_MS = 200;
const STATS_EVERY_MS = 1_000;

interface SinkState {
  readonly sink: Sink;
  committed: number;
  /** The sink's own checkpoint on resume: batches up to it are not sent to it again. */
  aheadUntil: number;
}

/** Rows per delivered batch by default: on a clock, and at --speed max. */
export const BATCH_ROWS = 50_000;
export const MAX_SPEED_BATCH_ROWS = 200_000;
/** From this many readings a day, days are made ahead in worker threads (starting one costs about 0.1 s of a core). */
export const DAY_WORKER_READINGS = 200_000;
export const DAY_WORKERS = 1;

/**
 * Runs a stream: readings leave in emission order (EmissionStream) on a clock (real time, accelerated, or as fast as
 * the sinks go) and are delivered in batches of whole ticks to every sink, each batch written and flushed (committed
 * with the sink's checkpoint) by all sinks before the next: a batch counts as delivered when every sink has it, a
 * slow or retrying sink holds the stream (backpressure; the others are not sent anything twice), and the last batch
 * sequence committed everywhere is the job's checkpoint.
 *
 * Latency is measured from each reading's emission (its emission time on the job's clock; at `speed` null, the
 * moment its batch left the stream) to the commit of its batch by the slowest sink.
 */
export async function runStreamJob(options: StreamJobOptions): Promise<StreamJobSummary> {
  const { scenario, window, speed, sinks, jobId } = options;
  const fleet = buildFleet(scenario);
  const days = generationDays(scenario);
  const { start, end } = emittedMeters(scenario);
  const dayReadings = (end - start) * Math.max(0, ...days.map((d) => d.intervals));
  const dayWorkers = options.dayWorkers ?? (dayReadings >= DAY_WORKER_READINGS ? DAY_WORKERS : 0);
  const stream = new EmissionStream(scenario, fleet, options.emission, days, window, { workers: dayWorkers });
  const maxRows = options.maxBatchRows ?? Math.min(speed === null ? MAX_SPEED_BATCH_ROWS : BATCH_ROWS, ...sinks.map((s) => s.maxBatchRows ?? Infinity));
  const latency = new LatencyHistogram();
  const states: SinkState[] = sinks.map((sink) => ({ sink, committed: 0, aheadUntil: -1 }));
  const opened: Sink[] = [];
  const started = Date.now();
  let delivered = 0;
  let checkpoint = -1;
  const counts = { late: 0, backfilled: 0, outOfOrder: 0, duplicates: 0 };
  let lastStats = 0;
  let firstCommit = 0;
  let firstRows = 0;
  let lastCommit = 0;
  /** The end of the last tick committed: the simulated time a stream at --speed max has reached. */
  let reachedMs = window.fromUtcMs;
  const recent = new RecentReadings();
  const recentRecords = (): FlatReading[] => recent.records(fleet, scenario.area);
  /**
   * Labels (Sink.writeLabels) as a batch job of the scenario writes them, clipped to the window: a day's rows go to
   * the collector once every reading of it has been taken, and the windows its end closed go to the sinks ahead of
   * the batch that took its last reading, with that reading's tick as their sequence (so a checkpoint past the day covers them,
   * and a resumed stream, which regenerates the window's days from its start, sends them only to a sink whose
   * checkpoint is before it). A resumed stream's collector is the uninterrupted run's: every day is replayed.
   */
  const labels = new LabelCollector(scenario, fleet);
  const pendingLabels: { readonly windows: AnomalyLabel[]; readonly info: LabelInfo }[] = [];
  let lastLabelDate = '';
  /** Readings the collector has seen (whole days in the window): what the achieved rates are of. */
  let labelledRows = 0;
  stream.onDayComplete = (day, rows, tick) => {
    labels.add(rows, window.fromUtcMs, window.toUtcMs);
    labelledRows += readingsIn(rows.tsUtcMs, window.fromUtcMs, window.toUtcMs);
    lastLabelDate = day.localDate;
    const windows = labels.endDay();
    if (windows.length > 0) pendingLabels.push({ windows, info: { localDate: day.localDate, final: false, sequence: tick } });
  };
  /** The tick a resumed stream continues after (-1: from the start): labels up to it were delivered. */
  let resumedAfter = -1;

  const stats = (): StreamStats => {
    const seconds = (Date.now() - started) / 1000;
    const sinkStats: SinkStats[] = states.map((s) => {
      const health = options.health?.of(s.sink.name) ?? { state: 'ok' };
      return { sink: s.sink.name, committed: s.committed, ...health };
    });
    return {
      generated: stream.generated,
      delivered,
      rowsPerSecond: seconds > 0 ? Math.round(delivered / seconds) : 0,
      sustainedRowsPerSecond: lastCommit > firstCommit ? Math.round((delivered - firstRows) / ((lastCommit - firstCommit) / 1000)) : 0,
      latencyMs: latency.summary(),
      sinks: sinkStats,
      // On a clock: the time it shows. As fast as the sinks go: the emission time the committed readings reached.
      simulatedUtc: new Date(speed === null ? reachedMs : Math.min(clock.simulatedNow(), window.toUtcMs + 365 * 86_400_000)).toISOString(),
      checkpoint,
      completeThroughUtc: new Date(stream.completeThroughMs()).toISOString(),
      // The windows of the days wholly delivered (a resumed stream replays the window's days: the whole job's).
      labels: (() => {
        const meterDays = (labelledRows * scenario.intervalMinutes) / (24 * 60);
        return { windows: labels.windowsByType(), achievedRates: achievedRates(labels.begunByType(), meterDays), meterDays };
      })(),
      seconds,
      ...counts,
    };
  };

  let clock = new StreamClock(speed, options.clockStartUtcMs ?? window.fromUtcMs);
  try {
    for (const state of states) {
      // A resumed stream's sinks keep what the job delivered and drop its partial tail (SinkContext.resume).
      await state.sink.open({ scenario, fleet, jobId, ...(options.resume ? { resume: true } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      opened.push(state.sink);
    }
    if (options.resume) {
      let from = options.resumeAfterTick ?? -1;
      const points = await Promise.all(states.map(async (s) => (s.sink.checkpoint ? await s.sink.checkpoint(jobId) : undefined)));
      const known = points.filter((p): p is number | null => p !== undefined).map((p) => p ?? -1);
      if (known.length > 0) from = Math.min(...known);
      states.forEach((s, i) => (s.aheadUntil = points[i] ?? -1));
      checkpoint = from;
      resumedAfter = from;
      await stream.skipBefore(from + 1);
      clock = new StreamClock(speed, speed === 1 ? Date.now() : window.fromUtcMs + (from + 1) * TICK_MS);
    }

    // One batch in flight: the next batch is gathered while the sinks commit the previous one, and is handed to
    // them only after that commit (order, and the checkpoint, stay those of a batch at a time).
    let delivering: Promise<void> | null = null;
    for (;;) {
      if (options.signal?.aborted) break;
      const next = await stream.nextEmissionMs();
      if (next === Number.POSITIVE_INFINITY) break;
      // Never past a tick a sink already holds, so each batch is wholly new or wholly old for every sink.
      const nextTick = stream.tickOf(next);
      const barrier = states.reduce<number | undefined>((b, s) => (s.aheadUntil >= nextTick ? Math.min(b ?? Infinity, s.aheadUntil) : b), undefined);
      const taken = await stream.take(clock.simulatedNow(), maxRows, barrier);
      if (!taken) {
        if (delivering) {
          await delivering;
          delivering = null;
          continue;
        }
        await sleep(Math.max(1, Math.min(MAX_WAIT_MS, clock.wallMsUntil(next))), undefined, { signal: options.signal }).catch(() => undefined);
        continue;
      }
      if (delivering) await delivering;
      delivering = deliver(taken, pendingLabels.splice(0));
      // A failure surfaces at the next await; marked handled here so it is not reported as unhandled meanwhile.
      delivering.catch(() => undefined);
      if (options.onStats && Date.now() - lastStats >= STATS_EVERY_MS) {
        lastStats = Date.now();
        options.onStats(stats(), recentRecords);
      }
    }
    if (delivering) await delivering;
    await stream.close();

    const outcome = options.signal?.aborted ? 'stopped' : 'completed';
    await writeOpenLabels();
    const results: SinkResult[] = [];
    for (const sink of sinks) results.push(await sink.close(outcome));
    const final = stats();
    options.onStats?.(final, recentRecords);
    return { jobId, status: outcome, stats: final, sinks: results };
  } catch (error) {
    await Promise.all(opened.map((sink) => sink.abort(error)));
    throw error;
  } finally {
    await stream.close();
  }

  /**
   * The windows still open at the end: a completed stream's at the window's end; a stopped one's cut at the point
   * before which every reading was taken (completeThroughUtc), which a resume replaces by the whole windows (same
   * job, meter, type and start). They go with the tick after the last batch, as a batch job's final labels do.
   */
  async function writeOpenLabels(): Promise<void> {
    const front = stream.firstPendingDay();
    if (front) {
      const through = Math.min(window.toUtcMs, stream.completeThroughMs());
      labels.add(front.rows, window.fromUtcMs, through);
      labelledRows += readingsIn(front.rows.tsUtcMs, window.fromUtcMs, through);
      lastLabelDate = front.day.localDate;
    }
    const windows = [...pendingLabels.splice(0).filter((e) => e.info.sequence > resumedAfter).flatMap((e) => e.windows), ...labels.finish()];
    if (windows.length === 0 || lastLabelDate === '') return;
    const info: LabelInfo = { localDate: lastLabelDate, final: true, sequence: checkpoint + 1 };
    await Promise.all(states.map((s) => (s.sink.writeLabels && info.sequence > s.aheadUntil ? s.sink.writeLabels(windows, info) : undefined)));
  }

  async function deliver(taken: StreamBatch, labelled: readonly { readonly windows: AnomalyLabel[]; readonly info: LabelInfo }[]): Promise<void> {
    const { batch, lastTick } = taken;
    const released = Date.now();
    const info = { localDate: '', lastOfDate: false, sequence: lastTick };
    await Promise.all(
      states.map(async (s) => {
        if (lastTick <= s.aheadUntil) return;
        // A sink is sent a day's windows with the batch that took the day's last reading: never twice (each batch is
        // wholly old or new for a sink), never those a resumed stream passed over.
        for (const entry of labelled) if (s.sink.writeLabels && entry.info.sequence > resumedAfter) await s.sink.writeLabels(entry.windows, entry.info);
        await s.sink.write(batch, info);
        await s.sink.flush();
        // Readings, not copies: a second copy adds nothing to what an exactly-once sink holds.
        s.committed += batch.length - taken.duplicates;
      }),
    );
    const committed = Date.now();
    reachedMs = Math.max(reachedMs, window.fromUtcMs + (lastTick + 1) * TICK_MS);
    if (firstCommit === 0) {
      firstCommit = committed;
      firstRows = batch.length;
    }
    lastCommit = committed;
    // From the reading's emission on the job's clock (no earlier than the job's start: a stream from "now" first
    // delivers the interval that just ended, emitted before the job existed), or from its release at --speed max.
    for (let i = 0; i < batch.length; i++) latency.add(committed - Math.max(clock.wallStart, Math.min(released, clock.wallTimeOf(batch.emittedUtcMs[i]!))));
    delivered += batch.length;
    recent.add(batch);
    checkpoint = lastTick;
    counts.late += taken.late;
    counts.backfilled += taken.backfilled;
    counts.outOfOrder += taken.outOfOrder;
    counts.duplicates += taken.duplicates;
  }
}

/** Readings of intervals starting in [fromMs, toMs). */
function readingsIn(tsUtcMs: Float64Array, fromMs: number, toMs: number): number {
  let n = 0;
  for (let i = 0; i < tsUtcMs.length; i++) if (tsUtcMs[i]! >= fromMs && tsUtcMs[i]! < toMs) n++;
  return n;
}

/**
 * Simulated time against wall time: simulated = start + speed x (wall - wall at start). With speed null (as fast as
 * possible) simulated time is unbounded and readings leave when the sinks take them.
 */
class StreamClock {
  readonly wallStart = Date.now();

  constructor(
    private readonly speed: number | null,
    private readonly simulatedStart: number,
  ) {}

  simulatedNow(): number {
    return this.speed === null ? Number.POSITIVE_INFINITY : this.simulatedStart + this.speed * (Date.now() - this.wallStart);
  }

  /** Wall milliseconds until simulated time reaches `simulatedMs`. */
  wallMsUntil(simulatedMs: number): number {
    return this.speed === null ? 0 : (simulatedMs - this.simulatedNow()) / this.speed;
  }

  /** The wall time (epoch ms) at which the clock showed `simulatedMs`. */
  wallTimeOf(simulatedMs: number): number {
    return this.speed === null ? Number.POSITIVE_INFINITY : this.wallStart + (simulatedMs - this.simulatedStart) / this.speed;
  }
}
