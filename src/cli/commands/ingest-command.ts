import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_TARGET_LAG_MS, runPipelineOnce, watchPeriodMs, watchPipeline, type PipelineRun } from '../../pipeline/pipeline-runner.js';
import { sweepStaleDownloadDirs } from '../../pipeline/download-dir.js';
import { changeText, pipelineStatus } from '../../pipeline/pipeline-status.js';
import { PIPELINE_SETTINGS } from '../../pipeline/pipeline-settings.js';
import type { LoadSummary } from '../../pipeline/stage-loader.js';
import { writeStatusFile } from '../../pipeline/status-file.js';
import { openStageStore } from '../../stage/open-stage-store.js';
import type { S3StageOptions } from '../../stage/s3-stage-store.js';
import { parseStageLocation } from '../../stage/stage-location.js';
import type { StageStore } from '../../stage/stage-store.js';
import { parseDuration } from '../../stream/stream-window.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { Warehouse } from '../../warehouse/warehouse.js';
import { INTERRUPTED_EXIT_CODE, stopOnSignals } from '../stop-on-signals.js';
import { commandSummary } from '../command-list.js';

export const DEFAULT_PIPELINE_PATH = './forge-data/pipeline.duckdb';

interface IngestFlags {
  stage?: string;
  out: string;
  watch?: boolean;
  lag?: string;
  s3Endpoint?: string;
  s3Region?: string;
  json?: boolean;
}

const n = (v: number): string => v.toLocaleString('en-US');

/** The stage store of `--stage` with the S3 flags (shared with `forge pipeline status`). */
export function stageStoreFromFlags(flags: { stage?: string; s3Endpoint?: string; s3Region?: string }): StageStore {
  if (!flags.stage) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stage: --stage <file:///dir|s3://bucket/prefix> is required']);
  const location = parseStageLocation(flags.stage);
  if (location.kind === 'file' && (flags.s3Endpoint !== undefined || flags.s3Region !== undefined)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stage: --s3-endpoint and --s3-region apply to an s3:// stage only']);
  }
  if (flags.s3Endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(flags.s3Endpoint)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`s3Endpoint: "${flags.s3Endpoint}" is not an http(s) URL`]);
  }
  const s3: S3StageOptions = {
    ...(flags.s3Endpoint !== undefined ? { endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3Region !== undefined ? { region: flags.s3Region } : {}),
  };
  return openStageStore(location, s3);
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description(commandSummary('ingest'))
    .option('--stage <location>', 'the stage: file:///dir, a directory, or s3://bucket/prefix')
    .option('--out <path>', 'the pipeline database (DuckDB file, created if absent)', DEFAULT_PIPELINE_PATH)
    .option('--watch', 'keep polling the stage (a pass every quarter of --lag) until Ctrl-C or SIGTERM')
    .option('--lag <duration>', 'target lag with --watch: data is in gold within about this long of landing (e.g. 10s, 1m)', '10s')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS or $AWS_ENDPOINT_URL_S3)')
    .option('--s3-region <region>', 'S3 region (default: $AWS_REGION or us-east-1)')
    .option('--json', 'print the summary (with --watch: one line per pass) as JSON')
    .action(async (flags: IngestFlags) => {
      const targetLagMs = flags.lag === undefined ? DEFAULT_TARGET_LAG_MS : parseDuration(flags.lag);
      const store = stageStoreFromFlags(flags);
      // Downloads of loaders killed outright (kill -9) are removed before this one adds its own.
      await sweepStaleDownloadDirs();
      try {
        await store.prepare();
        const out = resolve(flags.out);
        await mkdir(dirname(out), { recursive: true });
        const warehouse = await openPipeline(out);
        try {
          if (!flags.watch) {
            // A signal ends the run after the file under way (each file is a transaction) and the pass removes its
            // downloads; the exit code says it was interrupted.
            const stop = stopOnSignals();
            try {
              const run = await runPipelineOnce(warehouse, store, { signal: stop.signal });
              warnChanged(run.load);
              process.stdout.write(flags.json ? `${JSON.stringify(run)}\n` : runText(run, store.description, out));
            } finally {
              stop.release();
            }
            if (stop.signal.aborted) process.exitCode = INTERRUPTED_EXIT_CODE;
            return;
          }
          await watch(warehouse, store, out, targetLagMs, flags.json === true);
        } finally {
          warehouse.close();
        }
      } finally {
        store.close();
      }
    });
}

async function watch(warehouse: Warehouse, store: StageStore, out: string, targetLagMs: number, json: boolean): Promise<void> {
  const stop = stopOnSignals();
  if (!json) process.stderr.write(`forge: ingesting ${store.description} into ${out} every ${watchPeriodMs(targetLagMs) / 1000} s (target lag ${targetLagMs / 1000} s); Ctrl-C stops\n`);
  const totals = { passes: 0, failed: 0, files: 0, quarantined: 0, rejected: 0, silverRows: 0 };
  let writing = Promise.resolve();
  try {
    await watchPipeline(warehouse, store, {
      targetLagMs,
      signal: stop.signal,
      onRun: (run) => {
        totals.passes++;
        totals.files += run.load.loaded.length;
        totals.quarantined += run.load.quarantined.length;
        totals.silverRows += run.silverRows;
        totals.rejected += run.load.rejected;
        warnChanged(run.load);
        if (run.refreshId !== null || run.load.deferred.length > 0) process.stdout.write(json ? `${JSON.stringify(run)}\n` : passLine(run));
        writing = writing.then(async () => writeStatusFile(out, await pipelineStatus(warehouse, store))).catch(() => undefined);
      },
      onError: (error) => {
        totals.failed++;
        process.stderr.write(`forge: ingest pass failed (${errorText(error)}); trying again in ${watchPeriodMs(targetLagMs) / 1000} s\n`);
      },
    });
    await writing;
  } finally {
    stop.release();
  }
  // Watching ends only on a signal; like a stream without --duration, it is then a job stopped, not one finished.
  if (stop.signal.aborted) process.exitCode = INTERRUPTED_EXIT_CODE;
  if (!json) process.stdout.write(`Stopped after ${n(totals.passes)} passes${totals.failed > 0 ? ` (${n(totals.failed)} failed)` : ''}: ${n(totals.files)} files loaded, ${n(totals.quarantined)} quarantined, ${n(totals.rejected)} lines rejected, ${n(totals.silverRows)} readings into silver\n`);
}

/** Opens (creating) the pipeline database; one process at a time: another holding it is FORGE_ERR_SINK_CONNECT. */
async function openPipeline(path: string): Promise<Warehouse> {
  try {
    return await Warehouse.open(path, { ...PIPELINE_SETTINGS });
  } catch (e) {
    const reason = errorText(e);
    if (/lock/i.test(reason)) throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['pipeline', path, `${reason} (another forge ingest runs on this database?)`], { cause: e });
    throw e;
  }
}

/** A warning for each file found changed in the stage after it was loaded (once per change). */
function warnChanged(load: LoadSummary): void {
  for (const c of load.changed) {
    process.stderr.write(
      `forge: warning: ${c.key} changed in the stage after it was loaded (${changeText(c)}); it is not loaded again: stage files are immutable (as for Snowpipe), land new data under a new key\n`,
    );
  }
}

function passLine(run: PipelineRun): string {
  const lag = run.lagMs === null ? '' : `, lag ${(run.lagMs / 1000).toFixed(1)} s`;
  const deferred = run.load.deferred.map((f) => `\n  deferred ${f.key}: ${f.error}`).join('');
  return `${run.startedAt} refresh ${run.refreshId ?? '-'}: ${n(run.load.loaded.length)} files (${n(run.load.quarantined.length)} quarantined), ${n(run.load.rejected)} lines rejected, ${n(run.bronzeRows)} bronze rows, ${n(run.silverRows)} new readings, ${n(run.goldHours)} gold hours, ${run.durationMs} ms${lag}${deferred}\n`;
}

function runText(run: PipelineRun, stage: string, out: string): string {
  const { load } = run;
  const lines = [
    `Ingested ${stage} into ${out}`,
    `  files: ${n(load.listed)} listed, ${n(load.loaded.length)} loaded, ${n(load.quarantined.length)} quarantined, ${n(load.skipped.length)} skipped, ${n(load.alreadyInHistory)} already in the load history`,
    `  rows: ${n(load.rows)} into bronze, ${n(load.rejected)} lines rejected, ${n(run.silverRows)} new readings in silver (of ${n(run.bronzeRows)} bronze rows read), ${n(run.goldHours)} hour(s) and ${n(run.goldDays)} day(s) refreshed in gold, ${run.durationMs} ms`,
    ...load.quarantined.map((f) => `  QUARANTINED ${f.key}: ${f.error}`),
    ...(run.unratedTransformers > 0
      ? [`  ${n(run.unratedTransformers)} transformer(s) without a rating (no raw/transformers file names them): gold loading took 25 kVA for them (nameplate_source = 'DEFAULT_25_KVA')`]
      : []),
    ...load.loaded.filter((f) => f.rejected > 0).slice(0, 20).map((f) => `  REJECTED ${n(f.rejected)} line(s) of ${f.key} (its ${n(f.rows)} good lines loaded; forge pipeline status and the stage_rejects table say why)`),
    ...load.deferred.map((f) => `  deferred (download failed, tried again next run) ${f.key}: ${f.error}`),
    ...load.skipped.slice(0, 20).map((f) => `  skipped ${f.key}: ${f.reason}`),
    ...(load.skipped.length > 20 ? [`  ... and ${n(load.skipped.length - 20)} more skipped`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
