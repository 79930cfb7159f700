import type { Command } from 'commander';
import { prepareJob, resumedRecord, streamJobRecord, type StreamSettings } from '../../jobs/job-plan.js';
import { JobStore, updatedRecord, type JobRecord, type JobStats } from '../../jobs/job-store.js';
import type { StreamStats } from '../../jobs/stream-job.js';
import { ForgeError } from '../../util/forge-error.js';
import { loadScenarioFleet } from '../../warehouse/fleet-file.js';
import { addOutputFlags, outputFromFlags } from '../output-flags.js';
import { formatRate } from '../progress-reporter.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';
import { INTERRUPTED_EXIT_CODE, stopOnSignals } from '../stop-on-signals.js';
import { commandSummary } from '../command-list.js';

export function registerStreamCommand(program: Command): void {
  addOutputFlags(addScenarioFlags(program.command('stream').description(commandSummary('stream'))))
    .option('--from <time>', 'first interval, ISO 8601 (e.g. 2026-11-29T14:00:00Z) or now (default: now, one interval back)')
    .option('--duration <d>', 'simulated time to stream, e.g. 90m, 6h, 2d (default: until stopped, at most 366 days)')
    .option('--speed <n|max>', 'simulated seconds per second: 1 = real time (default), 3600 = an hour a second, max = as fast as the sinks go')
    .option('--missing-rate <share>', 'share of readings missing at their time and backfilled later (pattern default)')
    .option('--late-rate <share>', 'share of readings arriving 1 to 8 intervals late (pattern default)')
    .option('--out-of-order-rate <share>', "share of readings arriving after the meter's next one (pattern default)")
    .option('--duplicate-rate <share>', 'share of readings delivered twice (pattern default)')
    .option('--batch-rows <n>', 'rows per delivered batch at most (whole ticks of one simulated millisecond), default 50000 (200000 at --speed max; 50000 with the stage sink)')
    .option('--workers <n>', "threads making the stream's simulated days ahead of it (default: 1 from 200000 readings a day over a window of several days, else 0 = the stream's own thread; either way the same readings)")
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
}

async function newJob(flags: Record<string, unknown>): Promise<PlannedJob> {
  const base = await scenarioFromFlags(flags);
  const output = outputFromFlags(flags);
  const settings: StreamSettings = {
    ...(flags.from !== undefined ? { from: String(flags.from) } : {}),
    ...(flags.duration !== undefined ? { duration: String(flags.duration) } : {}),
    ...(flags.speed !== undefined ? { speed: String(flags.speed) } : {}),
    missingRate: flags.missingRate,
    lateRate: flags.lateRate,
    outOfOrderRate: flags.outOfOrderRate,
    duplicateRate: flags.duplicateRate,
    batchRows: flags.batchRows,
  };
  return { record: streamJobRecord(base, output, settings), resume: false };
}

async function resumedJob(store: JobStore, jobId: string): Promise<PlannedJob> {
  return { record: resumedRecord(await store.load(jobId), `forge stop ${jobId}`, 'stream'), resume: true };
}

async function runJob(store: JobStore, job: PlannedJob, flags: Record<string, unknown>): Promise<void> {
  const { record: first } = job;
  await loadScenarioFleet(first.scenario);
  const prepared = await prepareJob(first, {
    onStatus: (event) => void process.stderr.write(`forge: sink ${event.sink} ${event.state}${event.error ? ` (${event.error}); retrying with backoff` : ''}\n`),
  });
  let record = first;
  await store.save(record);
  const stop = stopOnSignals();
  const printLive = process.stderr.isTTY ? (s: JobStats): void => void process.stderr.write(`\r${liveLine(s)}   `) : undefined;
  let saving = Promise.resolve();
  try {
    const summary = await prepared.run({
      resume: job.resume,
      signal: stop.signal,
      onStats: (stats) => {
        printLive?.(stats);
        record = updatedRecord(record, stats);
        saving = saving.then(() => store.save(record)).catch(() => undefined);
      },
    });
    if (summary.kind !== 'stream') throw new ForgeError('FORGE_ERR_JOB_STATE', [first.jobId, 'is a batch job']);
    await saving;
    record = updatedRecord(record, summary.stats, summary.status);
    await store.save(record);
    if (printLive) process.stderr.write('\n');
    const out = first.output.sink.includes('stdout') ? process.stderr : process.stdout;
    out.write(flags.json === true ? `${JSON.stringify({ jobId: first.jobId, status: summary.status, stats: summary.stats, sinks: summary.sinks })}\n` : summaryText(first.jobId, summary.status, summary.stats));
    // A stream without --duration ends only this way, and still has not finished: --resume continues it.
    if (summary.status === 'stopped') process.exitCode = INTERRUPTED_EXIT_CODE;
  } catch (error) {
    await saving;
    await store.save(updatedRecord(record, record.stats, 'failed', error instanceof Error ? error.message : String(error))).catch(() => undefined);
    throw error;
  } finally {
    stop.release();
  }
}

function liveLine(s: JobStats): string {
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
