import type { Command } from 'commander';
import { runBatchJob, type BatchJobSummary } from '../../jobs/batch-job.js';
import { parseOutputOptions } from '../../jobs/output-options.js';
import { createSinks } from '../../jobs/sink-factory.js';
import { expectedRows, type Scenario } from '../../scenario/scenario.js';
import { formatRate, progressReporter } from '../progress-reporter.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';

export function registerGenerateCommand(program: Command): void {
  addScenarioFlags(program.command('generate').description('generate a batch of readings into one or more sinks'))
    .option('--sink <names>', 'duckdb (default), parquet, csv, ndjson, stdout, postgres, mqtt, nats; several separated by commas (dual write)')
    .option('--out <path>', 'DuckDB file (duckdb sink) or directory (file sinks); default under ./forge-data')
    .option('--shape <shape>', 'flat (default) or nested (AMI head-end message) for ndjson, parquet and stdout')
    .option('--append', 'add to an existing table or directory instead of refusing')
    .option('--pg-url <url>', 'Postgres connection URL for the postgres sink (default: $FORGE_PG_URL, $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)')
    .option('--pg-table <name>', 'table for the postgres sink, name or schema.name (default ami_readings)')
    .option('--mqtt-url <url>', 'MQTT broker for the mqtt sink (default: $FORGE_MQTT_URL or mqtt://127.0.0.1:1883)')
    .option('--nats-url <url>', 'NATS server (JetStream) for the nats sink (default: $FORGE_NATS_URL or nats://127.0.0.1:4222)')
    .option('--workers <n>', 'generation worker threads (default: cores - 1, leaving one to the sinks; 0 = the main thread, the default below 1M rows)')
    .option('--batch-size <rows>', 'rows per generated batch (output is identical whatever the size)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const scenario = await scenarioFromFlags(flags);
      const output = parseOutputOptions({
        ...(flags.sink !== undefined ? { sink: flags.sink } : {}),
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        ...(flags.shape !== undefined ? { shape: flags.shape } : {}),
        append: flags.append === true,
        ...(flags.pgUrl !== undefined ? { pgUrl: flags.pgUrl } : {}),
        ...(flags.pgTable !== undefined ? { pgTable: flags.pgTable } : {}),
        ...(flags.mqttUrl !== undefined ? { mqttUrl: flags.mqttUrl } : {}),
        ...(flags.natsUrl !== undefined ? { natsUrl: flags.natsUrl } : {}),
        ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
      });
      const sinks = createSinks(output);
      // With the stdout sink the readings own stdout; the summary goes to stderr.
      const summaryStream = output.sink.includes('stdout') ? process.stderr : process.stdout;
      const progress = progressReporter();
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let summary: BatchJobSummary;
      try {
        summary = await runBatchJob({
          scenario,
          sinks,
          signal: controller.signal,
          onProgress: progress.update,
          ...(output.workers !== undefined ? { workers: output.workers } : {}),
          ...(output.batchSize !== undefined ? { unitRows: output.batchSize } : {}),
        });
      } finally {
        progress.stop();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
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
      `(${scenario.meters.toLocaleString('en-US')} meters x ${scenario.days} days from ${scenario.start} at ${scenario.intervalMinutes} min, ${scenario.area}, seed ${scenario.seed})`,
    `  job ${summary.jobId}: ${summary.seconds.toFixed(2)} s, ${formatRate(summary.rowsPerSecond)} rows/s`,
    ...summary.sinks.map((s) => `  ${s.sink}: ${s.rows.toLocaleString('en-US')} rows -> ${s.outputs.length <= 3 ? s.outputs.join(', ') : `${s.outputs.length} files in ${commonDir(s.outputs)}`}`),
  ];
  return `${lines.join('\n')}\n`;
}

function commonDir(paths: readonly string[]): string {
  const first = paths[0] ?? '';
  let prefix = first;
  for (const p of paths) while (!p.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('/') + 1) || '.';
}
