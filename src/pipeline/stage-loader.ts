import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStageKey } from '../stage/stage-keys.js';
import type { StageFile, StageStore } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { ensurePipelineSchema } from './pipeline-schema.js';
import { missingRequiredSql, withMessage } from './reading-projection.js';

export interface LoadedFile {
  readonly key: string;
  readonly rows: number;
}
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
  /** Bronze rows added. */
  readonly rows: number;
}

/** The reason a stage file is not loaded, or null for an NDJSON, CSV or Parquet stage file. */
export function skipReason(key: string): string | null {
  const parsed = parseStageKey(key);
  if (!parsed) return 'not a stage key (raw/ami/date=YYYY-MM-DD/hour=HH/ami_stream_<ms>_<writer>_<seq>.json[.gz])';
  if (!['json', 'json.gz', 'csv', 'csv.gz', 'parquet'].includes(parsed.extension)) return `format ${parsed.extension} is not loaded`;
  return null;
}

/** A Parquet stage file's rows (the message's five groups as STRUCT columns) as the JSON messages they were. */
function parquetAsMessages(path: string): string {
  return `SELECT row_number() OVER () AS row_number,
      to_json(struct_pack(header := header, meter := meter, reading := reading, quality := quality, metadata := metadata)) AS raw
    FROM read_parquet(${quoteLiteral(path)})`;
}

/**
 * A flat CSV stage file's rows as head-end messages (the shape bronze keeps), built by DuckDB: the CSV's text fields
 * typed back (numbers, booleans, an empty event type as null), the message id rebuilt from the key. CSV carries no
 * emission time.
 */
function csvAsMessages(path: string): string {
  const text = (c: string): string => c;
  const num = (c: string, type: string): string => `TRY_CAST(${c} AS ${type})`;
  return `SELECT row_number() OVER () AS row_number, to_json(struct_pack(
      header := struct_pack(message_id := meter_id || ':' || CAST(epoch(TRY_CAST(reading_ts_utc AS TIMESTAMPTZ)) AS BIGINT),
        source_system := 'AMI_HEAD_END', message_type := 'METER_READING', schema_version := '1.0'),
      meter := struct_pack(meter_id := ${text('meter_id')}, transformer_id := transformer_id, circuit_id := circuit_id, substation_id := substation_id,
        service_area := service_area, customer_segment := customer_segment, latitude := ${num('latitude', 'DOUBLE')}, longitude := ${num('longitude', 'DOUBLE')}),
      reading := struct_pack(reading_ts := reading_ts, reading_ts_utc := reading_ts_utc, interval_minutes := ${num('interval_minutes', 'INTEGER')},
        usage_kwh := ${num('usage_kwh', 'DOUBLE')}, voltage := ${num('voltage', 'DOUBLE')}, power_factor := ${num('power_factor', 'DOUBLE')},
        temperature_c := ${num('temperature_c', 'DOUBLE')}),
      quality := struct_pack(is_outage := ${num('is_outage', 'BOOLEAN')}, data_quality := data_quality, event_type := NULLIF(event_type, '')),
      metadata := struct_pack(emission_pattern := emission_pattern, generator := 'flux-data-forge')
    )) AS raw
    FROM read_csv(${quoteLiteral(path)}, header = true, all_varchar = true, compression = '${path.endsWith('.gz') ? 'gzip' : 'none'}')`;
}

/** A file's content is unusable: the file is quarantined. */
class BadFile extends Error {}

/**
 * Loads a stage's new files into `bronze_ami`, exactly once (Snowpipe-like): a file already in `stage_load_history`
 * is never read again, and each file's bronze rows are committed in one transaction with its history row, so a crash
 * leaves a file wholly loaded (and recorded) or not at all, and a restarted loader picks up where this one stopped.
 * A file DuckDB cannot read (bad gzip, malformed JSON) or with a line lacking the reading's required fields is
 * quarantined: a history row with the error, no bronze rows; the loader carries on with the next file.
 * Each file is downloaded (StageStore.get) to a temporary file that DuckDB's `read_ndjson_objects` reads; a download
 * that fails (the store's error, e.g. S3 unreachable) defers the file to the next pass instead of quarantining it.
 */
export async function loadStage(warehouse: Warehouse, store: StageStore, options: { signal?: AbortSignal } = {}): Promise<LoadSummary> {
  await ensurePipelineSchema(warehouse);
  const listing = await store.list('');
  const known = new Set((await warehouse.rows(`SELECT file_name FROM stage_load_history`)).map((r) => String(r.file_name)));
  const loaded: LoadedFile[] = [];
  const quarantined: QuarantinedFile[] = [];
  const skipped: SkippedFile[] = [];
  const deferred: QuarantinedFile[] = [];
  let alreadyInHistory = 0;
  let rows = 0;
  const fresh: StageFile[] = [];
  for (const file of listing) {
    if (known.has(file.key)) alreadyInHistory++;
    else {
      const reason = skipReason(file.key);
      if (reason) skipped.push({ key: file.key, reason });
      else fresh.push(file);
    }
  }
  if (fresh.length > 0) {
    const dir = await mkdtemp(join(tmpdir(), 'forge-stage-'));
    try {
      for (const [i, file] of fresh.entries()) {
        if (options.signal?.aborted) break;
        const path = join(dir, `file-${i}.${parseStageKey(file.key)!.extension}`);
        try {
          await writeFile(path, await store.get(file.key));
        } catch (e) {
          deferred.push({ key: file.key, error: errorText(e) });
          continue;
        }
        const result = await loadFile(warehouse, file, path);
        await rm(path, { force: true });
        if ('error' in result) quarantined.push(result);
        else {
          loaded.push(result);
          rows += result.rows;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await warehouse.run(`DROP TABLE IF EXISTS stage_file`);
    }
  }
  return { listed: listing.length, alreadyInHistory, loaded, quarantined, skipped, deferred, rows };
}

async function loadFile(warehouse: Warehouse, file: StageFile, path: string): Promise<LoadedFile | QuarantinedFile> {
  const firstEmittedMs = parseStageKey(file.key)!.firstEmittedMs;
  const history = (status: string, rows: number, error: string | null): Promise<void> =>
    warehouse.run(
      `INSERT INTO stage_load_history (file_name, size, status, rows, error, landed_at, first_emitted_at, loaded_at)
       VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), make_timestamptz($7::BIGINT * 1000), now())`,
      [file.key, file.size, status, rows, error, Math.round(file.modifiedMs), Math.round(firstEmittedMs)],
    );
  try {
    // Reading the file happens outside the transaction: an error here is the file's content (gzip, JSON).
    try {
      const csv = /\.csv(\.gz)?$/.test(path);
      await warehouse.run(
        csv
          ? `CREATE OR REPLACE TEMP TABLE stage_file AS ${csvAsMessages(path)}`
          : path.endsWith('.parquet')
            ? `CREATE OR REPLACE TEMP TABLE stage_file AS ${parquetAsMessages(path)}`
            : `CREATE OR REPLACE TEMP TABLE stage_file AS
             SELECT row_number() OVER () AS row_number, json AS raw
             FROM read_ndjson_objects(${quoteLiteral(path)}, format = 'newline_delimited', compression = '${path.endsWith('.gz') ? 'gzip' : 'uncompressed'}')`,
      );
    } catch (e) {
      throw new BadFile(errorText(e).split(path).join(file.key).split('\n')[0]);
    }
    const bad = await warehouse.rows(
      `SELECT row_number, missing FROM (SELECT row_number, ${missingRequiredSql()} AS missing FROM ${withMessage('stage_file')}) WHERE len(missing) > 0 ORDER BY row_number LIMIT 1`,
    );
    if (bad.length > 0) {
      const missing = bad[0]!.missing as string[];
      throw new BadFile(`line ${String(bad[0]!.row_number)}: missing or invalid ${missing.join(', ')}`);
    }
  } catch (e) {
    if (!(e instanceof BadFile)) throw e;
    await history('QUARANTINED', 0, e.message);
    return { key: file.key, error: e.message };
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    await warehouse.run(
      `INSERT INTO bronze_ami (raw, file_name, row_number, loaded_at) SELECT raw, $1, row_number, now() FROM stage_file ORDER BY row_number`,
      [file.key],
    );
    const rows = await warehouse.number(`SELECT count(*) FROM stage_file`);
    await history('LOADED', rows, null);
    await warehouse.run('COMMIT');
    return { key: file.key, rows };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
