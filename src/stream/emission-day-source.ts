import { Worker } from 'node:worker_threads';
import type { Fleet } from '../fleet/fleet.js';
import { rememberedInventory } from '../fleet/imported-fleets.js';
import type { GenerationDay } from '../generator/calendar.js';
import type { Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { workerEntry } from '../util/worker-entry.js';
import { onWorkerFailure } from '../util/worker-failure.js';
import { EmissionDayMaker, type EmissionDay, type StreamWindow } from './emission-day.js';
import type { DayReply, DayWorkerData } from './emission-day-messages.js';
import type { EmissionSettings } from './emission-settings.js';

/** Where a stream's days come from: asked for in order, each once. */
export interface EmissionDaySource {
  get(day: GenerationDay): Promise<EmissionDay>;
  /** Stops making days (worker threads end); days asked for afterwards are not made. */
  close(): Promise<void>;
}

export interface DaySourceOptions {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  readonly settings: EmissionSettings;
  readonly window: StreamWindow;
  /** The days the stream will ask for, in order: worker threads make them ahead. */
  readonly days: readonly GenerationDay[];
  /** Worker threads; 0 makes each day on the calling thread when it is asked for. */
  readonly workers: number;
}

/**
 * The stream's days, made on the calling thread or ahead in worker threads (the same days either way). With workers,
 * the first day is still made on the calling thread when it is asked for (a worker would first have to start), while
 * the workers start and make the days after it.
 */
export function emissionDaySource(options: DaySourceOptions): EmissionDaySource {
  const here = callingThreadSource(options);
  if (options.workers <= 0 || options.days.length <= 1) return here;
  const [first, ...rest] = options.days;
  const workers = new WorkerDaySource({ ...options, days: rest });
  return {
    get: (day) => (day.index === first!.index ? here.get(day) : workers.get(day)),
    close: async () => void (await Promise.all([here.close(), workers.close()])),
  };
}

function callingThreadSource(options: DaySourceOptions): EmissionDaySource {
  let maker: EmissionDayMaker | null = null;
  let closed = false;
  return {
    get: async (day) => {
      if (closed) throw closedError();
      maker ??= new EmissionDayMaker(options.scenario, options.fleet, options.settings, options.window);
      return maker.make(day);
    },
    close: async () => void (closed = true),
  };
}

interface Pending {
  readonly promise: Promise<EmissionDay>;
  resolve(day: EmissionDay): void;
  reject(error: Error): void;
}

/**
 * Days made in worker threads, each worker one day at a time, at most one day per worker made ahead of the one the
 * stream is on (memory: about 95 bytes a reading for each day made ahead). The workers start making days as soon as
 * the source exists.
 */
class WorkerDaySource implements EmissionDaySource {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Days announced, not yet handed to a worker. */
  private readonly queue: GenerationDay[] = [];
  private next = 0;
  private failure: Error | null = null;
  private stopping = false;

  constructor(private readonly options: DaySourceOptions) {
    const { scenario, settings, window } = options;
    const entry = workerEntry(import.meta.url, 'emission-day-worker');
    const data: DayWorkerData = {
      scenario,
      settings,
      window,
      ...(scenario.fleetHash ? { inventory: rememberedInventory(scenario.fleetHash, scenario.fleetFile ?? '') } : {}),
    };
    for (let i = 0; i < Math.min(options.workers, options.days.length); i++) {
      const worker = new Worker(entry.script, { workerData: data, eval: entry.eval });
      worker.on('message', (reply: DayReply) => {
        if (reply.error !== undefined) this.fail(new ForgeError('FORGE_ERR_WORKER', [reply.error]));
        else this.pending.get(reply.index)?.resolve(reply.day);
        worker.unref();
        this.idle.push(worker);
        this.dispatch();
      });
      onWorkerFailure(worker, () => this.stopping, (error) => this.fail(error));
      // An idle worker does not keep the process alive (one left behind by a job that failed before closing its
      // stream cannot hold the process open); a worker making a day does.
      worker.unref();
      this.workers.push(worker);
      this.idle.push(worker);
    }
    this.dispatch();
  }

  get(day: GenerationDay): Promise<EmissionDay> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.stopping) return Promise.reject(closedError());
    // A day not among those announced (or asked for out of turn) is made next.
    if (!this.pending.has(day.index)) {
      this.pending.set(day.index, pendingDay());
      this.queue.unshift(day);
      this.dispatch();
    }
    return this.pending.get(day.index)!.promise.finally(() => {
      this.pending.delete(day.index);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (!this.stopping) for (const waiting of this.pending.values()) waiting.reject(closedError());
    this.stopping = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Announces the next days while fewer than one per worker wait to be taken, and hands them to idle workers. */
  private dispatch(): void {
    if (this.stopping || this.failure) return;
    const { days } = this.options;
    while (this.next < days.length && this.pending.size < this.workers.length) {
      const day = days[this.next++]!;
      if (this.pending.has(day.index)) continue;
      this.pending.set(day.index, pendingDay());
      this.queue.push(day);
    }
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      worker.ref();
      worker.postMessage(this.queue.shift()!);
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.stopping) return;
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
  }
}

const closedError = (): Error => new Error('the stream was closed: it makes no more days');

function pendingDay(): Pending {
  let resolve!: (day: EmissionDay) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<EmissionDay>((res, rej) => ((resolve = res), (reject = rej)));
  // A failure surfaces when the stream asks for the day; until then it is not unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
