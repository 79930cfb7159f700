import type { Fleet } from '../fleet/fleet.js';
import type { AnomalyLabel } from '../generator/anomaly-labels.js';
import type { ReadingBatch } from '../generator/reading-batch.js';
import type { Scenario } from '../scenario/scenario.js';

/**
 * The one interface every destination implements (DESIGN.md: one folder per sink, Kysely-dialect style).
 *
 * Contract:
 * - `open` prepares the destination (creates tables, directories, connections) and checks it can be written, before
 *   any reading is produced: a refusal (e.g. an existing table without `append`) is raised here and nothing is written.
 * - `write` accepts one batch; the returned promise resolves when the sink has accepted it (buffered or persisted).
 *   The sink must not read the batch after that promise settles (copy what it keeps): the job then hands the
 *   batch's memory back to the generator, which overwrites it. Callers await each write before the next
 *   (backpressure: a slow sink slows the generator). Batches arrive in the emitter's order.
 * - `flush` makes everything accepted so far durable and visible.
 * - `close` flushes, releases resources and returns the sink's final account; after `close` nothing is written.
 *   `outcome` says whether the job ran to its end or was stopped early (what was delivered is kept either way);
 *   sinks that record jobs keep it.
 * - `abort` releases resources after a failure without promising durability; it must not throw.
 */
export interface Sink {
  readonly name: string;
  /**
   * The most rows a stream's batch should hold for this sink where the stream chooses the size (no `--batch-rows`):
   * a sink that builds a whole batch's output in memory before it passes it on names less than the stream's default
   * (200,000 at `--speed max`), and the stream takes the smallest of its sinks'.
   */
  readonly maxBatchRows?: number;
  open(context: SinkContext): Promise<void>;
  write(batch: ReadingBatch, info: BatchInfo): Promise<void>;
  flush(): Promise<void>;
  close(outcome?: JobOutcome): Promise<SinkResult>;
  abort(reason: unknown): Promise<void>;
  /**
   * Sinks that commit a checkpoint with their data: the last batch sequence durably committed for `jobId` (after
   * `open`), or null when none. A resumed job (stream or batch) starts after the lowest and does not send a sink what
   * it already holds: every batch up to the checkpoint is in the destination, whole, exactly once.
   */
  checkpoint?(jobId: string): Promise<number | null>;
  /**
   * Sinks with tables or files: the job's ground-truth event windows (`anomaly_labels`, anomaly-labels.ts), next to
   * the readings. Called with the windows that closed by the end of each local date, before that date's last batch is
   * written (so labels are as durable as the readings they describe: a checkpoint after the date covers them), and
   * once more at the job's end with the windows still open (`info.final`). A stream job calls it with a day's windows
   * ahead of the batch that took the day's last reading (`info.sequence` is that reading's tick). Windows never
   * repeat within a run. A resumed run sends the labels of every call whose sequence is past the sink's checkpoint,
   * exactly as the uninterrupted run would (a window running into the resume point keeps its start): calls at or
   * before the checkpoint were committed with their batch. A stopped run's final windows (cut at the stop) come again
   * whole, under the same key (job, meter, type, start: label-columns.ts), so a sink keeps the last one sent, or
   * drops the stopped run's on resume (file sinks: label files past the checkpoint), or names them apart so they are
   * loaded first (the stage). A sink without `writeLabels` writes no labels.
   */
  writeLabels?(labels: readonly AnomalyLabel[], info: LabelInfo): Promise<void>;
}

/** Where a call of `writeLabels` sits in the job. */
export interface LabelInfo {
  /** The local date whose end closed the windows; the last date reached for the final call. */
  readonly localDate: string;
  /** The job's end: the windows still open, closed at the last reading generated. */
  readonly final: boolean;
  /**
   * The batch sequence the labels go with (written just before it; a stream's: the tick of the day's last reading,
   * inside the batch that takes it). The final call's is one past the job's last batch (tick): a stopped job's open
   * windows were cut at the stop, and a resume (which starts after the last batch) replaces them with whole ones.
   */
  readonly sequence: number;
}

/** A sink that lost its destination and is retrying ('degraded'), or got it back ('recovered'). */
export type SinkStatus = { readonly state: 'degraded'; readonly error: string } | { readonly state: 'recovered' };

/** How a job ended when its sinks are closed. */
export type JobOutcome = 'completed' | 'stopped';

export interface SinkContext {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly jobId: string;
  /**
   * The job continues an earlier run of the same `jobId` (a resumed stream, `forge generate --resume`): what this job
   * already delivered is kept (never refused as existing output), `checkpoint` says how far it reaches, and whatever
   * this job left partial beyond that checkpoint (temporaries, incomplete parts) is removed here, before any write.
   */
  readonly resume?: boolean;
  /**
   * The job's stop request. A sink whose write may wait on a destination that stopped answering (a hung server)
   * gives the write a short grace after it, then cuts its connections so the stop ends the job (the Postgres sink).
   */
  readonly signal?: AbortSignal;
}

/** Where a batch sits in the job: its local calendar date (file partitions) and its position. */
export interface BatchInfo {
  /** Local calendar date of the service area, YYYY-MM-DD, shared by every row of the batch. */
  readonly localDate: string;
  /** True for the last batch of its local date in this job. */
  readonly lastOfDate: boolean;
  readonly sequence: number;
}

export interface SinkResult {
  readonly sink: string;
  readonly rows: number;
  /** Files or tables written, for the summary. */
  readonly outputs: readonly string[];
  readonly bytes?: number;
  /** Readings the sink was sent but did not add, as its destination already held them (same key). */
  readonly skipped?: number;
  /** Readings whose values the sink overwrote (an explicit replace policy). */
  readonly replaced?: number;
}
