import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { rememberedInventory } from '../fleet/imported-fleets.js';
import { batchBuffers, type ReadingBatch } from '../generator/reading-batch.js';
import { ReadingGenerator } from '../generator/reading-generator.js';
import { expectedRows, type Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { workerEntry } from '../util/worker-entry.js';
import { onWorkerFailure } from '../util/worker-failure.js';
import { BatchRecycler } from './batch-recycler.js';
import type { WorkerReply, WorkerRequest } from './worker-messages.js';
import { workPlan, type WorkUnit } from './work-plan.js';

export interface EmittedBatch {
  readonly batch: ReadingBatch;
  readonly unit: WorkUnit;
  /**
   * Hands the batch's memory back to be overwritten by a later batch. Optional: call it only when nothing refers to
   * the batch any more (the job calls it once every sink's write has resolved; sinks keep no batch beyond that).
   */
  readonly release: () => void;
}

export interface BatchEmitterOptions {
  /** Worker threads; 0 generates on the calling thread. Default: the number of cores (none for small jobs). */
  readonly workers?: number;
  /** Rows per work unit (the batch size). Output rows are identical whatever the value. */
  readonly unitRows?: number;
  /** Units generated ahead of the consumer, at most (bounds memory). Default: twice the workers. */
  readonly maxAhead?: number;
  readonly signal?: AbortSignal;
  /** The first unit to generate (a resumed job: the one after its checkpoint); the units before it are not generated. */
  readonly startSequence?: number;
}

/** Below this many rows, starting worker threads (about half a second) costs more than it saves. */
export const INLINE_ROWS_THRESHOLD = 1_000_000;

/** Default worker count for a scenario: the cores for real work, none (the calling thread) for small jobs. */
export const defaultWorkerCount = (rows = Number.POSITIVE_INFINITY): number => (rows < INLINE_ROWS_THRESHOLD ? 0 : availableParallelism());

/**
 * Batch emission: yields the scenario's readings in order (day by day, meter blocks within a day) as fast as the
 * consumer takes them. Work units go to a pool of worker threads; results are re-ordered, and no more than
 * `maxAhead` units are generated beyond what the consumer has taken (backpressure: a slow sink slows generation).
 */
export async function* emitBatches(scenario: Scenario, options: BatchEmitterOptions = {}): AsyncGenerator<EmittedBatch> {
  const workers = options.workers ?? defaultWorkerCount(expectedRows(scenario));
  const first = options.startSequence ?? 0;
  const plan = workPlan(scenario, options.unitRows, first);
  if (workers <= 0) {
    const generator = new ReadingGenerator(scenario);
    const recycler = new BatchRecycler(2);
    for (const unit of plan) {
      if (options.signal?.aborted) return;
      const batch = generator.generate(unit.day, unit.meterStart, unit.meterEnd, recycler.take(unitRows(unit)));
      yield { batch, unit, release: releaseOnce(recycler, batch) };
    }
    return;
  }
  const maxAhead = options.maxAhead ?? workers * 2;
  yield* new WorkerPool(scenario, workers, maxAhead).run(plan, first, options.signal);
}

const unitRows = (unit: WorkUnit): number => (unit.meterEnd - unit.meterStart) * unit.day.intervals;

function releaseOnce(recycler: BatchRecycler, batch: ReadingBatch): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    recycler.put(batch);
  };
}

class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly units = new Map<number, WorkUnit>();
  private readonly done = new Map<number, ReadingBatch>();
  private failure: Error | null = null;
  private stopping = false;
  private plan: Iterator<WorkUnit> | null = null;
  private exhausted = false;
  private wake: (() => void) | null = null;
  private readonly recycler: BatchRecycler;

  constructor(
    private readonly scenario: Scenario,
    private readonly size: number,
    private readonly maxAhead: number,
  ) {
    // Enough for every batch the window lets exist at once: ahead, in the consumer's hands, and one spare.
    this.recycler = new BatchRecycler(maxAhead + 2);
  }

  async *run(plan: Iterator<WorkUnit>, first: number, signal?: AbortSignal): AsyncGenerator<EmittedBatch> {
    this.plan = plan;
    this.start();
    let next = first;
    try {
      for (;;) {
        if (signal?.aborted) return;
        this.dispatch();
        if (this.failure) throw this.failure;
        const batch = this.done.get(next);
        if (batch) {
          const unit = this.units.get(next)!;
          this.done.delete(next);
          this.units.delete(next);
          next++;
          yield { batch, unit, release: releaseOnce(this.recycler, batch) };
          continue;
        }
        if (this.exhausted && this.units.size === 0) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.stopping = true;
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  /**
   * Hands units to idle workers while the look-ahead window allows. Called from the consumer's loop and from each
   * worker reply, so workers keep generating while the consumer is busy in a sink.
   */
  private dispatch(): void {
    while (!this.exhausted && !this.stopping && this.idle.length > 0 && this.units.size < this.maxAhead) {
      const step = this.plan!.next();
      if (step.done) {
        this.exhausted = true;
        return;
      }
      const unit = step.value;
      this.units.set(unit.sequence, unit);
      // A released batch of the unit's size travels back to the worker (transferred, not copied) to be overwritten.
      const recycled = this.recycler.take(unitRows(unit));
      const request: WorkerRequest = { sequence: unit.sequence, day: unit.day, meterStart: unit.meterStart, meterEnd: unit.meterEnd, recycled };
      this.idle.pop()!.postMessage(request, recycled ? batchBuffers(recycled) : []);
    }
  }

  private start(): void {
    const entry = workerEntry(import.meta.url, 'generate-worker');
    for (let i = 0; i < this.size; i++) {
      // An imported fleet's inventory goes along (a structured copy): a worker cannot read the fleet file synchronously.
      const data = this.scenario.fleetHash ? { scenario: this.scenario, inventory: rememberedInventory(this.scenario.fleetHash, this.scenario.fleetFile ?? '') } : this.scenario;
      const worker = new Worker(entry.script, { workerData: data, eval: entry.eval });
      worker.on('message', (reply: WorkerReply) => {
        if (reply.error !== undefined) this.fail(new ForgeError('FORGE_ERR_WORKER', [reply.error]));
        else this.done.set(reply.sequence, reply.batch);
        this.idle.push(worker);
        this.dispatch();
        this.notify();
      });
      onWorkerFailure(worker, () => this.stopping, (error) => this.fail(error));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
