import { mkdir, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AnomalyLabel } from '../../generator/anomaly-labels.js';
import { labelTableDdl } from '../../generator/label-columns.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import type { Shape } from '../../generator/reading-records.js';
import { EMISSION_PATTERNS, type EmissionPattern } from '../../scenario/enums.js';
import type { Shard } from '../../scenario/shard.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { jobTag } from '../../util/job-tag.js';
import { checkInt } from '../../util/parse-int.js';
import { dictionaryEncodeMeters } from '../../warehouse/dictionary-encode-meters.js';
import { LABEL_ROWS_SELECT, LABEL_ROWS_TYPES, labelRowsValues } from '../../warehouse/label-rows.js';
import { readingsSelect } from '../../warehouse/readings-select.js';
import { quoteLiteral } from '../../warehouse/sql-quote.js';
import { meterTableDdl } from '../../warehouse/star-schema.js';
import { upsertMeters } from '../../warehouse/upsert-meters.js';
import { Warehouse } from '../../warehouse/warehouse.js';
import type { BatchInfo, LabelInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { claimOutputDir, type OutputClaim } from '../output-claim.js';
import { contiguousParts, createTemporary, PartitionFiles, publish } from '../partition-files.js';

import { CopyStage } from './copy-stage.js';
import { CsvMeterText } from './csv-meter-text.js';
import { CsvRowEncoder } from './csv-row-encoder.js';
import { CsvStage } from './csv-stage.js';
import { FILE_FORMATS, defaultFileDir, isFileFormat, type FileFormat } from './file-format.js';

export { FILE_FORMATS, defaultFileDir, isFileFormat, type FileFormat };
/**
 * Where the job's anomaly labels go: a directory beside the readings' (`<dir>_labels`), partitioned like them
 * (`date=YYYY-MM-DD/part-<batch>-<batch>-<job>.<ext>`, one file per local date that closed windows), so readers of
 * `<dir>/**` see readings only.
 */
export const labelDirOf = (dir: string): string => `${resolve(dir)}_labels`;

export const PARQUET_COMPRESSIONS = ['zstd', 'snappy'] as const;
export type ParquetCompression = (typeof PARQUET_COMPRESSIONS)[number];

export interface FileSinkOptions {
  readonly format: FileFormat;
  /** Output directory. Default ./forge-data/<format>. */
  readonly dir?: string;
  /** 'nested' (the AMI head-end message) for ndjson and parquet; csv is flat only. Default 'flat'. */
  readonly shape?: Shape;
  /** Write into a non-empty directory, alongside what is there (parts of other jobs; nothing overwritten). */
  readonly append?: boolean;
  /**
   * Parquet only. Default zstd: measured (3.84M rows, 10k meters) about 5-20% slower to write than snappy but files
   * 25-30% smaller (18 vs 24-26 MB), and files are written once and stored and read many times.
   */
  readonly compression?: ParquetCompression;
  /**
   * Rows staged before a part file is cut even though its date is not finished: bounds memory for fleets whose one
   * day is larger than this (about 60 bytes a staged row). Default 4,000,000.
   */
  readonly maxRowsPerFile?: number;
  /**
   * Start a date's COPY and keep staging the next date meanwhile (at most EXPORTS_IN_FLIGHT exports, of at most
   * `maxRowsPerFile` rows together). Default true: on the 2-core dev machine Parquet went from 1.5-1.6M to
   * 1.75-1.95M rows/s with one COPY in flight (DuckDB's COPY threads and the JS thread share the cores, so less than
   * a bigger machine would gain), at the cost of holding more than one date in memory.
   */
  readonly overlap?: boolean;
}

/**
 * Exports (COPY or a CSV's last writes, then the publication) running at once. A COPY of a date smaller than one of
 * DuckDB's row groups (122,880 rows: 1,000 meters at 15 minutes) runs on one thread, and the publication waits for
 * the disk: with one in flight, a year of 1,000 meters left the cores idle between them. Parts are still published
 * one after the other, in batch order (the checkpoint read from the part names needs that).
 */
const EXPORTS_IN_FLIGHT = 2;

const EXTENSIONS: Readonly<Record<FileFormat, string>> = { parquet: 'parquet', csv: 'csv', ndjson: 'ndjson' };
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const METERS_TEXT = 'stage_meters_text';
const METERS = 'stage_meters';

interface Stage {
  readonly localDate: string;
  /** Parquet and NDJSON: rows staged in DuckDB until the COPY. CSV: the part file being written. */
  readonly writer: { readonly kind: 'copy'; readonly stage: CopyStage } | { readonly kind: 'csv'; readonly stage: CsvStage };
  rows: number;
  /** The job's batch sequences staged here (whole batches, in order): the part's name says them. */
  readonly first: number;
  last: number;
}

/**
 * Parquet, CSV or NDJSON files, one part file per local date (see PartitionFiles for names).
 *
 * Parquet and NDJSON are written by DuckDB: batches are staged in an in-memory DuckDB (a fact table per open date plus
 * the meter dimension, filled by the same ColumnarAppender as the warehouse). When a date's last batch arrives, DuckDB
 * COPYs that date's rows joined to the meters into the file (multi-threaded, native writers), and the staging table
 * is dropped: memory holds the date being staged and at most one date being copied, and `maxRowsPerFile` caps each.
 *
 * CSV is written as batches arrive, each batch encoded to the bytes DuckDB's CSV writer writes for those rows
 * (CsvRowEncoder; the meter fields are DuckDB's own text) into the part's temporary file: DuckDB's CSV writer ran at
 * a third of the rate a CSV file is made here (see docs/PERFORMANCE.md). Rows keep batch order (the COPY's join
 * had left them in an order that varied from run to run).
 *
 * With `overlap` the export of date d (its COPY, or for CSV its last writes) and the part's publication run while
 * `write` keeps staging date d + 1; the next date's export waits for it, and `flush`/`close` wait for all. An export
 * error surfaces from the next write, flush or close.
 */
export class FileSink implements Sink {
  readonly name: FileFormat;
  private readonly format: FileFormat;
  private readonly dir: string;
  private readonly shape: Shape;
  private readonly append: boolean;
  private readonly compression: ParquetCompression;
  private readonly maxRowsPerFile: number;
  private readonly overlap: boolean;
  private files: PartitionFiles | null = null;
  private labelFiles: PartitionFiles | null = null;
  private jobId = '';
  private meterIds: readonly string[] = [];
  private claim: OutputClaim | null = null;
  private shard: Shard | null = null;
  private readonly stages = new Map<string, Stage>();
  private warehouse: Warehouse | null = null;
  /** Sessions for COPYs, one per export in flight (the staging session with overlap off); taken and given back. */
  private readonly copySessions: DuckDBConnection[] = [];
  private readonly copySessionsAll: DuckDBConnection[] = [];
  private meterKeys: Int32Array = new Int32Array(0);
  /** CSV: each batch's rows to text, and the byte chunks its stages share. */
  private csvEncoder: CsvRowEncoder | null = null;
  private readonly csvChunks: Uint8Array[] = [];
  /** The job's interval and emission pattern, written as literals (not staged per row). */
  private constants: { intervalMinutes: number; emissionPattern: EmissionPattern } | null = null;
  /** Exports started and not yet published, oldest first. */
  private inFlight: { readonly done: Promise<void>; readonly rows: number }[] = [];
  /** The last export's publication: the next one publishes after it. */
  private lastPublished: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private stageCount = 0;
  private resumed = false;
  private rows = 0;
  private bytes = 0;
  private readonly outputs: string[] = [];
  private readonly temporaries = new Set<string>();
  private readonly state = new SinkState(this);

  constructor(options: FileSinkOptions) {
    if (!FILE_FORMATS.includes(options.format)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`file format "${String(options.format)}" is not one of ${FILE_FORMATS.join(', ')}`]);
    }
    this.format = options.format;
    this.name = options.format;
    this.shape = options.shape ?? 'flat';
    if (this.shape === 'nested' && this.format === 'csv') {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['shape "nested" is available for ndjson and parquet; csv is flat only']);
    }
    this.dir = resolve(options.dir ?? defaultFileDir(options.format));
    this.append = options.append ?? false;
    this.compression = options.compression ?? 'zstd';
    if (!PARQUET_COMPRESSIONS.includes(this.compression)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`parquet compression "${String(this.compression)}" is not one of ${PARQUET_COMPRESSIONS.join(', ')}`]);
    }
    this.maxRowsPerFile = checkInt(options.maxRowsPerFile ?? 4_000_000, 'maxRowsPerFile', { min: 1 });
    this.overlap = options.overlap ?? true;
  }

  /**
   * Checks the directory may be written and claims it (see OutputClaim and foreignEntry for who may share it): without
   * `append` it must be absent or empty (a shard's siblings' files and, on resume, the job's own parts aside). With
   * `resume`, the job's temporaries and any part beyond its contiguous checkpoint are removed here.
   */
  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    const shard = context.scenario.shard ?? null;
    const resume = context.resume ?? false;
    this.resumed = resume;
    const owner = { tag: jobTag(context.jobId), shard };
    this.shard = shard;
    this.files = new PartitionFiles(this.dir, EXTENSIONS[this.format], owner);
    this.labelFiles = new PartitionFiles(labelDirOf(this.dir), EXTENSIONS[this.format], owner);
    this.jobId = context.jobId;
    this.meterIds = context.fleet.meterIds;
    this.claim = await claimOutputDir(this.name, this.dir, { ...owner, jobId: context.jobId, resume, append: this.append });
    try {
      if (resume) await this.dropPartialTail();
      await this.prepareStaging(context);
    } catch (e) {
      await this.claim?.release();
      this.claim = null;
      throw e;
    }
    this.state.opened();
  }

  /**
   * The last batch sequence S such that every batch 0..S of `jobId` (this sink's shard) is in a whole part file on
   * disk, or null. Read from the part names, so it holds for a job killed outright: parts are published in batch
   * order, each whole (link of a synced temporary).
   */
  async checkpoint(jobId: string): Promise<number | null> {
    const files = new PartitionFiles(this.dir, EXTENSIONS[this.format], { tag: jobTag(jobId), shard: this.shard });
    const { checkpoint } = contiguousParts((await files.own()).parts);
    return checkpoint < 0 ? null : checkpoint;
  }

  /** Resume: removes this job's temporaries and the parts beyond its contiguous checkpoint (never someone else's). */
  private async dropPartialTail(): Promise<void> {
    const { parts, temporaries } = await this.files!.own();
    const { checkpoint, beyond } = contiguousParts(parts);
    // Label files go with the batch after them: one beyond the readings' checkpoint comes again on resume.
    const labels = await this.labelFiles!.own();
    const stale = [...labels.temporaries, ...labels.parts.filter((p) => p.first > checkpoint).map((p) => p.path)];
    await Promise.all([...temporaries, ...beyond.map((p) => p.path), ...stale].map((path) => rm(path, { force: true })));
  }

  private async prepareStaging(context: SinkContext): Promise<void> {
    const constants = { intervalMinutes: context.scenario.intervalMinutes, emissionPattern: context.scenario.emissionPattern };
    const warehouse = await Warehouse.open(':memory:');
    try {
      if (this.format === 'csv') {
        this.csvEncoder = new CsvRowEncoder(await CsvMeterText.build(warehouse.connection, context.fleet, context.scenario.area), constants);
      } else {
        await warehouse.run(meterTableDdl(METERS_TEXT));
        this.meterKeys = await upsertMeters(warehouse.connection, context.fleet, context.scenario.area, METERS_TEXT);
        await dictionaryEncodeMeters(warehouse.connection, METERS_TEXT, METERS);
        await warehouse.run(`DROP TABLE ${METERS_TEXT}`);
        for (let i = 0; i < (this.overlap ? EXPORTS_IN_FLIGHT : 1); i++) {
          this.copySessionsAll.push(this.overlap ? await warehouse.connect() : warehouse.connection);
        }
        this.copySessions.push(...this.copySessionsAll);
      }
    } catch (e) {
      warehouse.close();
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(e)], { cause: e });
    }
    this.warehouse = warehouse;
    this.constants = constants;
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    this.checkFailure();
    if (!LOCAL_DATE.test(info.localDate)) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `batch local date "${info.localDate}" is not YYYY-MM-DD`]);
    }
    this.checkConstants(batch);
    const stage = this.stages.get(info.localDate) ?? (await this.openStage(info.localDate, info.sequence).catch(this.writeError));
    if (stage.writer.kind === 'csv') await stage.writer.stage.append(batch).catch(this.writeError);
    else stage.writer.stage.append(batch, this.meterKeys);
    stage.rows += batch.length;
    stage.last = info.sequence;
    this.rows += batch.length;
    if (info.lastOfDate || stage.rows >= this.maxRowsPerFile) await this.export(stage);
  }

  /**
   * Writes the windows a date closed to one file of the labels directory (labelDirOf), named like a part by the
   * batch they go with: published whole, and on resume a date's file already there is kept, not written twice.
   * Timestamps as the readings' files have them (typed in Parquet, text in CSV and NDJSON).
   */
  async writeLabels(labels: readonly AnomalyLabel[], info: LabelInfo): Promise<void> {
    this.state.assertOpen('writeLabels');
    this.checkFailure();
    if (labels.length === 0) return;
    if (!LOCAL_DATE.test(info.localDate)) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `labels' local date "${info.localDate}" is not YYYY-MM-DD`]);
    }
    const target = this.labelFiles!.target(info.localDate, info.sequence, info.sequence);
    const session = await this.warehouse!.connect();
    const table = `stage_labels_${this.stageCount++}`;
    try {
      await session.run(labelTableDdl('duckdb', table));
      await session.run(`INSERT INTO ${table} ${LABEL_ROWS_SELECT}`, labelRowsValues(this.jobId, labels, this.meterIds), LABEL_ROWS_TYPES);
      await mkdir(this.labelFiles!.partitionDir(info.localDate), { recursive: true });
      this.temporaries.add(target.temporary);
      await createTemporary(target.temporary);
      const select = this.format === 'parquet' ? `SELECT * FROM ${table}` : `SELECT * REPLACE (strftime(start_ts, '%Y-%m-%d %H:%M:%S') AS start_ts, strftime(end_ts, '%Y-%m-%d %H:%M:%S') AS end_ts, strftime(start_ts_utc, '%Y-%m-%dT%H:%M:%SZ') AS start_ts_utc, strftime(end_ts_utc, '%Y-%m-%dT%H:%M:%SZ') AS end_ts_utc) FROM ${table}`;
      await session.run(`COPY (${select} ORDER BY meter_id, start_ts_utc, event_type) TO ${quoteLiteral(target.temporary)} (${this.copyOptions()})`);
      await publish(target.temporary, target.path).catch(async (e: unknown) => {
        // A resumed run sends the windows of a date its earlier run already published: that file is kept.
        if (!(e instanceof ForgeError && e.code === 'FORGE_ERR_OUTPUT_EXISTS' && this.resumed)) throw e;
        await rm(target.temporary, { force: true });
      });
      this.temporaries.delete(target.temporary);
      if (await stat(target.path).then(() => true, () => false)) this.outputs.push(target.path);
    } catch (e) {
      if (e instanceof ForgeError) throw e;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `labels for ${info.localDate}: ${errorText(e)}`], { cause: e });
    } finally {
      await session.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      session.closeSync();
    }
  }

  /** Writes every staged row to part files and waits until they are renamed into place. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    for (const stage of [...this.stages.values()]) await this.export(stage);
    await this.settle();
  }

  async close(): Promise<SinkResult> {
    await this.flush();
    this.release();
    await this.claim?.release();
    return { sink: this.name, rows: this.rows, outputs: [...this.outputs], bytes: this.bytes };
  }

  async abort(_reason: unknown): Promise<void> {
    if (!this.state.closing()) return;
    const open = [...this.stages.values()];
    this.stages.clear();
    for (const { writer } of open) if (writer.kind === 'copy') writer.stage.discard();
    await Promise.all(open.map(({ writer }) => (writer.kind === 'csv' ? writer.stage.discard() : undefined)));
    if (this.inFlight.length > 0) {
      for (const session of this.copySessionsAll) session.interrupt();
      await Promise.all(this.inFlight.map((e) => e.done));
    }
    await Promise.all([...this.temporaries].map((t) => rm(t, { force: true }).catch(() => undefined)));
    this.release();
    await this.claim?.release();
  }

  private async openStage(localDate: string, first: number): Promise<Stage> {
    let writer: Stage['writer'];
    if (this.csvEncoder) {
      // Written from its first batch on, so named before its last batch is known: the temporary of a part holding
      // its first batch alone, which a resume recognises as this job's (PartitionFiles.own) like any other.
      const { temporary } = this.files!.target(localDate, first, first);
      await mkdir(this.files!.partitionDir(localDate), { recursive: true });
      this.temporaries.add(temporary);
      writer = { kind: 'csv', stage: await CsvStage.open(temporary, this.csvEncoder, this.csvChunks) };
    } else {
      writer = { kind: 'copy', stage: await CopyStage.open(this.warehouse!.connection, `stage_fact_${this.stageCount++}`) };
    }
    const stage: Stage = { localDate, writer, rows: 0, first, last: first };
    this.stages.set(localDate, stage);
    return stage;
  }

  /** Starts a stage's export; returns once it is running (overlap) or done. */
  private async export(stage: Stage): Promise<void> {
    this.stages.delete(stage.localDate);
    if (stage.writer.kind === 'copy') stage.writer.stage.close();
    // Room: fewer than EXPORTS_IN_FLIGHT exports, and together with this one at most maxRowsPerFile rows held.
    while (this.inFlight.length > 0 && (this.inFlight.length >= EXPORTS_IN_FLIGHT || this.inFlight.reduce((n, e) => n + e.rows, stage.rows) > this.maxRowsPerFile)) {
      await this.inFlight[0]!.done;
    }
    this.checkFailure();
    const target = this.files!.target(stage.localDate, stage.first, stage.last);
    const previous = this.lastPublished;
    const entry = {
      rows: stage.rows,
      done: this.complete(stage, target, previous).then(
        () => undefined,
        (e: unknown) => {
          this.failure ??= e;
        },
      ).finally(() => {
        this.inFlight.splice(this.inFlight.indexOf(entry), 1);
      }),
    };
    this.inFlight.push(entry);
    this.lastPublished = entry.done;
    if (!this.overlap) await this.settle();
  }

  /**
   * Writes the stage's file (COPY, or the CSV's last chunks), waits for the export before it to be published (or to
   * fail: then this part is not published, and its temporary stays for abort or resume to remove), and publishes it
   * as the part `target.path`.
   */
  private async complete(stage: Stage, target: { path: string; temporary: string }, previous: Promise<void>): Promise<void> {
    let written: string;
    if (stage.writer.kind === 'csv') {
      await stage.writer.stage.finish();
      written = stage.writer.stage.path;
    } else {
      const select = (fact: string): string => readingsSelect({
        fact,
        meters: METERS,
        shape: this.shape,
        timestamps: this.format === 'parquet' ? 'typed' : 'text',
        enumsAsText: false,
        constants: this.constants!,
      });
      await mkdir(this.files!.partitionDir(stage.localDate), { recursive: true });
      this.temporaries.add(target.temporary);
      await createTemporary(target.temporary);
      const session = this.copySessions.pop()!;
      try {
        await stage.writer.stage.copy(session, select, target.temporary, this.copyOptions());
      } finally {
        this.copySessions.push(session);
      }
      written = target.temporary;
    }
    await previous;
    if (this.failure !== null) return;
    await publish(written, target.path);
    this.temporaries.delete(written);
    this.bytes += (await stat(target.path)).size;
    this.outputs.push(target.path);
  }

  /**
   * USE_TMP_FILE false: the target is already this sink's own exclusive temporary; left to its default, DuckDB sees
   * that existing file and writes `tmp_<name>` beside it first, which a kill -9 left behind under a name neither a
   * reader's dot-file rule nor the resume's clean-up recognises.
   */
  private copyOptions(): string {
    switch (this.format) {
      case 'parquet':
        return `FORMAT parquet, COMPRESSION ${this.compression}, USE_TMP_FILE false`;
      case 'csv':
        return 'FORMAT csv, HEADER true, USE_TMP_FILE false';
      case 'ndjson':
        return 'FORMAT json, USE_TMP_FILE false';
    }
  }

  /** A file system error of a CSV part being written, as the sink's write error (as a COPY's is, from settle). */
  private readonly writeError = (e: unknown): never => {
    if (e instanceof ForgeError) throw e;
    throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(e)], { cause: e });
  };

  /** Waits for every export in flight, then rethrows the first export failure. */
  private async settle(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight[this.inFlight.length - 1]!.done;
    this.checkFailure();
  }

  private checkFailure(): void {
    if (this.failure !== null) {
      const e = this.failure;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(e)], { cause: e });
    }
  }

  /** A batch must carry the job's interval and emission pattern, which the files get as constants. */
  private checkConstants(batch: ReadingBatch): void {
    const { intervalMinutes, emissionPattern } = this.constants!;
    const code = EMISSION_PATTERNS.indexOf(emissionPattern);
    let other = batch.intervalMinutes === intervalMinutes ? -1 : 0;
    for (let i = 0; i < batch.length && other < 0; i++) if (batch.emissionPattern[i] !== code) other = i;
    if (other >= 0) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [
        this.name,
        `a batch of ${batch.intervalMinutes}-minute readings with pattern ${EMISSION_PATTERNS[batch.emissionPattern[other]!] ?? '?'} in a ${intervalMinutes}-minute ${emissionPattern} job`,
      ]);
    }
  }

  private release(): void {
    this.warehouse?.close();
    this.warehouse = null;
    this.state.closing();
  }
}
