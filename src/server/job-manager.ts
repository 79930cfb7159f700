import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { newJobId, runBatchJob } from '../jobs/batch-job.js';
import { startedRecord, type JobStore, updatedRecord, type JobRecord, type JobRecordStatus, type JobStats } from '../jobs/job-store.js';
import { parseOutputOptions, type OutputOptions } from '../jobs/output-options.js';
import { createSinks } from '../jobs/sink-factory.js';
import { runStreamJob, SinkHealth } from '../jobs/stream-job.js';
import { resolveScenario, scenarioToInput, type Scenario } from '../scenario/scenario.js';
import type { Sink } from '../sinks/sink.js';
import { redactPgUrl } from '../sinks/postgres/postgres-options.js';
import { resolveEmission, type EmissionSettings } from '../stream/emission-settings.js';
import { parseDuration, parseInstant, parseSpeed, streamPlan } from '../stream/stream-window.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';

/** Sinks a stream can deliver to (as `forge stream`): the file sinks write whole dates. */
const STREAM_SINKS = new Set(['duckdb', 'postgres', 'mqtt', 'nats', 'stdout', 'stage', 'snowflake', 'snowflake-insert', 'snowflake-stage']);

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

/** What a job tells its listeners (the SSE route): `stats` about once a second, `end` once with the final record. */
export interface JobEvents {
  stats: [JobStats];
  end: [JobRecord];
}

interface RunningJob {
  record: JobRecord;
  readonly controller: AbortController;
  readonly events: EventEmitter<JobEvents>;
  done: Promise<void>;
}

interface PlannedJob {
  readonly record: JobRecord;
  readonly scenario: Scenario;
  readonly sinks: Sink[];
  readonly health: SinkHealth;
  readonly speed: number | null;
  readonly emission: EmissionSettings | null;
  readonly window: { fromUtcMs: number; toUtcMs: number } | null;
}

export interface JobManagerOptions {
  readonly store: JobStore;
  /** Output settings a request's `output` is laid over (e.g. a default `out`). */
  readonly outputDefaults?: Readonly<Record<string, unknown>>;
}

const STATS_EVERY_MS = 1_000;

/**
 * Runs batch and stream jobs inside the server process: plans them exactly as the CLI does (same schemas and library
 * functions, so bad input is refused before a record or a sink exists), runs them in the background, keeps the
 * running ones with their AbortController and latest stats, and persists every record with JobStore so the history
 * survives a restart (a record left `running` by a dead server reads as `interrupted`).
 */
export class JobManager {
  readonly store: JobStore;
  private readonly outputDefaults: Readonly<Record<string, unknown>>;
  private readonly running = new Map<string, RunningJob>();

  constructor(options: JobManagerOptions) {
    this.store = options.store;
    this.outputDefaults = options.outputDefaults ?? {};
  }

  runningCount(): number {
    return this.running.size;
  }

  /** Validates the request, records the job as running and starts it; resolves with the first record. */
  async start(body: unknown): Promise<JobRecord> {
    const plan = this.plan(body);
    await this.store.save(plan.record);
    const job: RunningJob = {
      record: plan.record,
      controller: new AbortController(),
      events: new EventEmitter<JobEvents>(),
      done: Promise.resolve(),
    };
    job.events.setMaxListeners(0);
    this.running.set(plan.record.jobId, job);
    job.done = this.run(job, plan).finally(() => this.running.delete(plan.record.jobId));
    return shown(plan.record);
  }

  /** Every record, newest first, with the running ones' latest stats. */
  async list(): Promise<JobRecord[]> {
    const records = await this.store.list();
    return records.map((r) => shown(this.running.get(r.jobId)?.record ?? r));
  }

  async get(jobId: string): Promise<JobRecord> {
    const live = this.running.get(jobId);
    return shown(live ? live.record : await this.store.load(jobId));
  }

  /** Asks a running job to stop (flush and close its sinks); resolves with its record once it has ended. */
  async stop(jobId: string): Promise<JobRecord> {
    const job = this.running.get(jobId);
    if (!job) {
      const record = await this.store.load(jobId);
      throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is not running in this server (status ${record.status})`]);
    }
    job.controller.abort();
    await job.done;
    return shown(job.record);
  }

  /** The running job's event emitter, or undefined when it is not running here. */
  events(jobId: string): { events: EventEmitter<JobEvents>; record: () => JobRecord } | undefined {
    const job = this.running.get(jobId);
    return job ? { events: job.events, record: () => shown(job.record) } : undefined;
  }

  /** Stops every running job gracefully and waits for them (server shutdown). */
  async stopAll(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const job of jobs) job.controller.abort();
    await Promise.all(jobs.map((job) => job.done));
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

  private plan(body: unknown): PlannedJob {
    const parsed = jobRequestSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
    const request = parsed.data;
    const base = inPart('scenario', () => resolveScenario(request.scenario));
    const output = inPart('output', () => parseOutputOptions({ ...this.outputDefaults, ...request.output }));
    if (request.kind === 'batch') {
      if (request.stream) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stream: applies to stream jobs only (kind "stream")']);
      const record = startedRecord({ jobId: newJobId(), kind: 'batch', scenario: scenarioToInput(base), output, stream: null, emission: null });
      const health = new SinkHealth();
      return { record, scenario: base, sinks: createSinks(output), health, speed: null, emission: null, window: null };
    }
    const refused = output.sink.filter((s) => !STREAM_SINKS.has(s));
    if (refused.length > 0) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`output.sink: ${refused.join(', ')} cannot take a stream (use duckdb, postgres, mqtt, nats, stage, snowflake, snowflake-insert, snowflake-stage or stdout)`]);
    }
    const settings = request.stream ?? {};
    const speed = settings.speed === undefined ? 1 : parseSpeed(String(settings.speed));
    const fromText = settings.from ?? 'now';
    const fromNow = fromText.trim().toLowerCase() === 'now';
    const duration = settings.duration === undefined ? null : parseDuration(settings.duration);
    const { scenario, window } = streamPlan(base, parseInstant(fromText, Date.now()), duration, fromNow);
    const emission = resolveEmission(scenario.emissionPattern, {
      ...(settings.missingRate !== undefined ? { missingRate: settings.missingRate } : {}),
      ...(settings.lateRate !== undefined ? { lateRate: settings.lateRate } : {}),
      ...(settings.outOfOrderRate !== undefined ? { outOfOrderRate: settings.outOfOrderRate } : {}),
      ...(settings.duplicateRate !== undefined ? { duplicateRate: settings.duplicateRate } : {}),
    });
    const record = startedRecord({
      jobId: newJobId(),
      kind: 'stream',
      scenario: scenarioToInput(scenario),
      output,
      stream: { fromUtc: new Date(window.fromUtcMs).toISOString(), toUtc: duration === null ? null : new Date(window.toUtcMs).toISOString(), speed, fromNow },
      emission: { ...emission, ...(settings.batchRows !== undefined ? { batchRows: settings.batchRows } : {}) },
    });
    const health = new SinkHealth();
    const sinks = createSinks(output, { onStatus: (event) => health.update(event) });
    return { record, scenario, sinks, health, speed, emission, window };
  }

  private async run(job: RunningJob, plan: PlannedJob): Promise<void> {
    let saving = Promise.resolve();
    const progress = (stats: JobStats): void => {
      job.record = updatedRecord(job.record, stats);
      job.events.emit('stats', stats);
      const snapshot = job.record;
      saving = saving.then(() => this.store.save(snapshot)).catch(() => undefined);
    };
    let final: JobRecord;
    try {
      if (plan.record.kind === 'batch') {
        let last = 0;
        const summary = await runBatchJob({
          jobId: plan.record.jobId,
          scenario: plan.scenario,
          sinks: plan.sinks,
          signal: job.controller.signal,
          ...(plan.record.output.workers !== undefined ? { workers: plan.record.output.workers } : {}),
          ...(plan.record.output.batchSize !== undefined ? { unitRows: plan.record.output.batchSize } : {}),
          onProgress: (p) => {
            if (Date.now() - last < STATS_EVERY_MS) return;
            last = Date.now();
            progress({ generated: p.rows, delivered: p.rows, rowsPerSecond: Math.round(p.rows / Math.max(p.elapsedSeconds, 1e-3)), sinks: [] });
          },
        });
        final = updatedRecord(
          job.record,
          {
            generated: summary.rows,
            delivered: summary.rows,
            rowsPerSecond: Math.round(summary.rowsPerSecond),
            sinks: summary.sinks.map((s) => ({ sink: s.sink, committed: s.rows, state: 'ok' as const })),
          },
          summary.status,
        );
      } else {
        const batchRows = typeof plan.record.emission?.batchRows === 'number' ? plan.record.emission.batchRows : undefined;
        const summary = await runStreamJob({
          scenario: plan.scenario,
          window: plan.window!,
          speed: plan.speed,
          emission: plan.emission!,
          sinks: plan.sinks,
          jobId: plan.record.jobId,
          ...(plan.record.stream!.fromNow ? { clockStartUtcMs: Date.now() } : {}),
          signal: job.controller.signal,
          health: plan.health,
          ...(batchRows !== undefined ? { maxBatchRows: batchRows } : {}),
          onStats: progress,
        });
        final = updatedRecord(job.record, summary.stats, summary.status);
      }
    } catch (error) {
      final = updatedRecord(job.record, job.record.stats, 'failed', error instanceof Error ? error.message : String(error));
    }
    await saving;
    job.record = final;
    await this.store.save(final).catch(() => undefined);
    job.events.emit('end', shown(final));
  }
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
