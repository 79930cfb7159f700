import type { Fleet } from '../fleet/fleet.js';
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
  open(context: SinkContext): Promise<void>;
  write(batch: ReadingBatch, info: BatchInfo): Promise<void>;
  flush(): Promise<void>;
  close(outcome?: JobOutcome): Promise<SinkResult>;
  abort(reason: unknown): Promise<void>;
  /**
   * Sinks that commit a checkpoint with their data: the last batch sequence committed for `jobId` (after `open`), or
   * null when none. A resumed stream starts after the lowest and does not send a sink what it already holds.
   */
  checkpoint?(jobId: string): Promise<number | null>;
}

/** A sink that lost its destination and is retrying ('degraded'), or got it back ('recovered'). */
export type SinkStatus = { readonly state: 'degraded'; readonly error: string } | { readonly state: 'recovered' };

/** How a job ended when its sinks are closed. */
export type JobOutcome = 'completed' | 'stopped';

export interface SinkContext {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly jobId: string;
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
}
