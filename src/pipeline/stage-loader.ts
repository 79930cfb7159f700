import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLabelKey } from '../stage/label-keys.js';
import { parseStageKey } from '../stage/stage-keys.js';
import { parseTransformerKey } from '../stage/transformer-keys.js';
import type { StageFile, StageStore } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { createDownloadDir } from './download-dir.js';
import { loadLabelFile } from './label-loader.js';
import { loadTransformerFile } from './transformer-loader.js';
import { ensurePipelineSchema } from './pipeline-schema.js';
import { checkedLinesSql } from './reading-checks.js';

export interface LoadedFile {
  readonly key: string;
  /** Lines loaded into bronze. */
  readonly rows: number;
  /** Lines that failed the reading checks: in `stage_rejects`, not in bronze. */
  readonly rejected: number;
}
/** A file that changed in the stage after it was loaded (same key, another size or ETag): not loaded again. */
export interface ChangedFile {
  readonly key: string;
  readonly loadedSize: number;
  readonly size: number;
  readonly loadedEtag: string | null;
  readonly etag: string | null;
  readonly modifiedAt: string;
}

/** A rejected line keeps this much of its text in `stage_rejects` (enough to see what was wrong). */
export const REJECTED_RAW_CHARS = 4_096;
export interface QuarantinedFile {
  readonly key: string;
  readonly error: string;
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

/** A Parquet stage file's rows (the message's five groups as STRUCT columns) as the JSON messages they were. */
function parquetLines(path: string): string {
  return `SELECT row_number() OVER () AS line,
      to_json(struct_pack(header := header, meter := meter, reading := reading, quality := quality, metadata := metadata)) AS raw
    FROM read_parquet(${quoteLiteral(path)})`;
}

/**
 * A flat CSV stage file's rows as head-end messages (the shape bronze keeps), built by DuckDB. Each text field
 * becomes the JSON value the NDJSON line would hold (a number, true or false, a string), and a field that is not
 * what its column needs stays a JSON string, so the checks reject it with its text ("yes" for is_outage) instead of
 * reading it as missing or, worse, as something else (DuckDB casts 't' and '1' to true). The message id is rebuilt
 * from the key; CSV carries no emission time. Line 1 is the header, so a row's line is its number plus one.
 */
function csvLines(path: string): string {
  const empty = (c: string): string => `${c} IS NULL OR ${c} = ''`;
  const text = (c: string): string => `to_json(${c})`;
  const num = (c: string): string => `CASE WHEN ${empty(c)} THEN NULL::JSON WHEN TRY_CAST(${c} AS DOUBLE) IS NOT NULL THEN to_json(TRY_CAST(${c} AS DOUBLE)) ELSE to_json(${c}) END`;
  const int = (c: string): string => `CASE WHEN ${empty(c)} THEN NULL::JSON WHEN regexp_full_match(${c}, '-?[0-9]{1,18}') THEN to_json(CAST(${c} AS BIGINT)) ELSE to_json(${c}) END`;
  const bool = (c: string): string => `CASE WHEN ${empty(c)} THEN NULL::JSON WHEN ${c} = 'true' THEN 'true'::JSON WHEN ${c} = 'false' THEN 'false'::JSON ELSE to_json(${c}) END`;
  return `SELECT row_number() OVER () + 1 AS line, to_json(struct_pack(
      header := struct_pack(message_id := meter_id || ':' || CAST(epoch(TRY_CAST(reading_ts_utc AS TIMESTAMPTZ)) AS BIGINT),
        source_system := 'AMI_HEAD_END', message_type := 'METER_READING', schema_version := '1.0'),
      meter := struct_pack(meter_id := ${text('meter_id')}, transformer_id := ${text('transformer_id')}, circuit_id := ${text('circuit_id')},
        substation_id := ${text('substation_id')}, service_area := ${text('service_area')}, customer_segment := ${text('customer_segment')},
        latitude := ${num('latitude')}, longitude := ${num('longitude')}),
      reading := struct_pack(reading_ts := ${text('reading_ts')}, reading_ts_utc := ${text('reading_ts_utc')}, interval_minutes := ${int('interval_minutes')},
        usage_kwh := ${num('usage_kwh')}, voltage := ${num('voltage')}, power_factor := ${num('power_factor')}, temperature_c := ${num('temperature_c')}),
      quality := struct_pack(is_outage := ${bool('is_outage')}, data_quality := ${text('data_quality')}, event_type := to_json(NULLIF(event_type, ''))),
      metadata := struct_pack(emission_pattern := ${text('emission_pattern')}, generator := 'flux-data-forge')
    )) AS raw
    FROM read_csv(${quoteLiteral(path)}, header = true, all_varchar = true, compression = '${path.endsWith('.gz') ? 'gzip' : 'none'}')`;
}

/** An NDJSON stage file's lines as JSON (blank lines are skipped, so a line number counts the non-blank lines). */
function ndjsonLines(path: string): string {
  return `SELECT row_number() OVER () AS line, json AS raw
    FROM read_ndjson_objects(${quoteLiteral(path)}, format = 'newline_delimited', compression = '${path.endsWith('.gz') ? 'gzip' : 'uncompressed'}')`;
}

/** A file's content is unusable: the file is quarantined. */
class BadFile extends Error {}

/**
 * Loads a stage's new files into `bronze_ami`, exactly once (Snowpipe-like): a file already in `stage_load_history`
 * is never read again, and each file's bronze rows are committed in one transaction with its history row and its
 * rejects, so a crash leaves a file wholly loaded (and recorded) or not at all, and a restarted loader picks up where
 * this one stopped.
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
export async function loadStage(warehouse: Warehouse, store: StageStore, options: { signal?: AbortSignal } = {}): Promise<LoadSummary> {
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
    try {
      for (const [i, file] of fresh.entries()) {
        if (options.signal?.aborted) break;
        const label = parseLabelKey(file.key);
        const transformers = parseTransformerKey(file.key);
        const side = label ?? transformers;
        const path = join(dir, side ? `side-${i}.ndjson${side.gzip ? '.gz' : ''}` : `file-${i}.${parseStageKey(file.key)!.extension}`);
        try {
          await writeFile(path, await store.get(file.key));
        } catch (e) {
          deferred.push({ key: file.key, error: errorText(e) });
          continue;
        }
        const result = label
          ? await loadLabelFile(warehouse, file, path)
          : transformers
            ? await loadTransformerFile(warehouse, file, path)
            : await loadFile(warehouse, file, path);
        await rm(path, { force: true });
        if ('error' in result) quarantined.push(result);
        else if (side) loaded.push(result);
        else {
          loaded.push(result);
          rows += result.rows;
          rejected += result.rejected;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await warehouse.run(`DROP TABLE IF EXISTS stage_file`);
      await warehouse.run(`DROP TABLE IF EXISTS stage_checked`);
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

async function loadFile(warehouse: Warehouse, file: StageFile, path: string): Promise<LoadedFile | QuarantinedFile> {
  const firstEmittedMs = parseStageKey(file.key)!.firstEmittedMs;
  const history = (status: string, rows: number, rejected: number, error: string | null): Promise<void> =>
    warehouse.run(
      `INSERT INTO stage_load_history (file_name, size, status, rows, error, landed_at, first_emitted_at, loaded_at, rejected, etag, modified_ms)
       VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), make_timestamptz($7::BIGINT * 1000), now(), $8, $9, $6)`,
      [file.key, file.size, status, rows, error, Math.round(file.modifiedMs), Math.round(firstEmittedMs), rejected, file.etag ?? null],
    );
  try {
    // Reading the file happens outside the transaction: an error here is the file's content (gzip, JSON, Parquet).
    try {
      const lines = /\.csv(\.gz)?$/.test(path) ? csvLines(path) : path.endsWith('.parquet') ? parquetLines(path) : ndjsonLines(path);
      await warehouse.run(`CREATE OR REPLACE TEMP TABLE stage_file AS ${lines}`);
      await warehouse.run(`CREATE OR REPLACE TEMP TABLE stage_checked AS ${checkedLinesSql('stage_file')}`);
    } catch (e) {
      throw new BadFile(errorText(e).split(path).join(file.key).split('\n')[0]);
    }
  } catch (e) {
    if (!(e instanceof BadFile)) throw e;
    await history('QUARANTINED', 0, 0, e.message);
    return { key: file.key, error: e.message };
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    await warehouse.run(
      `INSERT INTO bronze_ami (raw, file_name, row_number, loaded_at) SELECT message, $1, line, now() FROM stage_checked WHERE reason IS NULL ORDER BY line`,
      [file.key],
    );
    await warehouse.run(
      `INSERT OR REPLACE INTO stage_rejects (file_name, line, reason, raw, rejected_at)
       SELECT $1, c.line, c.reason, left(CAST(f.raw AS VARCHAR), ${REJECTED_RAW_CHARS}), now() FROM stage_checked c JOIN stage_file f USING (line) WHERE c.reason IS NOT NULL`,
      [file.key],
    );
    const counts = await warehouse.rows(`SELECT count(*) FILTER (WHERE reason IS NULL) AS good, count(*) FILTER (WHERE reason IS NOT NULL) AS bad FROM stage_checked`);
    const rows = Number(counts[0]!.good);
    const rejected = Number(counts[0]!.bad);
    await history('LOADED', rows, rejected, null);
    await warehouse.run('COMMIT');
    return { key: file.key, rows, rejected };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
