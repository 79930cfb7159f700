import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { z } from 'zod';
import type { ScenarioInput } from '../scenario/scenario-schema.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { HeartbeatThread } from './heartbeat-thread.js';
import { isThisProcess, jobOwnerSchema, thisOwner, type JobOwner } from './job-owner.js';
import type { OutputOptions } from './output-options.js';

/** Where job records live unless told otherwise: $FORGE_STATE_DIR, else ./forge-data/jobs. */
export const defaultStateDir = (): string => resolve(process.env.FORGE_STATE_DIR ?? './forge-data/jobs');

export type JobKind = 'batch' | 'stream';
/**
 * `interrupted`: recorded as running by an owner that stopped beating (kill -9, crash, power loss, a container
 * restarted): see JobStore's liveness rule.
 */
export const JOB_RECORD_STATUSES = ['running', 'completed', 'stopped', 'failed', 'interrupted'] as const;
export type JobRecordStatus = (typeof JOB_RECORD_STATUSES)[number];

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
  /**
   * The ground truth generated, label windows per event type and anomaly rates achieved per meter-day: a batch job's
   * run; a stream's days wholly delivered so far.
   */
  readonly labels?: {
    readonly windows: Readonly<Record<string, number>>;
    readonly achievedRates: Readonly<Record<string, number>>;
    readonly meterDays: number;
  };
}

/**
 * A job's persisted record: configuration, state, counts and errors. The output settings are kept as given so a
 * job can be resumed (a Postgres URL with a password included: the file is written readable by its owner only).
 */
export interface JobRecord {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly status: JobRecordStatus;
  /** The owner's process id, informative only: liveness is judged by the owner's heartbeat, never by the pid. */
  readonly pid: number;
  /** The process that runs (or last ran) the job; absent in records written before owners were recorded. */
  readonly owner?: JobOwner;
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

/** How often the owner of a running job refreshes its heartbeat. */
export const HEARTBEAT_EVERY_MS = 1_000;
/** A running job whose owner has not beaten (heartbeat file or record update) for this long reads as interrupted. */
export const HEARTBEAT_STALE_MS = 10_000;
/** A record file larger than this is not read (a record is a few kilobytes). */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** A temporary file older than this was left by a writer that died between write and rename: removed when seen. */
const STRAY_TEMPORARY_MS = 60_000;

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().min(0);

/**
 * What a record file must hold to be read as a job record. Known fields are checked (types, enumerations, finite
 * numbers); fields added by newer versions are kept. The scenario and output settings are checked again by their
 * own schemas when a job is resumed or rerun. The API documents the records it answers with by it.
 */
export const jobRecordSchema = z.looseObject({
  jobId: z.string().regex(JOB_ID),
  kind: z.enum(['batch', 'stream']),
  status: z.enum(JOB_RECORD_STATUSES),
  pid: z.int().min(0),
  owner: jobOwnerSchema.optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: isoTime.nullable(),
  scenario: z.looseObject({}),
  output: z.looseObject({ sink: z.array(z.string()).min(1) }),
  stream: z.looseObject({ fromUtc: isoTime, toUtc: isoTime.nullable(), speed: z.number().positive().nullable() }).nullable(),
  emission: z.looseObject({}).nullable(),
  stats: z.looseObject({
    generated: count,
    delivered: count,
    rowsPerSecond: count,
    sinks: z.array(z.looseObject({ sink: z.string(), committed: count, state: z.enum(['ok', 'degraded']), lastError: z.string().optional() })),
    checkpoint: z.number().optional(),
    simulatedUtc: isoTime.optional(),
    completeThroughUtc: isoTime.optional(),
  }),
  errors: z.array(z.string()),
});

/** A file in the state directory that is not a readable job record, and why (as `forge jobs` and the API list them). */
export interface UnreadableRecord {
  /** The file's name in the state directory. */
  readonly file: string;
  readonly reason: string;
}

/** The history as read: the good records, newest first, and the files that could not be read as records. */
export interface JobHistory {
  readonly records: JobRecord[];
  readonly unreadable: UnreadableRecord[];
}

/** The heartbeat file of a running job: its owner and the time of its last beat. */
const heartbeatSchema = z.object({ owner: jobOwnerSchema, at: isoTime });

/**
 * Job records as one JSON file per job in a directory.
 *
 * Writes are atomic: a record goes to a temporary file named uniquely per writer (pid, thread and a random part, as
 * worker threads share a pid), then is renamed over the record, so a reader never sees a torn record and a killed
 * process leaves its last complete record behind. Temporaries left by a writer that died are removed when seen.
 *
 * Reads never trust the directory: every file is opened without following links, must be a regular file of sane
 * size holding JSON that the record schema accepts and naming the job its file is named after. Anything else (an
 * empty or truncated file, a foreign JSON file, a directory or a link named like a record) is skipped and listed as
 * unreadable; `load` of such a job fails with FORGE_ERR_JOB_RECORD_UNREADABLE.
 *
 * Liveness: the process that saves a record as `running` owns the job and refreshes a heartbeat file beside it
 * (`<job>.heartbeat`, atomically) every second until it saves the job's final record. A `running` record whose
 * owner has neither beaten nor updated the record for HEARTBEAT_STALE_MS reads as `interrupted`. The pid is never
 * consulted: in a container every server is PID 1, and a pid is reused by unrelated processes.
 */
export class JobStore {
  readonly dir: string;

  constructor(dir: string = defaultStateDir()) {
    this.dir = resolve(dir);
  }

  async save(record: JobRecord): Promise<void> {
    checkJobId(record.jobId);
    await mkdir(this.dir, { recursive: true });
    const running = record.status === 'running';
    // The process that records a job as running is its owner from then on (a resumed job changes owner).
    const stamped: JobRecord = running ? { ...record, owner: thisOwner() } : record;
    await writeAtomically(this.pathOf(record.jobId), `${JSON.stringify(stamped, null, 2)}\n`);
    const beatFile = this.heartbeatOf(record.jobId);
    if (running) heartbeats.start(beatFile, thisOwner());
    else if (heartbeats.beating(beatFile)) await heartbeats.stop(beatFile);
    else {
      // Ended by another process (a stop of an interrupted job): the dead owner's heartbeat goes, a live one's stays.
      const beat = await this.heartbeat(record.jobId);
      if (beat && Date.now() - Date.parse(beat.at) >= HEARTBEAT_STALE_MS) await unlink(beatFile).catch(() => undefined);
    }
  }

  /** The record, with `running` turned into `interrupted` when its owner stopped beating. */
  async load(jobId: string): Promise<JobRecord> {
    const file = `${checkJobId(jobId)}.json`;
    const read = await this.read(file);
    if (read.kind === 'missing') throw new ForgeError('FORGE_ERR_JOB_NOT_FOUND', [jobId, this.dir]);
    if (read.kind === 'unreadable') throw new ForgeError('FORGE_ERR_JOB_RECORD_UNREADABLE', [join(this.dir, file), read.reason]);
    return this.withLiveness(read.record);
  }

  /** Every readable record, newest first (unreadable files skipped: see `history`). */
  async list(): Promise<JobRecord[]> {
    return (await this.history()).records;
  }

  /** Every readable record, newest first, and the files of the directory that are not readable records. */
  async history(): Promise<JobHistory> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      // The state directory itself is not one (a file, a dangling path): a coded error naming it, not a stack.
      throw new ForgeError('FORGE_ERR_JOB_RECORD_UNREADABLE', [this.dir, `the state directory cannot be listed (${e.code ?? 'error'})`], { cause: e });
    });
    const records: JobRecord[] = [];
    const unreadable: UnreadableRecord[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        await removeIfStray(join(this.dir, name));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const read = await this.read(name);
      if (read.kind === 'record') records.push(await this.withLiveness(read.record));
      // Removed between readdir and open: no longer part of the history.
      else if (read.kind === 'unreadable') unreadable.push({ file: name, reason: read.reason });
    }
    records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.jobId.localeCompare(b.jobId));
    unreadable.sort((a, b) => a.file.localeCompare(b.file));
    return { records, unreadable };
  }

  /** The heartbeat of a job's owner: who and when, or null when there is none (or it is unreadable). */
  async heartbeat(jobId: string): Promise<{ owner: JobOwner; at: string } | null> {
    const text = await readSmallFile(this.heartbeatOf(checkJobId(jobId))).catch(() => null);
    if (text === null) return null;
    try {
      const parsed = heartbeatSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private async read(file: string): Promise<{ kind: 'record'; record: JobRecord } | { kind: 'missing' } | { kind: 'unreadable'; reason: string }> {
    const jobId = file.slice(0, -'.json'.length);
    if (!JOB_ID.test(jobId)) return { kind: 'unreadable', reason: 'not named like a job record (<job id>.json)' };
    let text: string;
    try {
      text = await readSmallFile(join(this.dir, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'unreadable', reason: e instanceof UnreadableFile ? e.message : `cannot be read (${code ?? 'error'})` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: 'unreadable', reason: text.trim() === '' ? 'empty' : 'not valid JSON (truncated or corrupt)' };
    }
    const parsed = jobRecordSchema.safeParse(json);
    if (!parsed.success) return { kind: 'unreadable', reason: `not a job record: ${formatIssues(parsed.error.issues as never).slice(0, 300)}` };
    if (parsed.data.jobId !== jobId) return { kind: 'unreadable', reason: `holds job ${parsed.data.jobId}, not ${jobId}` };
    return { kind: 'record', record: parsed.data as unknown as JobRecord };
  }

  /**
   * A `running` record stays running while its owner beats: this process (its heartbeat timer is on), or a heartbeat
   * or record update less than HEARTBEAT_STALE_MS old. Otherwise the owner is gone and the job reads as interrupted.
   */
  private async withLiveness(record: JobRecord): Promise<JobRecord> {
    if (record.status !== 'running') return record;
    if (isThisProcess(record.owner) && heartbeats.beating(this.heartbeatOf(record.jobId))) return record;
    const beat = await this.heartbeat(record.jobId);
    const last = Math.max(Date.parse(record.updatedAt), beat ? Date.parse(beat.at) : 0);
    if (Date.now() - last < HEARTBEAT_STALE_MS) return beat && !record.owner ? { ...record, owner: beat.owner } : record;
    return { ...record, status: 'interrupted' };
  }

  private pathOf(jobId: string): string {
    return join(this.dir, `${jobId}.json`);
  }

  private heartbeatOf(jobId: string): string {
    return join(this.dir, `${jobId}.heartbeat`);
  }
}

class UnreadableFile extends Error {}

/**
 * A regular file's text, at most MAX_RECORD_BYTES. Opened without following a link (a link named like a record could
 * point anywhere) and without blocking (a FIFO named like one would hang the reader).
 */
async function readSmallFile(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UnreadableFile('a symbolic link, not a record file');
    throw e;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UnreadableFile(info.isDirectory() ? 'a directory, not a record file' : 'not a regular file');
    if (info.size > MAX_RECORD_BYTES) throw new UnreadableFile(`larger than ${MAX_RECORD_BYTES / 1024 / 1024} MiB`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes through a temporary named uniquely for this writer (pid, thread, random), then renames it into place. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
}

async function removeIfStray(path: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (info.isFile() && Date.now() - info.mtimeMs > STRAY_TEMPORARY_MS) await unlink(path);
  } catch {
    // Renamed or removed by its writer meanwhile.
  }
}

const heartbeats = new HeartbeatThread(HEARTBEAT_EVERY_MS);

/** True when a process with this id exists on this host (signal 0 checks without signalling). Not a liveness test. */
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
