import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ScenarioInput } from '../scenario/scenario-schema.js';
import { ForgeError } from '../util/forge-error.js';
import type { OutputOptions } from './output-options.js';

/** Where job records live unless told otherwise: $FORGE_STATE_DIR, else ./forge-data/jobs. */
export const defaultStateDir = (): string => resolve(process.env.FORGE_STATE_DIR ?? './forge-data/jobs');

export type JobKind = 'batch' | 'stream';
/** `interrupted`: recorded as running by a process that no longer exists (kill -9, crash, power loss). */
export type JobRecordStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** A stream job's time window and clock, as resolved when it started (what resume and verify need). */
export interface StreamWindow {
  /** First interval start streamed, ISO 8601 UTC. */
  readonly fromUtc: string;
  /** End of the window (exclusive), ISO 8601 UTC; null for a stream that runs until stopped. */
  readonly toUtc: string | null;
  /** Simulated seconds per wall second; null for `--speed max`. */
  readonly speed: number | null;
  /** The stream started from "now": its simulated clock started at the wall clock, not at fromUtc. */
  readonly fromNow?: boolean;
}

export interface SinkStats {
  readonly sink: string;
  /** Rows the sink has committed (durable) in this job. */
  readonly committed: number;
  readonly state: 'ok' | 'degraded';
  readonly lastError?: string;
}

export interface JobStats {
  readonly generated: number;
  readonly delivered: number;
  readonly rowsPerSecond: number;
  /** Emission-to-commit latency over the job, milliseconds (stream jobs). */
  readonly latencyMs?: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly sinks: readonly SinkStats[];
  /** Simulated time reached, ISO 8601 UTC (stream jobs). */
  readonly simulatedUtc?: string;
  /** Last batch sequence committed by every sink (the checkpoint resume starts after). */
  readonly checkpoint?: number;
  /**
   * Every reading whose interval starts before this instant (ISO 8601 UTC) has been committed by every sink: late and
   * backfilled readings of earlier intervals included. What `forge verify` checks for a job that did not complete.
   */
  readonly completeThroughUtc?: string;
}

/**
 * A job's persisted record: configuration, state, counts and errors. The output settings are kept as given so a
 * job can be resumed (a Postgres URL with a password included: the file is written readable by its owner only).
 */
export interface JobRecord {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly status: JobRecordStatus;
  readonly pid: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly scenario: ScenarioInput;
  readonly output: OutputOptions;
  readonly stream: StreamWindow | null;
  /** Emission settings of a stream job (pattern rates), as resolved. */
  readonly emission: Record<string, unknown> | null;
  readonly stats: JobStats;
  readonly errors: readonly string[];
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks a job id before it becomes part of a path. */
export function checkJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`job id "${jobId}" must be letters, digits, '.', '_' or '-'`]);
  return jobId;
}

/**
 * Job records as one JSON file per job in a directory, each replaced atomically (write to a temporary file, then
 * rename): a reader never sees a torn record, and a killed process leaves its last complete record behind.
 */
export class JobStore {
  readonly dir: string;

  constructor(dir: string = defaultStateDir()) {
    this.dir = resolve(dir);
  }

  async save(record: JobRecord): Promise<void> {
    checkJobId(record.jobId);
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(record.jobId);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  }

  /** The record, with `running` turned into `interrupted` when its process is gone. */
  async load(jobId: string): Promise<JobRecord> {
    let text: string;
    try {
      text = await readFile(this.pathOf(checkJobId(jobId)), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ForgeError('FORGE_ERR_JOB_NOT_FOUND', [jobId, this.dir]);
      throw e;
    }
    return withLiveness(JSON.parse(text) as JobRecord);
  }

  /** Every record, newest first. */
  async list(): Promise<JobRecord[]> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const records: JobRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        records.push(withLiveness(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as JobRecord));
      } catch {
        // A file that is not a job record (or was removed meanwhile) is not part of the history.
      }
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private pathOf(jobId: string): string {
    return join(this.dir, `${jobId}.json`);
  }
}

function withLiveness(record: JobRecord): JobRecord {
  if (record.status !== 'running' || processAlive(record.pid)) return record;
  return { ...record, status: 'interrupted' };
}

/** True when a process with this id exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A new job's first record: running, in this process, no counts yet. */
export function startedRecord(fields: Pick<JobRecord, 'jobId' | 'kind' | 'scenario' | 'output' | 'stream' | 'emission'>): JobRecord {
  const now = new Date().toISOString();
  return {
    ...fields,
    status: 'running',
    pid: process.pid,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    stats: { generated: 0, delivered: 0, rowsPerSecond: 0, sinks: [] },
    errors: [],
  };
}

/** The record with new stats and, when the job ended, its final status. */
export function updatedRecord(record: JobRecord, stats: JobStats, status: JobRecordStatus = record.status, error?: string): JobRecord {
  const now = new Date().toISOString();
  return {
    ...record,
    status,
    pid: process.pid,
    updatedAt: now,
    finishedAt: status === 'running' ? null : now,
    stats,
    errors: error ? [...record.errors, error] : record.errors,
  };
}
