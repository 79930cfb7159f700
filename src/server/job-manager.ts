import { EventEmitter } from 'node:events';
import { basename, join, resolve } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { z } from 'zod';
import type { FlatReading } from '../generator/reading-records.js';
import { batchJobRecord, checkSinks, resumedRecord, streamJobRecord } from '../jobs/job-plan.js';
import { type JobStore, updatedRecord, type JobRecord, type JobRecordStatus, type JobStats } from '../jobs/job-store.js';
import { parseOutputOptions, type OutputOptions } from '../jobs/output-options.js';
import type { SinkStatusEvent } from '../jobs/sink-factory.js';
import { resolveScenario } from '../scenario/scenario.js';
import { DEFAULT_DUCKDB_PATH } from '../sinks/duckdb/duckdb-sink.js';
import { defaultFileDir, isFileFormat } from '../sinks/files/file-sink.js';
import { redactPgUrl } from '../sinks/postgres/postgres-options.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { workerEntry } from '../util/worker-entry.js';
import type { JobWorkerData, JobWorkerMessage, JobWorkerRequest } from './job-worker.js';
import { confineOutputPaths, DEFAULT_DATA_DIR } from './output-policy.js';
import { rerunRequest } from './rerun-request.js';

const rate = z.union([z.number(), z.string()]).optional();

/** The body of `POST /api/jobs`; scenario and output are checked by their own schemas (resolveScenario, parseOutputOptions). */
export const jobRequestSchema = z.strictObject({
  kind: z.enum(['batch', 'stream']),
  scenario: z.record(z.string(), z.unknown()).default({}),
  output: z.record(z.string(), z.unknown()).default({}),
  stream: z
    .strictObject({
      /** ISO 8601 instant or 'now' (default). */
      from: z.string().optional(),
      /** '90m', '6h', '2d'; absent: until stopped. */
      duration: z.string().optional(),
      /** Simulated seconds per second, or 'max'; default 1 (real time). */
      speed: z.union([z.number(), z.string()]).optional(),
      missingRate: rate,
      lateRate: rate,
      outOfOrderRate: rate,
      duplicateRate: rate,
      batchRows: z.int().min(1).max(1_000_000).optional(),
    })
    .optional(),
});

export type JobRequest = z.input<typeof jobRequestSchema>;

/**
 * What a job tells its listeners (the SSE route): `stats` about once a second, `status` when a sink loses or regains
 * its destination, `end` once with the final record.
 */
export interface JobEvents {
  stats: [JobStats];
  status: [SinkStatusEvent];
  end: [JobRecord];
}

/** A running job's latest delivered readings (flat records), and the thread that runs it. */
export interface RecentReadingsView {
  readonly jobId: string;
  readonly status: JobRecordStatus;
  /** The worker thread running the job (worker_threads threadId; the main thread is 0); null when not running. */
  readonly threadId: number | null;
  readonly readings: readonly FlatReading[];
}

interface RunningJob {
  record: JobRecord;
  readonly worker: Worker;
  readonly events: EventEmitter<JobEvents>;
  recent: FlatReading[];
  /** The thread id the worker reports with its stats (the worker's own worker_threads.threadId). */
  reportedThreadId: number | null;
  done: Promise<void>;
}

export interface JobManagerOptions {
  readonly store: JobStore;
  /** Limits of each job's worker thread (heap sizes): a job over them fails alone instead of taking the server down. */
  readonly workerLimits?: ResourceLimits;
  /** Every path a request names (`output.out`, a local `output.stage`) must lie inside it (default ./forge-data). */
  readonly dataDir?: string;
}

/** How long a worker that reported its end may take to exit (its sinks' connections closing) before it is terminated. */
const EXIT_GRACE_MS = 5_000;

/**
 * Runs batch and stream jobs for the server, each in its own worker thread (job-worker.ts), so generating and
 * delivering rows never holds up the API's event loop. Jobs are planned here exactly as the CLI plans them (same
 * schemas and library functions, job-plan.ts): bad input is refused before a record or a worker exists. This thread
 * keeps the running jobs with their worker and latest stats and readings, and persists every record with JobStore so
 * the history survives a restart (a record left `running` by a dead server reads as `interrupted`). A worker that
 * dies without reporting its end leaves its job `failed`, never `running`.
 */
export class JobManager {
  readonly store: JobStore;
  private readonly workerLimits: ResourceLimits | undefined;
  /** Where the paths of requests must lie (output-policy.ts). */
  readonly dataDir: string;
  private readonly running = new Map<string, RunningJob>();
  /** Every job's worker until it has exited (a job leaves `running` at its end, its thread a moment later). */
  private readonly threads = new Set<Promise<void>>();
  /** Final records of jobs that just ended, until their file is written (so a reader never sees them running). */
  private readonly ending = new Map<string, JobRecord>();

  constructor(options: JobManagerOptions) {
    this.store = options.store;
    this.workerLimits = options.workerLimits;
    this.dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  }

  runningCount(): number {
    return this.running.size;
  }

  /** Validates the request, records the job as running and starts its worker; resolves with the first record. */
  async start(body: unknown): Promise<JobRecord> {
    const record = this.plan(body);
    await this.store.save(record);
    await this.launch(record, false);
    return shown(record);
  }

  /**
   * Resumes a stopped or interrupted stream job from its checkpoint, in a new worker (the rules of `forge stream
   * --resume`: a batch job, a running one or a completed one answers FORGE_ERR_JOB_STATE).
   */
  async resume(jobId: string): Promise<JobRecord> {
    if (this.running.has(jobId)) throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is running in this server; stop it first with POST /api/jobs/${jobId}/stop`]);
    const record = resumedRecord(this.ending.get(jobId) ?? (await this.store.load(jobId)), `POST /api/jobs/${jobId}/stop`);
    checkSinks(record.output);
    await this.store.save(record);
    await this.launch(record, true);
    return shown(record);
  }

  /**
   * Starts a new job with a recorded job's configuration (rerunRequest: a fresh output path, a stream from "now"
   * starting now), planned and checked like any request.
   */
  async rerun(jobId: string): Promise<JobRecord> {
    const previous = this.running.get(jobId)?.record ?? this.ending.get(jobId) ?? (await this.store.load(jobId));
    return this.start(rerunRequest(previous));
  }

  /** Every record, newest first, with the running ones' latest stats. */
  async list(): Promise<JobRecord[]> {
    const records = await this.store.list();
    return records.map((r) => shown(this.running.get(r.jobId)?.record ?? this.ending.get(r.jobId) ?? r));
  }

  async get(jobId: string): Promise<JobRecord> {
    const live = this.running.get(jobId);
    return shown(live ? live.record : (this.ending.get(jobId) ?? (await this.store.load(jobId))));
  }

  /** The last readings a running job delivered (none for a job that is not running; unknown job: FORGE_ERR_JOB_NOT_FOUND). */
  async recent(jobId: string): Promise<RecentReadingsView> {
    const live = this.running.get(jobId);
    if (live) return { jobId, status: live.record.status, threadId: live.reportedThreadId ?? live.worker.threadId, readings: live.recent };
    const record = await this.get(jobId);
    return { jobId, status: record.status, threadId: null, readings: [] };
  }

  /** Asks a running job to stop (flush and close its sinks); resolves with its record once it has ended. */
  async stop(jobId: string): Promise<JobRecord> {
    const job = this.running.get(jobId);
    if (!job) {
      const record = await this.get(jobId);
      throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is not running in this server (status ${record.status})`]);
    }
    askToStop(job);
    await job.done;
    return shown(job.record);
  }

  /** The running job's event emitter and latest readings, or undefined when it is not running here. */
  events(jobId: string): { events: EventEmitter<JobEvents>; record: () => JobRecord; recent: () => readonly FlatReading[] } | undefined {
    const job = this.running.get(jobId);
    return job ? { events: job.events, record: () => shown(job.record), recent: () => job.recent } : undefined;
  }

  /** Stops every running job gracefully and waits for them (server shutdown). */
  async stopAll(): Promise<void> {
    for (const job of this.running.values()) askToStop(job);
    await Promise.all([...this.threads]);
  }

  /** Counts for /metrics: jobs by status and readings delivered, over the history. */
  async totals(): Promise<{ byStatus: Record<JobRecordStatus, number>; rowsDelivered: number }> {
    const byStatus: Record<JobRecordStatus, number> = { running: 0, completed: 0, stopped: 0, failed: 0, interrupted: 0 };
    let rowsDelivered = 0;
    for (const record of await this.list()) {
      byStatus[record.status] += 1;
      rowsDelivered += record.stats.delivered;
    }
    return { byStatus, rowsDelivered };
  }

  private plan(body: unknown): JobRecord {
    const parsed = jobRequestSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
    const request = parsed.data;
    const base = inPart('scenario', () => resolveScenario(request.scenario));
    const output = confineOutputPaths(
      withDefaultPath(inPart('output', () => parseOutputOptions(request.output)), this.dataDir),
      this.dataDir,
    );
    let record: JobRecord;
    if (request.kind === 'batch') {
      if (request.stream) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stream: applies to stream jobs only (kind "stream")']);
      // As forge generate --shard: the default start moves with the calendar, so shards need the same explicit one.
      if (base.shard && request.scenario.start === undefined) {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['scenario.start: a sharded job needs an explicit start (the same for every shard); the default moves with the calendar']);
      }
      record = batchJobRecord(base, output);
    } else {
      record = streamJobRecord(base, output, request.stream ?? {}, { sink: 'output.sink', batchRows: 'stream.batchRows' });
    }
    // The worker builds its own sinks; built here too (never opened) so a bad sink setting is a 400, not a failed job.
    checkSinks(output);
    return record;
  }

  /** Starts the job's worker thread and follows it to its end (a thread that cannot start leaves the job failed). */
  private async launch(record: JobRecord, resume: boolean): Promise<void> {
    const entry = workerEntry(import.meta.url, 'job-worker');
    const data: JobWorkerData = { record, resume };
    let worker: Worker;
    try {
      worker = new Worker(entry.script, { eval: entry.eval, workerData: data, ...(this.workerLimits ? { resourceLimits: this.workerLimits } : {}) });
    } catch (error) {
      await this.store.save(updatedRecord(record, record.stats, 'failed', `job worker did not start: ${errorText(error)}`));
      throw error;
    }
    const job: RunningJob = { record, worker, events: new EventEmitter<JobEvents>(), recent: [], reportedThreadId: null, done: Promise.resolve() };
    job.events.setMaxListeners(0);
    this.running.set(record.jobId, job);
    job.done = this.follow(job);
    this.threads.add(job.done);
    void job.done.finally(() => this.threads.delete(job.done));
  }

  private follow(job: RunningJob): Promise<void> {
    const { worker } = job;
    let saving = Promise.resolve();
    const persist = (record: JobRecord): void => {
      saving = saving.then(() => this.store.save(record)).catch(() => undefined);
    };
    let final: JobRecord | null = null;
    let crash: string | null = null;
    const finish = (record: JobRecord): void => {
      if (final) return;
      final = record;
      job.record = record;
      job.recent = [];
      persist(record);
      this.ending.set(record.jobId, record);
      void saving.then(() => this.ending.get(record.jobId) === record && this.ending.delete(record.jobId));
      // Ended: no longer running here (its thread may take a moment to exit; stopAll still waits for it).
      if (this.running.get(record.jobId) === job) this.running.delete(record.jobId);
      job.events.emit('end', shown(record));
    };
    return new Promise<void>((resolve) => {
      worker.on('message', (message: JobWorkerMessage) => {
        if (final) return;
        switch (message.type) {
          case 'stats':
            job.record = updatedRecord(job.record, message.stats);
            job.recent = message.recent;
            job.reportedThreadId = message.threadId;
            persist(job.record);
            job.events.emit('stats', message.stats);
            break;
          case 'status':
            job.events.emit('status', message.event);
            break;
          case 'end': {
            finish(updatedRecord(job.record, message.stats ?? job.record.stats, message.status, message.error));
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
        if (!final) finish(updatedRecord(job.record, job.record.stats, 'failed', crash ?? `job worker exited (code ${code}) before the job ended`));
        void saving.then(resolve);
      });
    });
  }
}

function askToStop(job: RunningJob): void {
  job.worker.postMessage({ type: 'stop' } satisfies JobWorkerRequest);
}

/** Names the body part (scenario, output) in front of each field of a validation message. */
function inPart<T>(part: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ForgeError && error.code === 'FORGE_ERR_INVALID_CONFIG') {
      const detail = error.message.replace(/^Invalid configuration: /, '');
      const named = detail.split('; ').map((d) => (d.startsWith('unknown key') ? `${part}: ${d}` : d.startsWith('(input)') ? `${part}${d.slice(7)}` : `${part}.${d}`));
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [named.join('; ')], { cause: error });
    }
    throw error;
  }
}

/** A record as the API shows it: the Postgres password redacted (as `forge jobs show`). */
export function shown(record: JobRecord): JobRecord {
  return record.output.pgUrl ? { ...record, output: { ...record.output, pgUrl: redactPgUrl(record.output.pgUrl) } as OutputOptions } : record;
}

/** The default path of a sink that writes to a path of its own (duckdb and the file sinks), else undefined. */
const defaultPathOf = (sink: string): string | undefined => (sink === 'duckdb' ? DEFAULT_DUCKDB_PATH : isFileFormat(sink) ? defaultFileDir(sink) : undefined);

/** With one path sink and no `out`, the sink's default path (its last part) inside the data directory. */
function withDefaultPath(output: OutputOptions, dataDir: string): OutputOptions {
  const defaults = output.sink.map(defaultPathOf).filter((p) => p !== undefined);
  if (output.out !== undefined || defaults.length !== 1) return output;
  return { ...output, out: join(dataDir, basename(defaults[0]!)) };
}
