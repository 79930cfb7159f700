import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { sweepStaleDownloadDirs } from '../pipeline/download-dir.js';
import { watchPipeline, type PipelineRun } from '../pipeline/pipeline-runner.js';
import { ensurePipelineSchema } from '../pipeline/pipeline-schema.js';
import { PIPELINE_SETTINGS } from '../pipeline/pipeline-settings.js';
import { pipelineStatus, type PipelineStatus } from '../pipeline/pipeline-status.js';
import type { StageStore } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { Warehouse } from '../warehouse/warehouse.js';

/**
 * The stage -> bronze -> silver -> gold pipeline run inside the server (`forge serve --stage`): the watch loop of
 * `forge ingest --watch` on the server's own connection to the pipeline database, which the server then answers
 * status from (DuckDB lets one process hold the file).
 */
export class ServerPipeline {
  private readonly controller = new AbortController();
  private loop: Promise<number> | null = null;
  lastRun: PipelineRun | null = null;
  lastError: string | null = null;

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly store: StageStore,
    readonly out: string,
  ) {}

  static async start(store: StageStore, out: string, targetLagMs: number): Promise<ServerPipeline> {
    await store.prepare();
    // Downloads of loaders killed outright (a server or forge ingest killed -9) are removed before this one starts.
    await sweepStaleDownloadDirs();
    const path = resolve(out);
    await mkdir(dirname(path), { recursive: true });
    let warehouse: Warehouse;
    try {
      warehouse = await Warehouse.open(path, { ...PIPELINE_SETTINGS });
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['pipeline', path, errorText(e)], { cause: e });
    }
    // The schema exists before the server answers: a status asked while the loop's first pass was still creating it
    // met a half-made one (a table missing, answered 500).
    try {
      await ensurePipelineSchema(warehouse);
    } catch (e) {
      warehouse.close();
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['pipeline', path, errorText(e)], { cause: e });
    }
    const pipeline = new ServerPipeline(warehouse, store, path);
    pipeline.loop = watchPipeline(warehouse, store, {
      targetLagMs,
      signal: pipeline.controller.signal,
      onRun: (run) => {
        pipeline.lastRun = run;
        pipeline.lastError = null;
      },
      onError: (error) => {
        pipeline.lastError = errorText(error);
      },
    });
    return pipeline;
  }

  /** Files, rows per layer and lag, from the server's own connection. */
  async status(): Promise<PipelineStatus & { readonly database: string; readonly lastError: string | null }> {
    return { ...(await pipelineStatus(this.warehouse, this.store)), database: this.out, lastError: this.lastError };
  }

  /** Ends the loop after the pass under way, then releases the database and the stage. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop?.catch(() => undefined);
    this.warehouse.close();
    this.store.close();
  }
}
