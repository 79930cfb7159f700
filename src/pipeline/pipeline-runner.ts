import type { StageStore } from '../stage/stage-store.js';
import { sleep } from '../util/backoff.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { refreshGold } from './gold-refresh.js';
import { ensurePipelineSchema } from './pipeline-schema.js';
import { refreshSilver, silverWatermark } from './silver-refresh.js';
import { loadStage, type LoadSummary } from './stage-loader.js';

/** One pass of the pipeline: what was loaded into bronze and what the refresh of silver and gold did. */
export interface PipelineRun {
  /** The refresh's id in `pipeline_refresh_history`, or null when there was nothing to refresh (nothing recorded). */
  readonly refreshId: number | null;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly load: LoadSummary;
  readonly bronzeRows: number;
  readonly silverRows: number;
  readonly goldHours: number;
  readonly goldDays: number;
  /**
   * Transformers of the hours this pass refreshed that have no rating (no transformer file of the stage named them):
   * gold took 25 kVA for them (gold_transformer_hourly.nameplate_source = 'DEFAULT_25_KVA').
   */
  readonly unratedTransformers: number;
  /**
   * Freshness of what this refresh published: its end minus the oldest emission time (header.emitted_at, else the
   * file's landing time) of the readings it added to silver and gold; null when it added none.
   */
  readonly lagMs: number | null;
}

export const DEFAULT_TARGET_LAG_MS = 10_000;

export interface PassOptions {
  readonly signal?: AbortSignal;
  /** Bronze ids typed into silver at a time (silver-refresh.ts, SILVER_CHUNK_ROWS by default). */
  readonly silverChunkRows?: number;
}

/**
 * One pass: loads the stage's new files into bronze and silver (a batch of files a transaction: bronze, silver and the
 * silver watermark move together), then refreshes gold in one transaction with the refresh's statistics row (and
 * silver from any bronze it has not read yet): a crash leaves gold as it was, and the next pass recomputes it for
 * every silver row the crashed pass added.
 */
export async function runPipelineOnce(warehouse: Warehouse, store: StageStore, options: PassOptions = {}): Promise<PipelineRun> {
  const started = Date.now();
  await ensurePipelineSchema(warehouse);
  // The pass's refresh: the loads type each batch's good lines into silver with it. A pass that dies before its
  // history row leaves silver rows with this id and no gold; the next pass takes the same id, so its gold covers them.
  const refreshId = (await warehouse.number(`SELECT coalesce(max(refresh_id), 0) FROM pipeline_refresh_history`)) + 1;
  const watermark = await silverWatermark(warehouse);
  const load = await loadStage(warehouse, store, { ...options, refreshId });
  await warehouse.run('BEGIN TRANSACTION');
  try {
    // Bronze that is not in silver yet (loaded by an older version, or without a refresh) is typed from bronze.
    await refreshSilver(warehouse, refreshId, options.silverChunkRows);
    const silver = {
      bronzeRows: await warehouse.number(`SELECT count(*) FROM bronze_ami WHERE bronze_id > $1 AND bronze_id <= $2`, [watermark, await silverWatermark(warehouse)]),
      silverRows: await warehouse.number(`SELECT count(*) FROM silver_ami WHERE refresh_id = $1`, [refreshId]),
    };
    const gold = silver.silverRows > 0 ? await refreshGold(warehouse, refreshId) : { hours: 0, days: 0, unratedTransformers: 0 };
    const finished = Date.now();
    const oldest = await warehouse.number(
      `SELECT coalesce(epoch_ms(min(coalesce(s.emitted_at, h.landed_at, s.loaded_at))), -1)
       FROM silver_ami s LEFT JOIN stage_load_history h USING (file_name) WHERE s.refresh_id = $1`,
      [refreshId],
    );
    const lagMs = oldest >= 0 ? Math.max(0, finished - oldest) : null;
    const recorded = load.loaded.length + load.quarantined.length > 0 || silver.bronzeRows > 0 || silver.silverRows > 0;
    if (recorded) {
      await warehouse.run(
        `INSERT INTO pipeline_refresh_history VALUES ($1, make_timestamptz($2::BIGINT * 1000), make_timestamptz($3::BIGINT * 1000), $4, $5, $6, $7, $8, $9, $10, $11)`,
        [refreshId, started, finished, load.loaded.length, load.quarantined.length, silver.bronzeRows, silver.silverRows, gold.hours, gold.days, finished - started, lagMs],
      );
    }
    await warehouse.run('COMMIT');
    return {
      refreshId: recorded ? refreshId : null,
      startedAt: new Date(started).toISOString(),
      durationMs: finished - started,
      load,
      bronzeRows: silver.bronzeRows,
      silverRows: silver.silverRows,
      goldHours: gold.hours,
      goldDays: gold.days,
      unratedTransformers: gold.unratedTransformers,
      lagMs,
    };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export interface WatchOptions {
  /**
   * Target lag: passes start every quarter of it (a slow pass delays the next, never overlaps it), so a reading is in
   * gold within about this long of its file landing: a file waits at most a quarter lag for the next pass.
   */
  readonly targetLagMs?: number;
  readonly signal: AbortSignal;
  readonly onRun?: (run: PipelineRun) => void;
  /** A pass that failed (the stage unreachable, a refresh error): reported, and the next pass tries again. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Runs the pipeline every `targetLagMs / 4` (from one pass's start to the next) until the signal fires (the pass under
 * way finishes first). A failed pass changes nothing (files and refreshes are transactions) and is tried again at the
 * next tick, like a pipe that keeps running through an outage of its stage; without `onError` the error ends the loop.
 */
export async function watchPipeline(warehouse: Warehouse, store: StageStore, options: WatchOptions): Promise<number> {
  const period = watchPeriodMs(options.targetLagMs ?? DEFAULT_TARGET_LAG_MS);
  let runs = 0;
  while (!options.signal.aborted) {
    const started = Date.now();
    try {
      const run = await runPipelineOnce(warehouse, store, { signal: options.signal });
      runs++;
      options.onRun?.(run);
    } catch (e) {
      if (!options.onError) throw e;
      options.onError(e);
    }
    await sleep(Math.max(0, period - (Date.now() - started)), options.signal);
  }
  return runs;
}

/** Time between the starts of two passes for a target lag: a quarter of it (at least 50 ms). */
export const watchPeriodMs = (targetLagMs: number): number => Math.max(50, targetLagMs / 4);
