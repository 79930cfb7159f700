import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseStageKey } from '../stage/stage-keys.js';
import type { StageStore } from '../stage/stage-store.js';
import { ForgeError } from '../util/forge-error.js';
import { Warehouse } from '../warehouse/warehouse.js';
import { GOLD_TABLES, type GoldTable } from './pipeline-schema.js';
import { skipReason } from './stage-loader.js';

export interface RefreshRecord {
  readonly refreshId: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly filesLoaded: number;
  readonly filesQuarantined: number;
  readonly bronzeRows: number;
  readonly silverRows: number;
  readonly goldHours: number;
  readonly goldDays: number;
  readonly durationMs: number;
  readonly lagMs: number | null;
}

export interface PipelineStatus {
  readonly database: string;
  /** The stage listed, or null when none was given (then landed/pending are null). */
  readonly stage: string | null;
  readonly files: {
    /** Stage files of ours (key layout, NDJSON) in the stage. */
    readonly landed: number | null;
    readonly loaded: number;
    readonly quarantined: number;
    /** Landed and not yet in the load history. */
    readonly pending: number | null;
    /** Files in the stage the loader does not take (foreign keys, other formats). */
    readonly skipped: number | null;
    /** Loaded files that changed in the stage since (another size or ETag): never loaded again, see `changed`. */
    readonly changed: number;
  };
  readonly rows: {
    readonly bronze: number;
    /** Bronze rows silver has not read yet. */
    readonly bronzePending: number;
    readonly silver: number;
    readonly gold: Readonly<Record<GoldTable, number>>;
  };
  /**
   * Gold transformer loading: transformer-hours, how many peaked over the transformer's nameplate, and how many took
   * the 25 kVA default for want of a rating (no raw/transformers file named the transformer).
   */
  readonly transformerLoading: { readonly transformers: number; readonly hours: number; readonly overNameplate: number; readonly unratedHours: number };
  /**
   * Now minus the oldest emission time (else landing time) of data not yet in gold: bronze rows above the watermark,
   * silver rows of a pass that died before its gold, and pending stage files (their key's first emission). 0 when
   * everything landed is in gold.
   */
  readonly lagMs: number;
  readonly lastRefresh: RefreshRecord | null;
  /** The most recent quarantined files with their errors (at most 20). */
  readonly quarantined: readonly { readonly file: string; readonly error: string }[];
  /** Lines rejected by the reading checks: how many in all, and the most recent (at most 20) with file, line and reason. */
  readonly rejects: {
    readonly total: number;
    readonly recent: readonly { readonly file: string; readonly line: number; readonly reason: string }[];
  };
  /** Files changed in the stage after they were loaded (at most 20, most recent first). */
  readonly changed: readonly { readonly file: string; readonly loadedSize: number; readonly size: number; readonly loadedEtag: string | null; readonly etag: string | null; readonly detectedAt: string }[];
  readonly at: string;
}

/** The pipeline's state from its database (and the stage's listing when a store is given). */
export async function pipelineStatus(warehouse: Warehouse, store: StageStore | null, now = Date.now()): Promise<PipelineStatus> {
  const tables = new Set((await warehouse.rows(`SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()`)).map((r) => String(r.table_name)));
  if (!tables.has('stage_load_history') || !tables.has('silver_ami')) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${warehouse.path} (no pipeline tables: run forge ingest first)`]);
  const history = await warehouse.rows(`SELECT file_name, status FROM stage_load_history`);
  const inHistory = new Set(history.map((r) => String(r.file_name)));
  const loaded = history.filter((r) => r.status === 'LOADED').length;
  let landed: number | null = null;
  let pending: number | null = null;
  let skipped: number | null = null;
  let oldestPendingMs = Number.POSITIVE_INFINITY;
  if (store) {
    landed = 0;
    pending = 0;
    skipped = 0;
    for (const file of await store.list('')) {
      // Label and transformer files are loaded like readings files; anything else the loader skips.
      if (skipReason(file.key)) {
        skipped++;
        continue;
      }
      landed++;
      if (!inHistory.has(file.key)) {
        pending++;
        const first = parseStageKey(file.key)?.firstEmittedMs ?? file.modifiedMs;
        oldestPendingMs = Math.min(oldestPendingMs, first, file.modifiedMs);
      }
    }
  }
  const watermark = await warehouse.number(`SELECT coalesce(max(value), 0) FROM pipeline_state WHERE name = 'silver_bronze_watermark'`);
  const bronzePending = await warehouse.number(`SELECT count(*) FROM bronze_ami WHERE bronze_id > $1`, [watermark]);
  if (bronzePending > 0) {
    const oldest = await warehouse.number(
      `SELECT epoch_ms(min(coalesce(TRY_CAST(b.raw->>'$.header.emitted_at' AS TIMESTAMPTZ), h.landed_at, b.loaded_at)))
       FROM bronze_ami b LEFT JOIN stage_load_history h USING (file_name) WHERE b.bronze_id > $1`,
      [watermark],
    );
    oldestPendingMs = Math.min(oldestPendingMs, oldest);
  }
  // Silver rows of a pass that died after its loads (their refresh has no history row): in silver, not yet in gold.
  const unpublished = await warehouse.number(
    `SELECT coalesce(epoch_ms(min(coalesce(s.emitted_at, h.landed_at, s.loaded_at))), -1)
     FROM silver_ami s LEFT JOIN stage_load_history h USING (file_name)
     WHERE s.refresh_id > (SELECT coalesce(max(refresh_id), 0) FROM pipeline_refresh_history)`,
  );
  if (unpublished >= 0) oldestPendingMs = Math.min(oldestPendingMs, unpublished);
  const gold = {} as Record<GoldTable, number>;
  for (const table of GOLD_TABLES) gold[table] = await warehouse.number(`SELECT count(*) FROM ${table}`);
  const last = await warehouse.rows(
    `SELECT refresh_id, strftime(started_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS started_at, strftime(finished_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS finished_at,
            files_loaded, files_quarantined, bronze_rows, silver_rows, gold_hours, gold_days, duration_ms, lag_ms
     FROM pipeline_refresh_history ORDER BY refresh_id DESC LIMIT 1`,
  );
  const quarantined = await warehouse.rows(`SELECT file_name, error FROM stage_load_history WHERE status = 'QUARANTINED' ORDER BY loaded_at DESC, file_name LIMIT 20`);
  // A database written before rejects and changed files existed has neither table until its next forge ingest.
  const rejectsTotal = tables.has('stage_rejects') ? await warehouse.number(`SELECT count(*) FROM stage_rejects`) : 0;
  const rejects = tables.has('stage_rejects')
    ? await warehouse.rows(`SELECT file_name, line, reason FROM stage_rejects ORDER BY rejected_at DESC, file_name, line LIMIT 20`)
    : [];
  const changedTotal = tables.has('stage_changed_files') ? await warehouse.number(`SELECT count(*) FROM stage_changed_files`) : 0;
  const changed = tables.has('stage_changed_files')
    ? await warehouse.rows(
        `SELECT file_name, loaded_size, size, loaded_etag, etag, strftime(detected_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS detected_at
         FROM stage_changed_files ORDER BY detected_at DESC, file_name LIMIT 20`,
      )
    : [];
  // A database from before ratings reached gold (read-only here, so not migrated) took 25 kVA for every hour.
  const rated = (await warehouse.number(`SELECT count(*) FROM duckdb_columns() WHERE table_name = 'gold_transformer_hourly' AND column_name = 'nameplate_source'`)) > 0;
  const [loading] = await warehouse.rows(
    `SELECT count(DISTINCT transformer_id) AS transformers, count(*) AS hours, count(*) FILTER (WHERE over_nameplate) AS over,
            ${rated ? `count(*) FILTER (WHERE nameplate_source <> 'FLEET')` : 'count(*)'} AS unrated FROM gold_transformer_hourly`,
  );
  const r = last[0];
  return {
    database: warehouse.path,
    stage: store?.description ?? null,
    files: { landed, loaded, quarantined: history.length - loaded, pending, skipped, changed: changedTotal },
    rows: { bronze: await warehouse.number(`SELECT count(*) FROM bronze_ami`), bronzePending, silver: await warehouse.number(`SELECT count(*) FROM silver_ami`), gold },
    transformerLoading: { transformers: Number(loading!.transformers), hours: Number(loading!.hours), overNameplate: Number(loading!.over), unratedHours: Number(loading!.unrated) },
    lagMs: Number.isFinite(oldestPendingMs) ? Math.max(0, now - oldestPendingMs) : 0,
    lastRefresh: r
      ? {
          refreshId: Number(r.refresh_id), startedAt: String(r.started_at), finishedAt: String(r.finished_at), filesLoaded: Number(r.files_loaded),
          filesQuarantined: Number(r.files_quarantined), bronzeRows: Number(r.bronze_rows), silverRows: Number(r.silver_rows),
          goldHours: Number(r.gold_hours), goldDays: Number(r.gold_days), durationMs: Number(r.duration_ms), lagMs: r.lag_ms === null ? null : Number(r.lag_ms),
        }
      : null,
    quarantined: quarantined.map((q) => ({ file: String(q.file_name), error: String(q.error) })),
    rejects: { total: rejectsTotal, recent: rejects.map((r) => ({ file: String(r.file_name), line: Number(r.line), reason: String(r.reason) })) },
    changed: changed.map((c) => ({
      file: String(c.file_name), loadedSize: Number(c.loaded_size), size: Number(c.size),
      loadedEtag: c.loaded_etag === null ? null : String(c.loaded_etag), etag: c.etag === null ? null : String(c.etag), detectedAt: String(c.detected_at),
    })),
    at: new Date(now).toISOString(),
  };
}

/**
 * Opens an existing pipeline database read-only. A missing file is FORGE_ERR_OUTPUT_NOT_FOUND (nothing is created);
 * a file a running `forge ingest --watch` holds is FORGE_ERR_SINK_CONNECT (DuckDB allows one writing process).
 */
export async function openPipelineReadOnly(path: string): Promise<Warehouse> {
  const absolute = resolve(path);
  if (!statSync(absolute, { throwIfNoEntry: false })?.isFile()) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [absolute]);
  try {
    return await Warehouse.open(absolute, { access_mode: 'READ_ONLY' });
  } catch (e) {
    const reason = (e as Error).message;
    if (/lock/i.test(reason)) throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['pipeline', absolute, reason], { cause: e });
    throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${absolute} (${reason})`], { cause: e });
  }
}

/** What changed in a file after it was loaded: its size, else its ETag, else its modification time. */
export function changeText(c: { readonly loadedSize: number; readonly size: number; readonly loadedEtag: string | null; readonly etag: string | null }): string {
  if (c.size !== c.loadedSize) return `size ${c.loadedSize.toLocaleString('en-US')} -> ${c.size.toLocaleString('en-US')} bytes`;
  if (c.etag !== null && c.loadedEtag !== null && c.etag !== c.loadedEtag) return `ETag ${c.loadedEtag} -> ${c.etag}`;
  return 'rewritten (modification time changed, same size)';
}
