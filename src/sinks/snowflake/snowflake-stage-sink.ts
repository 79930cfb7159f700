import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, recordOf } from '../../generator/reading-records.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt } from '../../util/parse-int.js';
import type { BatchInfo, SinkContext } from '../sink.js';
import { quote, SnowflakeDriverSink, type SnowflakeDriverOptions, type SnowflakeDriverResult } from './snowflake-driver-sink.js';

const gzipAsync = promisify(gzip);

export interface SnowflakeStageSinkOptions extends SnowflakeDriverOptions {
  /** Named stage in database.schema the files are PUT to; default AMI_INTERNAL_STAGE (`forge ddl --target snowflake`). */
  readonly stage?: string;
  /** Most rows per staged file (a larger batch is split into several files, one COPY each). Default 100,000. */
  readonly fileRows?: number;
  /** Local directory for the temporary files (a fresh subdirectory is made in it); default the OS temp directory. */
  readonly tmpDir?: string;
}

export interface SnowflakeStageSinkResult extends SnowflakeDriverResult {
  /** Files PUT to the stage and loaded by COPY INTO. */
  readonly files: number;
}

export const DEFAULT_STAGE = 'AMI_INTERNAL_STAGE';
export const DEFAULT_FILE_ROWS = 100_000;
export const MAX_FILE_ROWS = 1_000_000;
export const STAGE_COLUMNS: readonly string[] = [...FLAT_COLUMNS, 'emitted_at'].map((c) => c.toUpperCase());

/** A batch's files: staged names (in order) and the local temporary paths to remove. */
interface StagedFiles {
  readonly staged: string[];
  readonly local: string[];
}

/**
 * Loads readings into a Snowflake table by staging files, through the official Node.js driver (`snowflake-sdk`):
 * the bulk-load path (PUT + COPY INTO) for large volumes, where the insert sink's bound INSERTs would be slow.
 *
 * Per batch (per `fileRows` rows of it): the readings as NDJSON (one flat reading a line, upper-case keys matching
 * the table's columns, EMITTED_AT from the stream emitter or null), gzipped into a local temporary file named after
 * the job and the batch sequence; `PUT file://<tmp> @<stage>/<job>/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE` (the driver
 * asks Snowflake for the stage's cloud location and short-lived credentials, then uploads the file there itself);
 * then one transaction: BEGIN; `COPY INTO <table> FROM @<stage>/<job>/<file> FILE_FORMAT = (TYPE = JSON)
 * MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE`; the MERGE of the job's checkpoint row in FORGE_CHECKPOINTS (as the insert
 * sink does); COMMIT. The temporary file is removed afterwards, whatever happened.
 *
 * Exactly once: data and checkpoint commit together, `open` reads the checkpoint and `write` skips batches at or
 * below it. Snowflake adds a second guard: COPY keeps a load history per table (64 days) and skips a file whose name
 * (and content checksum) it has already loaded, unless FORCE = TRUE. So a staged file that was loaded is never loaded
 * again, even by a job that re-runs under the same id without resume; the sink therefore checks the rows COPY
 * reports loaded and fails (FORGE_ERR_SINK_WRITE) when they are fewer than the file holds, rather than count readings
 * Snowflake skipped. A COPY rolled back with its transaction leaves no load history, so the retried batch loads.
 * Files stay on the stage after loading (PURGE is not transactional); `REMOVE @<stage>/<job>/` clears them.
 *
 * The session, checkpoint and transaction are SnowflakeDriverSink's.
 */
export class SnowflakeStageSink extends SnowflakeDriverSink<StagedFiles, SnowflakeStageSinkResult> {
  readonly stageName: string;
  private readonly fileRows: number;
  private readonly tmpDir: string;
  private workDir: string | null = null;
  private files = 0;

  constructor(options: SnowflakeStageSinkOptions) {
    super('snowflake-stage', options);
    const stage = this.checkIdentifier(options.stage ?? DEFAULT_STAGE, 'stage');
    const fileRows = checkInt(options.fileRows ?? DEFAULT_FILE_ROWS, `${this.name} fileRows`, { min: 1, max: MAX_FILE_ROWS });
    const tmp = options.tmpDir ?? tmpdir();
    // The PUT names the file unquoted (file://<path>): a path with spaces or quotes would not parse.
    if (typeof tmp !== 'string' || tmp === '' || /[\s'"]/.test(tmp)) throw this.invalid('tmpDir must be a directory path without spaces or quotes');
    this.stageName = `${this.schemaName}.${quote(stage)}`;
    this.fileRows = fileRows;
    this.tmpDir = tmp;
  }

  override async open(context: SinkContext): Promise<void> {
    // The job id becomes a stage folder and a file name: letters, digits, '_', '-' and '.' only.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(context.jobId)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${this.name} job id ${JSON.stringify(context.jobId.slice(0, 80))} cannot name a stage folder (letters, digits, '_', '-', '.')`]);
    }
    await super.open(context);
  }

  protected override async opened(): Promise<void> {
    this.workDir = await mkdtemp(join(this.tmpDir, 'forge-sf-stage-'));
  }

  /** Stages every file of the batch first, outside the transaction: a PUT is not transactional. */
  protected async prepare(batch: ReadingBatch, info: BatchInfo): Promise<StagedFiles> {
    const files: StagedFiles = { staged: [], local: [] };
    for (let from = 0, part = 0; from < batch.length; from += this.fileRows, part++) {
      const to = Math.min(batch.length, from + this.fileRows);
      const fileName = `${this.jobId}-${String(info.sequence).padStart(12, '0')}${batch.length > this.fileRows ? `-${part}` : ''}.json.gz`;
      const path = join(this.workDir!, fileName);
      files.local.push(path);
      await writeFile(path, await gzipAsync(Buffer.from(this.ndjson(batch, from, to), 'utf8')));
      await this.put(path, fileName);
      files.staged.push(fileName);
    }
    return files;
  }

  protected async load(batch: ReadingBatch, _info: BatchInfo, { staged }: StagedFiles): Promise<void> {
    for (let i = 0; i < staged.length; i++) {
      const expected = Math.min(this.fileRows, batch.length - i * this.fileRows);
      const result = await this.exec(
        `COPY INTO ${this.target} FROM @${this.stageName}/${this.jobId}/${staged[i]} FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE`,
      );
      this.files++;
      const loaded = result.reduce((n, r) => n + (Number(r.rows_loaded ?? r.ROWS_LOADED) || 0), 0);
      if (loaded !== expected) {
        const status = String(result[0]?.status ?? result[0]?.STATUS ?? 'no status');
        throw new ForgeError('FORGE_ERR_SINK_WRITE', [
          this.name,
          `COPY INTO ${this.target} loaded ${loaded} rows of ${expected} from ${staged[i]} (${status.slice(0, 200)}); a file already in the table's load history is skipped`,
        ]);
      }
    }
  }

  protected override async cleanUp(files: StagedFiles | undefined): Promise<void> {
    if (files) await Promise.all(files.local.map((p) => rm(p, { force: true })));
  }

  protected override async closing(): Promise<void> {
    const dir = this.workDir;
    this.workDir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  protected result(base: SnowflakeDriverResult): SnowflakeStageSinkResult {
    return { ...base, outputs: [`snowflake account ${this.o.account} table ${this.target} via stage @${this.stageName}/${this.jobId}/`], files: this.files };
  }

  /** Rows [from, to) as NDJSON: one flat reading a line, keys upper-cased, EMITTED_AT last. */
  private ndjson(batch: ReadingBatch, from: number, to: number): string {
    const lines: string[] = [];
    for (let row = from; row < to; row++) {
      const flat = recordOf(batch, row, this.fleet!, this.area!, 'flat') as unknown as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const c of FLAT_COLUMNS) {
        const v = flat[c];
        // JSON has no NaN or Infinity; JSON.stringify would write null anyway, said here explicitly.
        out[c.toUpperCase()] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
      }
      const emitted = batch.emittedUtcMs?.[row];
      out.EMITTED_AT = emitted !== undefined && Number.isFinite(emitted) ? new Date(emitted).toISOString() : null;
      lines.push(JSON.stringify(out));
    }
    return `${lines.join('\n')}\n`;
  }

  /** PUTs one local file to @stage/<job>/ through the driver and checks the driver reports it uploaded. */
  private async put(path: string, fileName: string): Promise<void> {
    const rows = await this.exec(`PUT file://${path} @${this.stageName}/${this.jobId}/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE`);
    const row = rows.find((r) => r.target === fileName || r.source === fileName);
    const status = String(row?.status ?? 'no result');
    if (status !== 'UPLOADED') {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, this.scrub(`PUT of ${fileName} to @${this.stageName}/${this.jobId}/ ended ${status}${row?.message ? `: ${String(row.message).slice(0, 500)}` : ''}`)]);
    }
  }
}
