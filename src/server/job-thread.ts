import { EventEmitter } from 'node:events';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { FlatReading } from '../generator/reading-records.js';
import { updatedRecord, type JobRecord, type JobStats, type JobStore } from '../jobs/job-store.js';
import type { SinkStatusEvent } from '../jobs/sink-factory.js';
import { errorText } from '../util/error-text.js';
import { redactSecrets } from '../util/redact-secrets.js';
import { workerEntry } from '../util/worker-entry.js';
import type { JobWorkerData, JobWorkerMessage, JobWorkerRequest } from './job-worker.js';

/**
 * What a job tells its listeners (the SSE route): `stats` about once a second, `status` when a sink loses or regains
 * its destination, `end` once with the final record.
 */
export interface JobEvents {
  stats: [JobStats];
  status: [SinkStatusEvent];
  end: [JobRecord];
}

export interface JobThreadOptions {
  readonly record: JobRecord;
  /** Run the record as a resume (job-plan.ts resumedRecord) rather than a new job. */
  readonly resume: boolean;
  readonly dataDir: string;
  /** Limits of the worker thread (heap sizes): a job over them fails alone instead of taking the server down. */
  readonly workerLimits?: ResourceLimits | undefined;
  /** Where every record the job reports is persisted. */
  readonly store: JobStore;
  /**
   * Called once when the job has ended, before its `end` event, with its final record and the promise of that
   * record's write: the owner stops counting the job as running and keeps the record until it is written.
   */
  readonly onEnd: (thread: JobThread, record: JobRecord, saved: Promise<void>) => void;
}

/** How long a worker that reported its end may take to exit (its sinks' connections closing) before it is terminated. */
const EXIT_GRACE_MS = 5_000;
/**
 * How long a job may take to end after a stop request before its thread is terminated (its connections cut with it):
 * a sink stuck on a hung destination never holds a stop, or the server's shutdown, for longer.
 */
const STOP_DEADLINE_MS = 8_000;

/**
 * One job's worker thread (job-worker.ts), followed from its start to its exit: the job's latest record (persisted
 * with every report, in order), its latest readings and its events. A worker that dies without reporting its end
 * leaves its job `failed`, never `running`; one that does not end within STOP_DEADLINE_MS of a stop request is
 * terminated and its job recorded as failed with that reason.
 */
export class JobThread {
  readonly events = new EventEmitter<JobEvents>();
  /** Resolves once the thread has exited and the job's final record is written. */
  readonly done: Promise<void>;
  private current: JobRecord;
  private latest: FlatReading[] = [];
  /** The thread id the worker reports with its stats (the worker's own worker_threads.threadId). */
  private reportedThreadId: number | null = null;
  /** Set when the job did not end within STOP_DEADLINE_MS of a stop request and its thread was terminated. */
  private forced: string | undefined;
  private readonly worker: Worker;

  /** Starts the worker; throws when the thread cannot start (the caller records the job as failed). */
  constructor(private readonly options: JobThreadOptions) {
    this.current = options.record;
    const entry = workerEntry(import.meta.url, 'job-worker');
    const data: JobWorkerData = { record: options.record, resume: options.resume, dataDir: options.dataDir };
    this.worker = new Worker(entry.script, { eval: entry.eval, workerData: data, ...(options.workerLimits ? { resourceLimits: options.workerLimits } : {}) });
    this.events.setMaxListeners(0);
    this.done = this.follow();
  }

  /** The job's latest record (its final one once it has ended). */
  get record(): JobRecord {
    return this.current;
  }

  /** The last readings the job delivered; none once it has ended. */
  get recent(): FlatReading[] {
    return this.latest;
  }

  /** The thread running the job: the id it reports, or the one the main thread knows it by before its first report. */
  get threadId(): number {
    return this.reportedThreadId ?? this.worker.threadId;
  }

  /** Asks the job to stop (flush and close its sinks); its thread is terminated if it has not ended by the deadline. */
  stop(): void {
    const { worker } = this;
    worker.postMessage({ type: 'stop' } satisfies JobWorkerRequest);
    const timer = setTimeout(() => {
      this.forced = `did not end within ${STOP_DEADLINE_MS / 1000} s of the stop request (a sink did not finish); its thread was terminated, its connections cut`;
      void worker.terminate();
    }, STOP_DEADLINE_MS);
    timer.unref();
    worker.once('exit', () => clearTimeout(timer));
    void this.done.finally(() => clearTimeout(timer));
  }

  private follow(): Promise<void> {
    const { worker, options } = this;
    let saving = Promise.resolve();
    const persist = (record: JobRecord): void => {
      saving = saving.then(() => options.store.save(record)).catch(() => undefined);
    };
    let final: JobRecord | null = null;
    let crash: string | null = null;
    const finish = (record: JobRecord): void => {
      if (final) return;
      final = record;
      this.current = record;
      this.latest = [];
      persist(record);
      options.onEnd(this, record, saving);
      // As the API shows a record (redact-secrets.ts): listeners pass it on to clients.
      this.events.emit('end', redactSecrets(record));
    };
    return new Promise<void>((resolve) => {
      worker.on('message', (message: JobWorkerMessage) => {
        if (final) return;
        switch (message.type) {
          case 'stats':
            this.current = updatedRecord(this.current, message.stats);
            this.latest = message.recent;
            this.reportedThreadId = message.threadId;
            persist(this.current);
            this.events.emit('stats', message.stats);
            break;
          case 'status':
            this.events.emit('status', message.event);
            break;
          case 'end': {
            finish(updatedRecord(this.current, message.stats ?? this.current.stats, message.status, message.error));
            // Its sinks are closed: a worker still alive after the grace period is held by a leaked handle.
            const timer = setTimeout(() => void worker.terminate(), EXIT_GRACE_MS);
            timer.unref();
            worker.once('exit', () => clearTimeout(timer));
            break;
          }
        }
      });
      // An uncaught exception or an out-of-memory in the worker; 'exit' follows.
      worker.on('error', (error) => void (crash ??= `job worker crashed: ${errorText(error)}`));
      worker.once('exit', (code) => {
        if (!final) finish(updatedRecord(this.current, this.current.stats, 'failed', crash ?? this.forced ?? `job worker exited (code ${code}) before the job ended`));
        void saving.then(resolve);
      });
    });
  }
}
