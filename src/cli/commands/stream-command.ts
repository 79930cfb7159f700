import type { Command } from 'commander';
import { newJobId } from '../../jobs/batch-job.js';
import { JobStore, startedRecord, updatedRecord, type JobRecord } from '../../jobs/job-store.js';
import { parseOutputOptions, type OutputOptions } from '../../jobs/output-options.js';
import { createSinks } from '../../jobs/sink-factory.js';
import { runStreamJob, SinkHealth, type StreamStats } from '../../jobs/stream-job.js';
import { resolveScenario, scenarioToInput } from '../../scenario/scenario.js';
import { resolveEmission, type EmissionSettings } from '../../stream/emission-settings.js';
import { parseDuration, parseInstant, parseSpeed, streamPlan } from '../../stream/stream-window.js';
import { ForgeError } from '../../util/forge-error.js';
import { addOutputFlags, outputFromFlags } from '../output-flags.js';
import { formatRate } from '../progress-reporter.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';

/** Sinks a stream can deliver to: the file sinks write whole dates (the stage sink lands files for streams). */
const STREAM_SINKS = new Set(['duckdb', 'postgres', 'mqtt', 'nats', 'stdout', 'stage', 'snowflake', 'snowflake-insert', 'snowflake-stage']);

export function registerStreamCommand(program: Command): void {
  addOutputFlags(addScenarioFlags(program.command('stream').description('run a live meter fleet: readings delivered as a head end receives them')))
    .option('--from <time>', 'first interval, ISO 8601 (e.g. 2026-11-29T14:00:00Z) or now (default: now, one interval back)')
    .option('--duration <d>', 'simulated time to stream, e.g. 90m, 6h, 2d (default: until stopped, at most 366 days)')
    .option('--speed <n|max>', 'simulated seconds per second: 1 = real time (default), 3600 = an hour a second, max = as fast as the sinks go')
    .option('--missing-rate <share>', 'share of readings missing at their time and backfilled later (pattern default)')
    .option('--late-rate <share>', 'share of readings arriving 1 to 8 intervals late (pattern default)')
    .option('--out-of-order-rate <share>', "share of readings arriving after the meter's next one (pattern default)")
    .option('--duplicate-rate <share>', 'share of readings delivered twice (pattern default)')
    .option('--batch-rows <n>', 'rows per delivered batch at most (whole ticks of one simulated second), default 50000')
    .option('--resume <job>', 'continue an interrupted or stopped stream job from its last checkpoint')
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const store = new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
      const job = typeof flags.resume === 'string' ? await resumedJob(store, flags.resume) : await newJob(flags);
      await runJob(store, job, flags);
    });
}

interface PlannedJob {
  readonly record: JobRecord;
  readonly resume: boolean;
  readonly speed: number | null;
  readonly emission: EmissionSettings;
}

async function newJob(flags: Record<string, unknown>): Promise<PlannedJob> {
  const base = await scenarioFromFlags(flags);
  const output = outputFromFlags(flags);
  const refused = output.sink.filter((s) => !STREAM_SINKS.has(s));
  if (refused.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`sink: ${refused.join(', ')} cannot take a stream (use duckdb, postgres, mqtt, nats, stage, snowflake, snowflake-insert, snowflake-stage or stdout)`]);
  }
  const speed = flags.speed === undefined ? 1 : parseSpeed(String(flags.speed));
  const now = Date.now();
  const fromText = flags.from === undefined ? 'now' : String(flags.from);
  const duration = flags.duration === undefined ? null : parseDuration(String(flags.duration));
  const { scenario, window } = streamPlan(base, parseInstant(fromText, now), duration, fromText.trim().toLowerCase() === 'now');
  const emission = resolveEmission(scenario.emissionPattern, {
    ...(flags.missingRate !== undefined ? { missingRate: flags.missingRate } : {}),
    ...(flags.lateRate !== undefined ? { lateRate: flags.lateRate } : {}),
    ...(flags.outOfOrderRate !== undefined ? { outOfOrderRate: flags.outOfOrderRate } : {}),
    ...(flags.duplicateRate !== undefined ? { duplicateRate: flags.duplicateRate } : {}),
  });
  const batchRows = flags.batchRows === undefined ? undefined : Number(flags.batchRows);
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows >= 1 && batchRows <= 1_000_000)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`batch-rows "${String(flags.batchRows)}" must be a whole number from 1 to 1,000,000`]);
  }
  const record = startedRecord({
    jobId: newJobId(),
    kind: 'stream',
    scenario: scenarioToInput(scenario),
    output,
    stream: {
      fromUtc: new Date(window.fromUtcMs).toISOString(),
      toUtc: duration === null ? null : new Date(window.toUtcMs).toISOString(),
      speed,
      fromNow: fromText.trim().toLowerCase() === 'now',
    },
    emission: { ...emission, ...(batchRows !== undefined ? { batchRows } : {}) },
  });
  return { record, resume: false, speed, emission };
}

async function resumedJob(store: JobStore, jobId: string): Promise<PlannedJob> {
  const previous = await store.load(jobId);
  if (previous.kind !== 'stream') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, 'is a batch job; only stream jobs resume']);
  if (previous.status === 'running') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is still running (process ${previous.pid}); stop it first with forge stop ${jobId}`]);
  if (previous.status === 'completed') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, 'completed; there is nothing to resume']);
  const { batchRows: _ignored, ...rates } = previous.emission ?? {};
  const pattern = resolveScenario(previous.scenario).emissionPattern;
  const emission = resolveEmission(pattern, { missingRate: rates.missingRate, lateRate: rates.lateRate, outOfOrderRate: rates.outOfOrderRate, duplicateRate: rates.duplicateRate });
  // The tables hold the job's first part: the sinks append.
  const output: OutputOptions = parseOutputOptions({ ...previous.output, append: true });
  return { record: { ...previous, output, status: 'running', pid: process.pid }, resume: true, speed: previous.stream!.speed, emission };
}

async function runJob(store: JobStore, job: PlannedJob, flags: Record<string, unknown>): Promise<void> {
  const { record: first, speed, emission } = job;
  const scenario = resolveScenario(first.scenario);
  const window = { fromUtcMs: Date.parse(first.stream!.fromUtc), toUtcMs: first.stream!.toUtc ? Date.parse(first.stream!.toUtc) : streamPlan(scenario, Date.parse(first.stream!.fromUtc), null, false).window.toUtcMs };
  const health = new SinkHealth();
  const sinks = createSinks(first.output, {
    onStatus: (event) => {
      health.update(event);
      process.stderr.write(`forge: sink ${event.sink} ${event.state}${event.error ? ` (${event.error}); retrying with backoff` : ''}\n`);
    },
  });
  let record = first;
  await store.save(record);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const printLive = process.stderr.isTTY ? (s: StreamStats): void => void process.stderr.write(`\r${liveLine(s)}   `) : undefined;
  let saving = Promise.resolve();
  try {
    const batchRows = typeof first.emission?.batchRows === 'number' ? first.emission.batchRows : undefined;
    const summary = await runStreamJob({
      scenario,
      window,
      speed,
      emission,
      sinks,
      jobId: first.jobId,
      ...(!job.resume && first.stream!.fromNow ? { clockStartUtcMs: Date.now() } : {}),
      resume: job.resume,
      ...(job.resume && first.stats.checkpoint !== undefined ? { resumeAfterTick: first.stats.checkpoint } : {}),
      signal: controller.signal,
      health,
      ...(batchRows !== undefined ? { maxBatchRows: batchRows } : {}),
      onStats: (stats) => {
        printLive?.(stats);
        record = updatedRecord(record, stats);
        saving = saving.then(() => store.save(record)).catch(() => undefined);
      },
    });
    await saving;
    record = updatedRecord(record, summary.stats, summary.status);
    await store.save(record);
    if (printLive) process.stderr.write('\n');
    const out = first.output.sink.includes('stdout') ? process.stderr : process.stdout;
    out.write(flags.json === true ? `${JSON.stringify({ jobId: first.jobId, status: summary.status, stats: summary.stats, sinks: summary.sinks })}\n` : summaryText(first.jobId, summary.status, summary.stats));
  } catch (error) {
    await saving;
    await store.save(updatedRecord(record, record.stats, 'failed', error instanceof Error ? error.message : String(error))).catch(() => undefined);
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function liveLine(s: StreamStats): string {
  const sinks = s.sinks.map((k) => `${k.sink} ${k.committed.toLocaleString('en-US')}${k.state === 'degraded' ? ' DEGRADED' : ''}`).join(', ');
  return `${s.simulatedUtc?.slice(0, 19) ?? ''} | ${s.delivered.toLocaleString('en-US')} delivered, ${formatRate(s.rowsPerSecond)} rows/s | ${sinks} | latency p50 ${s.latencyMs?.p50 ?? 0} p99 ${s.latencyMs?.p99 ?? 0} ms`;
}

function summaryText(jobId: string, status: string, s: StreamStats): string {
  const lines = [
    `${status === 'completed' ? 'Streamed' : 'Stopped after'} ${s.delivered.toLocaleString('en-US')} readings (${s.generated.toLocaleString('en-US')} generated; ${s.late} late, ${s.backfilled} backfilled, ${s.outOfOrder} out of order, ${s.duplicates} duplicates)`,
    `  job ${jobId}: ${s.seconds.toFixed(2)} s, ${formatRate(s.rowsPerSecond)} rows/s (sustained ${formatRate(s.sustainedRowsPerSecond)}), latency emission -> commit p50 ${s.latencyMs?.p50} ms, p95 ${s.latencyMs?.p95} ms, p99 ${s.latencyMs?.p99} ms`,
    `  checkpoint tick ${s.checkpoint}; complete through ${s.completeThroughUtc}`,
    ...s.sinks.map((k) => `  ${k.sink}: ${k.committed.toLocaleString('en-US')} rows committed${k.state === 'degraded' ? ` (degraded: ${k.lastError ?? ''})` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}
