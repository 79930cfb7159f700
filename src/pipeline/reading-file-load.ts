import { parseStageKey } from '../stage/stage-keys.js';
import type { StageFile } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { checkedLinesSql, TYPED_COLUMNS } from './reading-checks.js';
import { insertSilver, setSilverWatermark, silverWatermark } from './silver-refresh.js';

/** A stage file of readings, downloaded to `path`. */
export interface DownloadedFile {
  readonly file: StageFile;
  readonly path: string;
}

export interface LoadedFile {
  readonly key: string;
  /** Lines loaded into bronze. */
  readonly rows: number;
  /** Lines that failed the reading checks: in `stage_rejects`, not in bronze. */
  readonly rejected: number;
}
export interface QuarantinedFile {
  readonly key: string;
  readonly error: string;
}

/** A rejected line keeps this much of its text in `stage_rejects` (enough to see what was wrong). */
export const REJECTED_RAW_CHARS = 4_096;

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

/** A downloaded file's lines (`line`, `raw` JSON) by its format. */
function linesOf(path: string): string {
  return /\.csv(\.gz)?$/.test(path) ? csvLines(path) : path.endsWith('.parquet') ? parquetLines(path) : ndjsonLines(path);
}

/** The files' content is unusable (bad gzip, malformed JSON, not Parquet): the message names the stage key. */
class BadFiles extends Error {}

/**
 * Loads stage files of readings into `bronze_ami` in one pass over all of them: DuckDB reads every file into one
 * table (`file_no`, `line`, `raw`), checks every line against the reading schema in one query (reading-checks.ts;
 * one query over many files runs on every core, where a file of 70,000 lines is one row group and one thread), and
 * one transaction writes the good lines to bronze (in file order, then line order: the bronze ids a file-by-file load
 * gives) and, with `refreshId`, to silver as the checks typed them (with the silver watermark), the bad ones to
 * `stage_rejects` and each file's `stage_load_history` row. A crash leaves all of them loaded and recorded or none.
 * A file DuckDB cannot read fails the whole read; the files are then loaded one at a time, so the bad one is
 * quarantined (a history row with the error, no bronze rows) and the others load.
 */
export async function loadReadingFiles(warehouse: Warehouse, files: readonly DownloadedFile[], refreshId?: number): Promise<(LoadedFile | QuarantinedFile)[]> {
  if (files.length === 0) return [];
  try {
    await stageLines(warehouse, files);
  } catch (e) {
    if (!(e instanceof BadFiles)) throw e;
    if (files.length > 1) {
      const results: (LoadedFile | QuarantinedFile)[] = [];
      for (const one of files) results.push(...(await loadReadingFiles(warehouse, [one], refreshId)));
      return results;
    }
    const { file } = files[0]!;
    await recordHistory(warehouse, file, 'QUARANTINED', 0, 0, e.message);
    return [{ key: file.key, error: e.message }];
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    // Bronze ids: after the largest so far, each file's lines after the lines of the files before it, so ids follow
    // (file, line) as a file-by-file load gives them, without sorting the lines (ids may skip: a rejected line's).
    const lastLines = new Map((await warehouse.rows(`SELECT file_no, max(line) AS last FROM stage_checked GROUP BY file_no`)).map((r) => [Number(r.file_no), Number(r.last)]));
    const lastId = await warehouse.number(`SELECT coalesce(max(bronze_id), 0) FROM bronze_ami`);
    let offset = lastId;
    const batch = files.map(({ file }, i) => {
      const row = `(${i}, ${quoteLiteral(file.key)}, ${offset})`;
      offset += lastLines.get(i) ?? 0;
      return row;
    });
    await warehouse.run(`CREATE OR REPLACE TEMP TABLE stage_batch AS SELECT * FROM (VALUES ${batch.join(', ')}) AS b(file_no, file_name, id_offset)`);
    await warehouse.run(
      `INSERT INTO bronze_ami (bronze_id, raw, file_name, row_number, loaded_at)
       SELECT b.id_offset + c.line, c.message, b.file_name, c.line, now() FROM stage_checked c JOIN stage_batch b USING (file_no) WHERE c.reason IS NULL`,
    );
    // Silver up to date with bronze (the usual case): the good lines go on to silver as the checks typed them, and the
    // watermark past them, in this transaction; otherwise the pass's silver refresh reads them from bronze.
    if (refreshId !== undefined && (await silverWatermark(warehouse)) === lastId) {
      const good = `FROM stage_checked c JOIN stage_batch b USING (file_no) WHERE c.reason IS NULL`;
      await insertSilver(warehouse, `SELECT ${TYPED_COLUMNS.map((c) => `c.${c}`).join(', ')}, now() AS loaded_at, b.file_name, b.id_offset + c.line AS bronze_id ${good}`, [], refreshId);
      await setSilverWatermark(warehouse, await warehouse.number(`SELECT coalesce(max(b.id_offset + c.line), ${lastId}) ${good}`));
    }
    await warehouse.run(
      `INSERT OR REPLACE INTO stage_rejects (file_name, line, reason, raw, rejected_at)
       SELECT b.file_name, c.line, c.reason, left(CAST(f.raw AS VARCHAR), ${REJECTED_RAW_CHARS}), now()
       FROM stage_checked c JOIN stage_file f USING (file_no, line) JOIN stage_batch b USING (file_no) WHERE c.reason IS NOT NULL`,
    );
    const counts = new Map(
      (
        await warehouse.rows(
          `SELECT file_no, count(*) FILTER (WHERE reason IS NULL) AS good, count(*) FILTER (WHERE reason IS NOT NULL) AS bad FROM stage_checked GROUP BY file_no`,
        )
      ).map((r) => [Number(r.file_no), { rows: Number(r.good), rejected: Number(r.bad) }]),
    );
    const results = files.map(({ file }, i): LoadedFile => ({ key: file.key, ...(counts.get(i) ?? { rows: 0, rejected: 0 }) }));
    for (const [i, { file }] of files.entries()) await recordHistory(warehouse, file, 'LOADED', results[i]!.rows, results[i]!.rejected, null);
    await warehouse.run('COMMIT');
    return results;
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    for (const table of ['stage_file', 'stage_checked', 'stage_batch']) await warehouse.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}

/** Reads every file's lines into `stage_file` and checks them into `stage_checked`; BadFiles when DuckDB cannot. */
async function stageLines(warehouse: Warehouse, files: readonly DownloadedFile[]): Promise<void> {
  const union = files.map(({ path }, i) => `SELECT ${i} AS file_no, line, raw FROM (${linesOf(path)})`).join('\nUNION ALL\n');
  try {
    // Reading happens outside the transaction: an error here is the files' content (gzip, JSON, Parquet).
    await warehouse.run(`CREATE OR REPLACE TEMP TABLE stage_file AS ${union}`);
    await warehouse.run(`CREATE OR REPLACE TEMP TABLE stage_checked AS ${checkedLinesSql('stage_file')}`);
  } catch (e) {
    let message = errorText(e).split('\n')[0]!;
    for (const { file, path } of files) message = message.split(path).join(file.key);
    throw new BadFiles(message);
  }
}

async function recordHistory(warehouse: Warehouse, file: StageFile, status: 'LOADED' | 'QUARANTINED', rows: number, rejected: number, error: string | null): Promise<void> {
  const firstEmittedMs = parseStageKey(file.key)!.firstEmittedMs;
  await warehouse.run(
    `INSERT INTO stage_load_history (file_name, size, status, rows, error, landed_at, first_emitted_at, loaded_at, rejected, etag, modified_ms)
     VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), make_timestamptz($7::BIGINT * 1000), now(), $8, $9, $6)`,
    [file.key, file.size, status, rows, error, Math.round(file.modifiedMs), Math.round(firstEmittedMs), rejected, file.etag ?? null],
  );
}
