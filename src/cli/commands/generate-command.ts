import type { Command } from 'commander';
import { newJobId, runBatchJob, type BatchJobSummary } from '../../jobs/batch-job.js';
import { JobStore, startedRecord, updatedRecord } from '../../jobs/job-store.js';
import { createSinks } from '../../jobs/sink-factory.js';
import { emittedMeters, expectedRows, scenarioToInput, type Scenario } from '../../scenario/scenario.js';
import { shardText } from '../../scenario/shard.js';
import { formatRate, progressReporter } from '../progress-reporter.js';
import { addOutputFlags, outputFromFlags } from '../output-flags.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';

export function registerGenerateCommand(program: Command): void {
  addOutputFlags(addScenarioFlags(program.command('generate').description('generate a batch of readings into one or more sinks')))
    .option('--workers <n>', 'generation worker threads (default: cores - 1, leaving one to the sinks; 0 = the main thread, the default below 1M rows)')
    .option('--batch-size <rows>', 'rows per generated batch (output is identical whatever the size)')
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const scenario = await scenarioFromFlags(flags, undefined, process.env, { shardNeedsStart: true });
      const output = outputFromFlags(flags);
      const sinks = createSinks(output);
      // With the stdout sink the readings own stdout; the summary goes to stderr.
      const summaryStream = output.sink.includes('stdout') ? process.stderr : process.stdout;
      const progress = progressReporter();
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const store = new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
      let record = startedRecord({ jobId: newJobId(), kind: 'batch', scenario: scenarioToInput(scenario), output, stream: null, emission: null });
      await store.save(record);
      let summary: BatchJobSummary;
      try {
        summary = await runBatchJob({
          jobId: record.jobId,
          scenario,
          sinks,
          signal: controller.signal,
          onProgress: progress.update,
          ...(output.workers !== undefined ? { workers: output.workers } : {}),
          ...(output.batchSize !== undefined ? { unitRows: output.batchSize } : {}),
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await store.save(updatedRecord(record, record.stats, 'failed', message)).catch(() => undefined);
        throw error;
      } finally {
        progress.stop();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      record = updatedRecord(
        record,
        {
          generated: summary.rows,
          delivered: summary.rows,
          rowsPerSecond: Math.round(summary.rowsPerSecond),
          sinks: summary.sinks.map((s) => ({ sink: s.sink, committed: s.rows, state: 'ok' as const })),
        },
        summary.status,
      );
      await store.save(record);
      summaryStream.write(flags.json === true ? `${JSON.stringify(summaryJson(summary, scenario))}\n` : summaryText(summary, scenario));
    });
}

function summaryJson(summary: BatchJobSummary, scenario: Scenario): Record<string, unknown> {
  return {
    jobId: summary.jobId,
    status: summary.status,
    rows: summary.rows,
    expectedRows: expectedRows(scenario),
    seconds: Number(summary.seconds.toFixed(3)),
    rowsPerSecond: Math.round(summary.rowsPerSecond),
    files: summary.sinks.flatMap((s) => s.outputs),
    sinks: summary.sinks,
    scenario,
  };
}

function summaryText(summary: BatchJobSummary, scenario: Scenario): string {
  const lines = [
    `${summary.status === 'completed' ? 'Generated' : 'Stopped after'} ${summary.rows.toLocaleString('en-US')} readings ` +
      `(${meterText(scenario)} x ${scenario.days} days from ${scenario.start} at ${scenario.intervalMinutes} min, ${scenario.area}, seed ${scenario.seed})`,
    `  job ${summary.jobId}: ${summary.seconds.toFixed(2)} s, ${formatRate(summary.rowsPerSecond)} rows/s`,
    ...summary.sinks.map((s) => `  ${s.sink}: ${s.rows.toLocaleString('en-US')} rows -> ${s.outputs.length <= 3 ? s.outputs.join(', ') : `${s.outputs.length} files in ${commonDir(s.outputs)}`}`),
  ];
  return `${lines.join('\n')}\n`;
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
