import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import type { FlatReading } from '../generator/reading-records.js';
import { checkSinks, resumedRecord } from '../jobs/job-plan.js';
import { setOwnerRole } from '../jobs/job-owner.js';
import { type JobStore, updatedRecord, type JobRecord, type JobRecordStatus, type UnreadableRecord } from '../jobs/job-store.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { redactSecrets } from '../util/redact-secrets.js';
import { withServerFleetFileInBody } from './fleet-file-request.js';
import { planJobRequest } from './job-request-plan.js';
import { JobThread, type JobEvents } from './job-thread.js';
import { confinedReadPath, confineRecordedOutput, DEFAULT_DATA_DIR } from './output-policy.js';
import { rerunRequest } from './rerun-request.js';

/** A running job's latest delivered readings (flat records), and the thread that runs it. */
export interface RecentReadingsView {
  readonly jobId: string;
  readonly status: JobRecordStatus;
  /** The worker thread running the job (worker_threads threadId; the main thread is 0); null when not running. */
  readonly threadId: number | null;
  readonly readings: readonly FlatReading[];
}

export interface JobManagerOptions {
  readonly store: JobStore;
  /** Limits of each job's worker thread (heap sizes): a job over them fails alone instead of taking the server down. */
  readonly workerLimits?: ResourceLimits;
  /** Every path a request names (`output.out`, a local `output.stage`) must lie inside it (default ./forge-data). */
  readonly dataDir?: string;
}

/**
 * The server's jobs: each runs in its own worker thread (JobThread), so generating and delivering rows never holds up
 * the API's event loop. A request is planned by planJobRequest (job-request-plan.ts) exactly as the CLI plans its
 * jobs: bad input is refused before a record or a worker exists. This class keeps the running jobs and the records of
 * those that just ended, and answers for the history through JobStore, so the history survives a restart (a record
 * left `running` by a dead server reads as `interrupted`).
 */
export class JobManager {
  readonly store: JobStore;
  private readonly workerLimits: ResourceLimits | undefined;
  /** Where the paths of requests must lie (output-policy.ts). */
  readonly dataDir: string;
  private readonly running = new Map<string, JobThread>();
  /** Every job's worker until it has exited (a job leaves `running` at its end, its thread a moment later). */
  private readonly threads = new Set<Promise<void>>();
  /** Final records of jobs that just ended, until their file is written (so a reader never sees them running). */
  private readonly ending = new Map<string, JobRecord>();

  constructor(options: JobManagerOptions) {
    this.store = options.store;
    this.workerLimits = options.workerLimits;
    this.dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    // The jobs this process records are owned by a server: `forge stop` points at the API instead of signalling it.
    setOwnerRole('server');
  }

  runningCount(): number {
    return this.running.size;
  }

  /** Validates the request, records the job as running and starts its worker; resolves with the first record. */
  async start(body: unknown): Promise<JobRecord> {
    const record = await planJobRequest(await withServerFleetFileInBody(body, this.dataDir), this.dataDir);
    await this.store.save(record);
    await this.launch(record, false);
    return shown(record);
  }

  /**
   * Resumes a stopped, interrupted or failed job in a new worker, with the rules of `forge stream --resume` and
   * `forge generate --resume`: a stream continues from its checkpoint, a batch job finishes exactly its scenario
   * (every sink is sent only what it does not hold); a running job or a completed one answers FORGE_ERR_JOB_STATE.
   */
  async resume(jobId: string): Promise<JobRecord> {
    if (this.running.has(jobId)) throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is running in this server; stop it first with POST /api/jobs/${jobId}/stop`]);
    const record = resumedRecord(this.ending.get(jobId) ?? (await this.store.load(jobId)), `POST /api/jobs/${jobId}/stop`);
    await checkSinks(record.output);
    // A record from another process (a CLI job in the same state directory) may name paths outside the data directory.
    confineRecordedOutput(record.output, this.dataDir);
    if (typeof record.scenario.fleetFile === 'string') confinedReadPath(record.scenario.fleetFile, 'scenario.fleetFile', this.dataDir);
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
    if (live) return { jobId, status: live.record.status, threadId: live.threadId, readings: live.recent };
    const record = await this.get(jobId);
    return { jobId, status: record.status, threadId: null, readings: [] };
  }

  /** Asks a running job to stop (flush and close its sinks); resolves with its record once it has ended. */
  async stop(jobId: string): Promise<JobRecord> {
    const job = this.running.get(jobId);
    if (!job) {
      const record = await this.get(jobId);
      // Left running by an owner that stopped beating (this server before a restart, a killed CLI): nothing runs it,
      // so stopping it only records that; its checkpoint stays for a resume.
      if (record.status === 'interrupted') {
        const stopped = updatedRecord(record, record.stats, 'stopped', 'stopped while interrupted: its process had ended without recording an end');
        await this.store.save(stopped);
        return shown(stopped);
      }
      if (record.status === 'running') {
        const owner = record.owner;
        const where = owner ? `process ${owner.pid} on ${owner.host}${owner.role === 'server' ? ', another forge serve' : ', a forge command'}` : `process ${record.pid}`;
        throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is running in another process (${where}); stop it there (forge stop ${jobId} on that host, or that server's API)`]);
      }
      throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is not running (status ${record.status})`]);
    }
    job.stop();
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
    for (const job of this.running.values()) job.stop();
    await Promise.all([...this.threads]);
  }

  /** Files of the state directory that are not readable job records (skipped by the history), and why. */
  async unreadable(): Promise<UnreadableRecord[]> {
    return (await this.store.history()).unreadable;
  }

  /** Counts for /metrics: jobs by status, readings delivered, and unreadable files, over the history. */
  async totals(): Promise<{ byStatus: Record<JobRecordStatus, number>; rowsDelivered: number; unreadable: number }> {
    const byStatus: Record<JobRecordStatus, number> = { running: 0, completed: 0, stopped: 0, failed: 0, interrupted: 0 };
    let rowsDelivered = 0;
    const history = await this.store.history();
    for (const stored of history.records) {
      const record = this.running.get(stored.jobId)?.record ?? this.ending.get(stored.jobId) ?? stored;
      byStatus[record.status] += 1;
      rowsDelivered += record.stats.delivered;
    }
    return { byStatus, rowsDelivered, unreadable: history.unreadable.length };
  }

  /** Starts the job's worker thread and follows it to its end (a thread that cannot start leaves the job failed). */
  private async launch(record: JobRecord, resume: boolean): Promise<void> {
    let thread: JobThread;
    try {
      thread = new JobThread({ record, resume, dataDir: this.dataDir, workerLimits: this.workerLimits, store: this.store, onEnd: (ended, final, saved) => this.ended(ended, final, saved) });
    } catch (error) {
      await this.store.save(updatedRecord(record, record.stats, 'failed', `job worker did not start: ${errorText(error)}`));
      throw error;
    }
    this.running.set(record.jobId, thread);
    this.threads.add(thread.done);
    void thread.done.finally(() => this.threads.delete(thread.done));
  }

  /** A job has ended: no longer running here (its thread may take a moment to exit; stopAll still waits for it). */
  private ended(thread: JobThread, record: JobRecord, saved: Promise<void>): void {
    this.ending.set(record.jobId, record);
    void saved.then(() => this.ending.get(record.jobId) === record && this.ending.delete(record.jobId));
    if (this.running.get(record.jobId) === thread) this.running.delete(record.jobId);
  }
}

/** A record as the API shows it: every URL's credentials and every secret redacted (redact-secrets.ts, as `forge jobs show`). */
export function shown(record: JobRecord): JobRecord {
  return redactSecrets(record);
}
