import type { FlatReading } from '../generator/reading-records.js';
import { resolveScenario, scenarioToInput, type Scenario } from '../scenario/scenario.js';
import { loadScenarioFleet } from '../warehouse/fleet-file.js';
import { SINK_PLUGINS } from '../sinks/registry.js';
import type { Sink, SinkResult } from '../sinks/sink.js';
import { resolveEmission, type EmissionSettings } from '../stream/emission-settings.js';
import { parseDuration, parseInstant, parseSpeed, streamPlan } from '../stream/stream-window.js';
import { ForgeError } from '../util/forge-error.js';
import { DEFAULT_UNIT_ROWS } from '../emit/work-plan.js';
import { newJobId, runBatchJob, type BatchJobOptions } from './batch-job.js';
import { startedRecord, type JobRecord, type JobStats } from './job-store.js';
import { parseOutputOptions, type OutputOptions } from './output-options.js';
import { createSinks, type SinkStatusEvent } from './sink-factory.js';
import { runStreamJob, SinkHealth, type StreamStats } from './stream-job.js';

/** Sinks a stream can deliver to (their plugins say so): the file sinks write whole dates (the stage sink lands files for streams). */
export const STREAM_SINKS: readonly string[] = SINK_PLUGINS.filter((p) => p.streams).map((p) => p.name);

/** A stream's settings as given (CLI flags or the API body's `stream`); checked and resolved by streamJobRecord. */
export interface StreamSettings {
  /** ISO 8601 instant or 'now' (default). */
  readonly from?: string;
  /** '90m', '6h', '2d'; absent: until stopped. */
  readonly duration?: string;
  /** Simulated seconds per second, or 'max'; default 1 (real time). */
  readonly speed?: string | number;
  readonly missingRate?: unknown;
  readonly lateRate?: unknown;
  readonly outOfOrderRate?: unknown;
  readonly duplicateRate?: unknown;
  readonly batchRows?: unknown;
}

/** How the caller names a setting in its messages (CLI flags or API body fields). */
export interface SettingNames {
  readonly sink: string;
  readonly batchRows: string;
}

const CLI_NAMES: SettingNames = { sink: 'sink', batchRows: 'batch-rows' };

/**
 * A new batch job's first record: everything `forge generate --resume` needs to regenerate the same batches, i.e. the
 * resolved scenario (explicit start, shard) and the batch size (a batch's sequence depends on it; the default is
 * written down so a later default cannot shift a resumed job's batches).
 */
export function batchJobRecord(scenario: Scenario, output: OutputOptions): JobRecord {
  return startedRecord({
    jobId: newJobId(),
    kind: 'batch',
    scenario: scenarioToInput(scenario),
    output: { ...output, batchSize: output.batchSize ?? DEFAULT_UNIT_ROWS },
    stream: null,
    emission: null,
  });
}

/**
 * How a batch record's job runs (new or resumed): its scenario, batch size and workers, and on resume the record's
 * checkpoint for the sinks that keep none. The CLI and the server's job worker both run batch jobs from this.
 */
export function batchRunOptions(record: JobRecord, resume: boolean): Pick<BatchJobOptions, 'jobId' | 'scenario' | 'unitRows' | 'workers' | 'resume' | 'resumeAfter'> {
  return {
    jobId: record.jobId,
    scenario: resolveScenario(record.scenario),
    // A record written before batch sizes were recorded ran with the default.
    unitRows: record.output.batchSize ?? DEFAULT_UNIT_ROWS,
    ...(record.output.workers !== undefined ? { workers: record.output.workers } : {}),
    ...(resume ? { resume: true, resumeAfter: record.stats.checkpoint ?? -1 } : {}),
  };
}

/** A batch job's stats from its progress (rows: the whole job's, a resumed job's earlier runs included). */
export function batchStats(rows: number, rowsPerSecond: number, checkpoint: number, sinks: readonly SinkResult[] = []): JobStats {
  return {
    generated: rows,
    delivered: rows,
    rowsPerSecond: Math.round(rowsPerSecond),
    sinks: sinks.map((s) => ({ sink: s.sink, committed: s.rows, state: 'ok' as const })),
    checkpoint,
  };
}

/**
 * A new stream job's first record: the sinks must take a stream, the window and speed are resolved (a stream from
 * "now" starts one interval back), the emission rates are checked against the scenario's pattern.
 */
export function streamJobRecord(base: Scenario, output: OutputOptions, settings: StreamSettings, names: SettingNames = CLI_NAMES): JobRecord {
  const refused = output.sink.filter((s) => !STREAM_SINKS.includes(s));
  if (refused.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${names.sink}: ${refused.join(', ')} cannot take a stream (use ${STREAM_SINKS.slice(0, -1).join(', ')} or ${STREAM_SINKS.at(-1)})`]);
  }
  const speed = settings.speed === undefined ? 1 : parseSpeed(String(settings.speed));
  const now = Date.now();
  const fromText = settings.from ?? 'now';
  const fromNow = fromText.trim().toLowerCase() === 'now';
  const duration = settings.duration === undefined ? null : parseDuration(settings.duration);
  const { scenario, window } = streamPlan(base, parseInstant(fromText, now), duration, fromNow);
  const emission = resolveEmission(scenario.emissionPattern, {
    ...(settings.missingRate !== undefined ? { missingRate: settings.missingRate } : {}),
    ...(settings.lateRate !== undefined ? { lateRate: settings.lateRate } : {}),
    ...(settings.outOfOrderRate !== undefined ? { outOfOrderRate: settings.outOfOrderRate } : {}),
    ...(settings.duplicateRate !== undefined ? { duplicateRate: settings.duplicateRate } : {}),
  });
  const batchRows = settings.batchRows === undefined ? undefined : Number(settings.batchRows);
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows >= 1 && batchRows <= 1_000_000)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${names.batchRows} "${String(settings.batchRows)}" must be a whole number from 1 to 1,000,000`]);
  }
  return startedRecord({
    jobId: newJobId(),
    kind: 'stream',
    scenario: scenarioToInput(scenario),
    output,
    stream: { fromUtc: new Date(window.fromUtcMs).toISOString(), toUtc: duration === null ? null : new Date(window.toUtcMs).toISOString(), speed, fromNow },
    emission: { ...emission, ...(batchRows !== undefined ? { batchRows } : {}) },
  });
}

/**
 * The record a stopped, interrupted or failed job resumes with: running again in this process, its sinks appending
 * (they hold the job's first part; they also open with `resume`, so each keeps this job's output and drops its partial
 * tail). A stream continues from its checkpoint; a batch job finishes exactly its scenario (runBatchJob's `resume`).
 * A running job or a completed one cannot resume (FORGE_ERR_JOB_STATE); `stopHint` says how to stop a running one
 * (`forge stop <job>`, the API's stop route); `kind`, when given, is the only kind the caller resumes (its command).
 */
export function resumedRecord(previous: JobRecord, stopHint: string, kind?: JobRecord['kind']): JobRecord {
  const { jobId } = previous;
  if (kind === 'stream' && previous.kind !== 'stream') {
    throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is a batch job; forge stream --resume continues stream jobs only (complete a batch job with forge generate --resume ${jobId})`]);
  }
  if (kind === 'batch' && previous.kind !== 'batch') {
    throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is a stream job; forge generate --resume completes batch jobs only (continue a stream with forge stream --resume ${jobId})`]);
  }
  if (previous.status === 'running') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is still running (process ${previous.pid}); stop it first with ${stopHint}`]);
  if (previous.status === 'completed') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, 'completed; there is nothing to resume']);
  // Checked here (a bad record is refused before anything runs), as prepareJob will resolve them.
  const scenario = resolveScenario(previous.scenario);
  if (previous.kind === 'stream') emissionOf(previous, scenario);
  else if (typeof previous.scenario.start !== 'string') {
    throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, 'its record has no scenario start date, so its batches cannot be regenerated']);
  }
  const output: OutputOptions = parseOutputOptions({ ...previous.output, append: true });
  return { ...previous, output, status: 'running', pid: process.pid };
}

/** Builds (never opens) the output's sinks: a bad sink setting is refused before a record or a worker exists. */
export async function checkSinks(output: OutputOptions): Promise<void> {
  await createSinks(output);
}

export interface JobRunHooks {
  /** A sink lost its destination or got it back (the job's stats carry the state too). */
  readonly onStatus?: (event: SinkStatusEvent) => void;
}

export interface JobRunOptions {
  /** Continue a job from its checkpoint (the record as resumedRecord made it). */
  readonly resume?: boolean;
  readonly signal?: AbortSignal;
  /**
   * About once a second (a stream job also at its end). `recent` turns the last delivered readings into flat records:
   * call it only when they are wanted, and during the call.
   */
  readonly onStats?: (stats: JobStats, recent: () => FlatReading[]) => void;
}

export type JobRunResult =
  | { readonly kind: 'stream'; readonly status: 'completed' | 'stopped'; readonly stats: StreamStats; readonly sinks: readonly SinkResult[] }
  | { readonly kind: 'batch'; readonly status: 'completed' | 'stopped'; readonly stats: JobStats; readonly sinks: readonly SinkResult[] };

/** A job ready to run from its record: scenario, window and emission resolved, sinks built (not opened). */
export interface PreparedJob {
  run(options?: JobRunOptions): Promise<JobRunResult>;
}

const STATS_EVERY_MS = 1_000;

/** Resolves everything a record's job needs (this throws on bad settings before anything is written). */
export async function prepareJob(record: JobRecord, hooks: JobRunHooks = {}): Promise<PreparedJob> {
  const scenario = resolveScenario(record.scenario);
  const health = new SinkHealth();
  const onStatus = (event: SinkStatusEvent): void => {
    health.update(event);
    hooks.onStatus?.(event);
  };
  const sinks = await createSinks(record.output, { onStatus });
  if (record.kind === 'batch') return { run: (options = {}) => runBatch(record, scenario, sinks, options) };
  const stream = record.stream!;
  const fromUtcMs = Date.parse(stream.fromUtc);
  const window = { fromUtcMs, toUtcMs: stream.toUtc ? Date.parse(stream.toUtc) : streamPlan(scenario, fromUtcMs, null, false).window.toUtcMs };
  const emission = emissionOf(record, scenario);
  const batchRows = typeof record.emission?.batchRows === 'number' ? record.emission.batchRows : undefined;
  return {
    async run(options = {}) {
      const resume = options.resume ?? false;
      const summary = await runStreamJob({
        scenario,
        window,
        speed: stream.speed,
        emission,
        sinks,
        jobId: record.jobId,
        // A new stream from "now" starts its clock at the wall clock; a resumed one continues from its checkpoint.
        ...(!resume && stream.fromNow ? { clockStartUtcMs: Date.now() } : {}),
        resume,
        ...(resume && record.stats.checkpoint !== undefined ? { resumeAfterTick: record.stats.checkpoint } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        health,
        ...(batchRows !== undefined ? { maxBatchRows: batchRows } : {}),
        ...(record.output.workers !== undefined ? { dayWorkers: record.output.workers } : {}),
        ...(options.onStats ? { onStats: options.onStats } : {}),
      });
      return { kind: 'stream', status: summary.status, stats: summary.stats, sinks: summary.sinks };
    },
  };
}

/** Runs a job from its record (prepareJob, then run): what the server's job worker does. */
export async function runJobRecord(record: JobRecord, options: JobRunOptions & JobRunHooks = {}): Promise<JobRunResult> {
  await loadScenarioFleet(record.scenario);
  return (await prepareJob(record, options)).run(options);
}

async function runBatch(record: JobRecord, _scenario: Scenario, sinks: Sink[], options: JobRunOptions): Promise<JobRunResult> {
  let last = 0;
  const onStats = options.onStats;
  const summary = await runBatchJob({
    ...batchRunOptions(record, options.resume ?? false),
    sinks,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onStats
      ? {
          onProgress: (p, recent) => {
            if (Date.now() - last < STATS_EVERY_MS) return;
            last = Date.now();
            onStats(batchStats(p.rows, p.generatedRows / Math.max(p.elapsedSeconds, 1e-3), p.checkpoint), recent);
          },
        }
      : {}),
  });
  const stats = { ...batchStats(summary.rows, summary.rowsPerSecond, summary.checkpoint, summary.sinks), labels: summary.labels };
  return { kind: 'batch', status: summary.status, stats, sinks: summary.sinks };
}

/** A stream record's emission settings: its scenario's pattern, with the rates it was started with. */
function emissionOf(record: JobRecord, scenario: Scenario): EmissionSettings {
  const { batchRows: _ignored, ...rates } = record.emission ?? {};
  return resolveEmission(scenario.emissionPattern, { missingRate: rates.missingRate, lateRate: rates.lateRate, outOfOrderRate: rates.outOfOrderRate, duplicateRate: rates.duplicateRate });
}
