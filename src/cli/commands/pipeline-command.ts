import { resolve } from 'node:path';
import type { Command } from 'commander';
import { changeText, openPipelineReadOnly, pipelineStatus, type PipelineStatus } from '../../pipeline/pipeline-status.js';
import { readStatusFile, statusFilePath } from '../../pipeline/status-file.js';
import type { StageStore } from '../../stage/stage-store.js';
import { isForgeError } from '../../util/forge-error.js';
import { DEFAULT_PIPELINE_PATH, stageStoreFromFlags } from './ingest-command.js';
import { commandSummary } from '../command-list.js';

interface StatusFlags {
  out: string;
  stage?: string;
  s3Endpoint?: string;
  s3Region?: string;
  json?: boolean;
}

const n = (v: number | null): string => (v === null ? '-' : v.toLocaleString('en-US'));

export function registerPipelineCommand(program: Command): void {
  const pipeline = program.command('pipeline').description(commandSummary('pipeline'));
  pipeline
    .command('status')
    .description('files landed, loaded and quarantined, rows in bronze, silver and gold, the current lag and the last refresh')
    .option('--out <path>', 'the pipeline database', DEFAULT_PIPELINE_PATH)
    .option('--stage <location>', 'also list the stage (file:///dir or s3://bucket/prefix): files landed and pending')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint of an s3:// stage')
    .option('--s3-region <region>', 'S3 region of an s3:// stage')
    .option('--json', 'print the status as JSON')
    .action(async (flags: StatusFlags) => {
      const status = await readStatus(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
    });
  pipeline.exitOverride();
}

/** The status from the database; while a watcher holds the database, the status file it writes after every pass. */
async function readStatus(flags: StatusFlags): Promise<PipelineStatus & { source: string }> {
  const out = resolve(flags.out);
  let warehouse;
  try {
    warehouse = await openPipelineReadOnly(out);
  } catch (e) {
    const written = isForgeError(e) && e.code === 'FORGE_ERR_SINK_CONNECT' ? await readStatusFile(out) : null;
    if (!written) throw e;
    return { ...written, source: `${statusFilePath(out)} (a running forge ingest --watch holds the database; its last pass)` };
  }
  let store: StageStore | null = null;
  try {
    store = flags.stage === undefined ? null : stageStoreFromFlags(flags);
    return { ...(await pipelineStatus(warehouse, store)), source: out };
  } finally {
    store?.close();
    warehouse.close();
  }
}

/** The share of transformer-hours whose peak exceeded the transformer's nameplate, and what the nameplates were. */
function loadingText(l: PipelineStatus['transformerLoading']): string {
  const share = l.hours > 0 ? `${((100 * l.overNameplate) / l.hours).toFixed(1)}%` : '-';
  const ratings = l.unratedHours === 0 ? 'every nameplate from the fleet\'s ratings' : `${n(l.unratedHours)} of them at an assumed 25 kVA (no transformer file rated them)`;
  return `  transformer loading: ${n(l.hours)} transformer-hours of ${n(l.transformers)} transformers, ${n(l.overNameplate)} (${share}) over nameplate; ${ratings}`;
}

function statusText(s: PipelineStatus & { source: string }): string {
  const gold = Object.entries(s.rows.gold).map(([table, rows]) => `${table} ${n(rows)}`).join(', ');
  const last = s.lastRefresh;
  const lines = [
    `Pipeline ${s.database}${s.stage ? ` <- ${s.stage}` : ''} at ${s.at}${s.source === s.database ? '' : `\n  (from ${s.source})`}`,
    `  files: ${n(s.files.landed)} landed, ${n(s.files.loaded)} loaded, ${n(s.files.quarantined)} quarantined, ${n(s.files.pending)} pending, ${n(s.files.skipped)} skipped, ${n(s.files.changed ?? 0)} changed after loading`,
    `  rejected lines: ${n(s.rejects?.total ?? 0)}${(s.rejects?.total ?? 0) > 0 ? ' (in the stage_rejects table: file, line, reason, raw)' : ''}`,
    `  rows: bronze ${n(s.rows.bronze)} (${n(s.rows.bronzePending)} not yet in silver), silver ${n(s.rows.silver)}`,
    `  gold: ${gold}`,
    ...(s.transformerLoading ? [loadingText(s.transformerLoading)] : []),
    `  lag: ${(s.lagMs / 1000).toFixed(1)} s${s.stage === null ? ' (bronze only: pass --stage to count files not loaded yet)' : ''}`,
    last
      ? `  last refresh ${last.refreshId} at ${last.finishedAt}: ${n(last.filesLoaded)} files, ${n(last.bronzeRows)} bronze rows, ${n(last.silverRows)} new readings, ${n(last.goldHours)} gold hours, ${last.durationMs} ms${last.lagMs === null ? '' : `, lag ${(last.lagMs / 1000).toFixed(1)} s`}`
      : '  no refresh yet',
    ...s.quarantined.map((q) => `  QUARANTINED ${q.file}: ${q.error}`),
    ...(s.changed ?? []).map((c) => `  CHANGED after loading (not loaded again) ${c.file}: ${changeText(c)}`),
    ...(s.rejects?.recent ?? []).map((r) => `  REJECTED ${r.file} line ${r.line}: ${r.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}
