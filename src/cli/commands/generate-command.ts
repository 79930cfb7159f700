import { Command } from 'commander';
import { loadScenarioFleet } from '../../warehouse/fleet-file.js';
import { runBatchJob, type BatchJobSummary, type BatchProgress, type LabelSummary } from '../../jobs/batch-job.js';
import { batchJobRecord, batchRunOptions, batchStats, resumedRecord } from '../../jobs/job-plan.js';
import { JobStore, updatedRecord, type JobRecord } from '../../jobs/job-store.js';
import { parseOutputOptions } from '../../jobs/output-options.js';
import { createSinks } from '../../jobs/sink-factory.js';
import { emittedMeters, expectedRows, type Scenario } from '../../scenario/scenario.js';
import { shardText } from '../../scenario/shard.js';
import { ForgeError } from '../../util/forge-error.js';
import { formatRate, progressReporter } from '../progress-reporter.js';
import { addOutputFlags, outputFromFlags } from '../output-flags.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';
import { INTERRUPTED_EXIT_CODE, stopOnSignals } from '../stop-on-signals.js';
import { commandSummary } from '../command-list.js';

/** How often a running batch job's record (with its checkpoint) is saved. */
const SAVE_EVERY_MS = 1_000;

/** The flags that describe a new job: with --resume the job's record says all of them. */
const JOB_FLAGS: readonly string[] = [
  ...addOutputFlags(addScenarioFlags(new Command())).options.map((o) => o.attributeName()),
  'workers',
  'batchSize',
].filter((k) => k !== 'onConflict');
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function registerGenerateCommand(program: Command): void {
  addOutputFlags(addScenarioFlags(program.command('generate').description(commandSummary('generate'))))
    .option('--workers <n>', 'generation worker threads (default: cores - 1, leaving one to the sinks; 0 = the main thread, the default below 1M rows)')
    .option('--batch-size <rows>', 'rows per generated batch (output is identical whatever the size)')
    .option('--resume <job>', 'complete an interrupted, stopped or failed batch job: exactly its scenario, nothing twice in a sink that keeps a checkpoint')
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const store = new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
      const resume = typeof flags.resume === 'string';
      const first = resume ? await resumedBatch(store, flags) : batchJobRecord(await scenarioFromFlags(flags, undefined, process.env, { shardNeedsStart: true }), outputFromFlags(flags));
      // A resumed job's fleet file is read again (and must be the one it ran with).
      if (resume) await loadScenarioFleet(first.scenario);
      const run = batchRunOptions(first, resume);
      const { scenario } = run;
      const output = first.output;
      const sinks = await createSinks(output);
      // With the stdout sink the readings own stdout; the summary goes to stderr.
      const summaryStream = output.sink.includes('stdout') ? process.stderr : process.stdout;
      const progress = progressReporter();
      const stop = stopOnSignals();
      let record = first;
      await store.save(record);
      // The checkpoint goes into the record as the job goes, so a killed job can be resumed from it (sinks that keep
      // their own checkpoint say how far they hold the job; the record's serves the others: at least once).
      let saving = Promise.resolve();
      let lastSave = 0;
      const onProgress = (p: BatchProgress): void => {
        progress.update(p);
        if (Date.now() - lastSave < SAVE_EVERY_MS) return;
        lastSave = Date.now();
        record = updatedRecord(record, batchStats(p.rows, p.generatedRows / Math.max(p.elapsedSeconds, 1e-3), p.checkpoint));
        const snapshot = record;
        saving = saving.then(() => store.save(snapshot)).catch(() => undefined);
      };
      let summary: BatchJobSummary;
      try {
        summary = await runBatchJob({ ...run, sinks, signal: stop.signal, onProgress });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await saving;
        await store.save(updatedRecord(record, record.stats, 'failed', message)).catch(() => undefined);
        throw error;
      } finally {
        progress.stop();
        stop.release();
      }
      await saving;
      record = updatedRecord(record, { ...batchStats(summary.rows, summary.rowsPerSecond, summary.checkpoint, summary.sinks), labels: summary.labels }, summary.status);
      await store.save(record);
      summaryStream.write(flags.json === true ? `${JSON.stringify(summaryJson(summary, scenario))}\n` : summaryText(summary, scenario));
      // Stopped by a signal: what was delivered is flushed and recorded, and the exit code says the job is not done.
      if (summary.status === 'stopped') process.exitCode = INTERRUPTED_EXIT_CODE;
    });
}

/** The record of the job --resume names, running again (resumedRecord's rules); no other job flag may be given. */
async function resumedBatch(store: JobStore, flags: Record<string, unknown>): Promise<JobRecord> {
  const jobId = flags.resume as string;
  // --no-stage-gzip's default (true) is not a flag given.
  const given = JOB_FLAGS.filter((k) => flags[k] !== undefined && !(k === 'stageGzip' && flags[k] === true) && !(k === 'append' && flags[k] !== true));
  if (given.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`resume: --resume takes the scenario, sinks and batch size from the job's record; drop ${given.map(flagName).join(', ')}`]);
  }
  const record = resumedRecord(await store.load(jobId), `forge stop ${jobId}`, 'batch');
  // A conflict policy is not part of the job: a resume refused by FORGE_ERR_CONFLICTING_ROWS can be given one.
  return flags.onConflict === undefined ? record : { ...record, output: parseOutputOptions({ ...record.output, onConflict: flags.onConflict }) };
}

function summaryJson(summary: BatchJobSummary, scenario: Scenario): Record<string, unknown> {
  return {
    jobId: summary.jobId,
    status: summary.status,
    rows: summary.rows,
    expectedRows: expectedRows(scenario),
    seconds: Number(summary.seconds.toFixed(3)),
    rowsPerSecond: Math.round(summary.rowsPerSecond),
    ...(summary.resumed ? { resumed: summary.resumed } : {}),
    files: summary.sinks.flatMap((s) => s.outputs),
    sinks: summary.sinks,
    labels: summary.labels,
    scenario,
  };
}

function summaryText(summary: BatchJobSummary, scenario: Scenario): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const resumed = summary.resumed;
  const lines = [
    `${summary.status === 'completed' ? (resumed ? 'Completed' : 'Generated') : 'Stopped after'} ${n(summary.rows)} readings ` +
      `(${meterText(scenario)} x ${scenario.days} days from ${scenario.start} at ${scenario.intervalMinutes} min, ${scenario.area}, seed ${scenario.seed})`,
    ...(resumed
      ? [`  resumed after batch ${resumed.after}: ${n(resumed.skippedRows)} readings already delivered, ${n(summary.rows - resumed.skippedRows)} generated now`]
      : []),
    `  job ${summary.jobId}: ${summary.seconds.toFixed(2)} s, ${formatRate(summary.rowsPerSecond)} rows/s`,
    ...summary.sinks.map(
      (s) =>
        `  ${s.sink}: ${n(s.rows)} rows${s.replaced ? ` (${n(s.replaced)} replaced)` : ''}${s.skipped ? ` (${n(s.skipped)} already there: skipped)` : ''} -> ` +
        `${s.outputs.length <= 3 ? s.outputs.join(', ') : `${s.outputs.length} files in ${commonDir(s.outputs)}`}`,
    ),
    labelText(summary.labels),
  ];
  return `${lines.join('\n')}\n`;
}

/** The ground truth in a line: windows per label type, and the anomaly rates achieved per meter-day. */
function labelText(labels: LabelSummary): string {
  const windows = Object.entries(labels.windows).filter(([, n]) => n > 0);
  const total = windows.reduce((sum, [, n]) => sum + n, 0);
  const rates = Object.entries(labels.achievedRates).map(([kind, r]) => `${kind} ${+r.toPrecision(2)}`);
  return `  labels: ${total.toLocaleString('en-US')} anomaly windows${windows.length > 0 ? ` (${windows.map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')})` : ''}; ` +
    `achieved per meter-day: ${rates.join(', ')}`;
}

/** The meters a job emitted: the fleet, or a shard's part of it. */
function meterText(scenario: Scenario): string {
  const { start, end } = emittedMeters(scenario);
  const fleet = `${scenario.meters.toLocaleString('en-US')} meters`;
  return scenario.shard ? `${(end - start).toLocaleString('en-US')} of ${fleet}, shard ${shardText(scenario.shard)},` : fleet;
}

function commonDir(paths: readonly string[]): string {
  const first = paths[0] ?? '';
  let prefix = first;
  for (const p of paths) while (!p.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('/') + 1) || '.';
}
