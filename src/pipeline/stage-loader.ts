import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLabelKey } from '../stage/label-keys.js';
import { parseStageKey } from '../stage/stage-keys.js';
import { parseTransformerKey } from '../stage/transformer-keys.js';
import type { StageFile, StageStore } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { createDownloadDir } from './download-dir.js';
import { loadLabelFile } from './label-loader.js';
import { loadTransformerFile } from './transformer-loader.js';
import { ensurePipelineSchema } from './pipeline-schema.js';
import { loadReadingFiles, type DownloadedFile, type LoadedFile, type QuarantinedFile } from './reading-file-load.js';

export type { LoadedFile, QuarantinedFile } from './reading-file-load.js';

/**
 * A batch of reading files loaded together holds at most this many files and this many bytes as stored (about
 * 400,000 readings of gzip NDJSON: several of DuckDB's row groups, so the check runs on every core, while a pass holds
 * the lines twice, as read and as checked, about 0.8 KB a reading).
 */
const MAX_BATCH_FILES = 256;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** A file that changed in the stage after it was loaded (same key, another size or ETag): not loaded again. */
export interface ChangedFile {
  readonly key: string;
  readonly loadedSize: number;
  readonly size: number;
  readonly loadedEtag: string | null;
  readonly etag: string | null;
  readonly modifiedAt: string;
}

export interface SkippedFile {
  readonly key: string;
  readonly reason: string;
}

export interface LoadSummary {
  /** Files the stage listed. */
  readonly listed: number;
  /** Files already in the load history (loaded or quarantined by an earlier run): not read again. */
  readonly alreadyInHistory: number;
  readonly loaded: readonly LoadedFile[];
  readonly quarantined: readonly QuarantinedFile[];
  /** Files that are not stage files of ours (key layout) or in a format the loader does not read; not recorded. */
  readonly skipped: readonly SkippedFile[];
  /** Files that could not be downloaded (the store failed, not the file): not recorded, tried again next pass. */
  readonly deferred: readonly QuarantinedFile[];
  /** Files in the load history that changed in the stage since, first seen in this pass (a warning each). */
  readonly changed: readonly ChangedFile[];
  /** Bronze rows added. */
  readonly rows: number;
  /** Lines rejected by the reading checks (into `stage_rejects`). */
  readonly rejected: number;
}

/**
 * The reason a stage file is not loaded, or null for an NDJSON, CSV or Parquet stage file, or for a side file the
 * stage sink lands beside the readings: labels (raw/labels, into anomaly_labels) and transformers (raw/transformers,
 * into ami_transformers).
 */
export function skipReason(key: string): string | null {
  if (parseLabelKey(key) || parseTransformerKey(key)) return null;
  const parsed = parseStageKey(key);
  if (!parsed) return 'not a stage key (raw/ami/date=YYYY-MM-DD/hour=HH/ami_stream_<ms>_<writer>_<seq>.json[.gz])';
  if (!['json', 'json.gz', 'csv', 'csv.gz', 'parquet'].includes(parsed.extension)) return `format ${parsed.extension} is not loaded`;
  return null;
}

export interface LoadOptions {
  readonly signal?: AbortSignal;
  /**
   * The pipeline pass's refresh: with it, a batch's good lines also go to silver with this refresh id, typed as the
   * checks read them, in the batch's transaction (reading-file-load.ts); without it only bronze is loaded.
   */
  readonly refreshId?: number;
}

/**
 * Loads a stage's new files into `bronze_ami`, exactly once (Snowpipe-like): a file already in `stage_load_history`
 * is never read again, and a file's bronze rows are committed in one transaction with its history row and its
 * rejects (files are loaded in batches, a transaction each: loadReadingFiles), so a crash leaves a file wholly loaded
 * (and recorded) or not at all, and a restarted loader picks up where this one stopped.
 * Every line is checked against the reading schema (reading-checks.ts) in one SQL pass: good lines go to bronze, bad
 * ones to `stage_rejects` with the file, line and reason; a file's good lines load whatever its bad ones. A file
 * DuckDB cannot read at all (bad gzip, malformed JSON, not Parquet) is quarantined: a history row with the error, no
 * bronze rows; the loader carries on with the next file.
 * A file in the history whose size or ETag (or, where the store has no ETag, modification time) is no longer what was
 * loaded has changed in place: it is not loaded again (Snowpipe treats stage files as immutable and does the same),
 * it is recorded in `stage_changed_files` and returned in `changed` when first seen, for the caller to warn.
 * Each file is downloaded (StageStore.get) to a pass's temporary directory (download-dir.ts), removed when the pass
 * ends; a download that fails (the store's error, e.g. S3 unreachable) defers the file to the next pass.
 */
export async function loadStage(warehouse: Warehouse, store: StageStore, options: LoadOptions = {}): Promise<LoadSummary> {
  await ensurePipelineSchema(warehouse);
  const listing = await store.list('');
  const known = new Map(
    (await warehouse.rows(`SELECT file_name, size, etag, coalesce(modified_ms, epoch_ms(landed_at)) AS modified_ms FROM stage_load_history`)).map((r) => [
      String(r.file_name),
      { size: Number(r.size), etag: r.etag === null ? null : String(r.etag), modifiedMs: r.modified_ms === null ? null : Number(r.modified_ms) },
    ]),
  );
  const loaded: LoadedFile[] = [];
  const quarantined: QuarantinedFile[] = [];
  const skipped: SkippedFile[] = [];
  const deferred: QuarantinedFile[] = [];
  const changed: ChangedFile[] = [];
  let alreadyInHistory = 0;
  let rows = 0;
  let rejected = 0;
  const fresh: StageFile[] = [];
  for (const file of listing) {
    const was = known.get(file.key);
    if (was) {
      alreadyInHistory++;
      const change = changeOf(file, was);
      if (change && (await recordChange(warehouse, file, was))) changed.push({ key: file.key, ...change });
    } else {
      const reason = skipReason(file.key);
      if (reason) skipped.push({ key: file.key, reason });
      else fresh.push(file);
    }
  }
  if (fresh.length > 0) {
    const dir = await createDownloadDir();
    // Reading files are downloaded and loaded in batches (loadReadingFiles: one read, one check, one transaction);
    // a side file first loads the batch gathered before it, so files load in the listing's order.
    let batch: DownloadedFile[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      const files = batch;
      batch = [];
      batchBytes = 0;
      for (const [i, result] of (await loadReadingFiles(warehouse, files, options.refreshId)).entries()) {
        await rm(files[i]!.path, { force: true });
        if ('error' in result) quarantined.push(result);
        else {
          loaded.push(result);
          rows += result.rows;
          rejected += result.rejected;
        }
      }
    };
    try {
      for (const [i, file] of fresh.entries()) {
        if (options.signal?.aborted) break;
        const label = parseLabelKey(file.key);
        const transformers = parseTransformerKey(file.key);
        const side = label ?? transformers;
        const path = join(dir, side ? `side-${i}.ndjson${side.gzip ? '.gz' : ''}` : `file-${i}.${parseStageKey(file.key)!.extension}`);
        if (side) await flush();
        try {
          await writeFile(path, await store.get(file.key));
        } catch (e) {
          deferred.push({ key: file.key, error: errorText(e) });
          continue;
        }
        if (!side) {
          batch.push({ file, path });
          batchBytes += file.size;
          if (batch.length >= MAX_BATCH_FILES || batchBytes >= MAX_BATCH_BYTES) await flush();
          continue;
        }
        const result = label ? await loadLabelFile(warehouse, file, path) : await loadTransformerFile(warehouse, file, path);
        await rm(path, { force: true });
        if ('error' in result) quarantined.push(result);
        else loaded.push(result);
      }
      if (!options.signal?.aborted) await flush();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { listed: listing.length, alreadyInHistory, loaded, quarantined, skipped, deferred, changed, rows, rejected };
}

/** How a listed file differs from what was loaded, or null when it is the same file. */
function changeOf(file: StageFile, was: { size: number; etag: string | null; modifiedMs: number | null }): Omit<ChangedFile, 'key'> | null {
  const etag = file.etag ?? null;
  const sizeChanged = file.size !== was.size;
  const etagChanged = etag !== null && was.etag !== null && etag !== was.etag;
  // Without ETags on either side (a local stage), a new modification time is the only sign of a same-size rewrite.
  const timeChanged = etag === null && was.etag === null && was.modifiedMs !== null && Math.round(file.modifiedMs) !== Math.round(was.modifiedMs);
  if (!sizeChanged && !etagChanged && !timeChanged) return null;
  return { loadedSize: was.size, size: file.size, loadedEtag: was.etag, etag, modifiedAt: new Date(file.modifiedMs).toISOString() };
}

/** Records a changed file; true when this state of it is new (first seen changed, or changed again since). */
async function recordChange(warehouse: Warehouse, file: StageFile, was: { size: number; etag: string | null }): Promise<boolean> {
  const etag = file.etag ?? null;
  const modified = Math.round(file.modifiedMs);
  const same = await warehouse.number(
    `SELECT count(*) FROM stage_changed_files WHERE file_name = $1 AND size = $2 AND etag IS NOT DISTINCT FROM $3 AND modified_ms = $4`,
    [file.key, file.size, etag, modified],
  );
  if (same > 0) return false;
  await warehouse.run(
    `INSERT OR REPLACE INTO stage_changed_files (file_name, loaded_size, loaded_etag, size, etag, modified_ms, detected_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())`,
    [file.key, was.size, was.etag, file.size, etag, modified],
  );
  return true;
}
