import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { LABEL_SOURCE, type AnomalyLabel } from '../../generator/anomaly-labels.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, recordOf, type FlatReading } from '../../generator/reading-records.js';
import { RecordBytes } from '../../generator/record-bytes.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardLabel, type Shard } from '../../scenario/shard.js';
import { openStageStore } from '../../stage/open-stage-store.js';
import type { S3StageOptions } from '../../stage/s3-stage-store.js';
import { describeStage, type StageLocation } from '../../stage/stage-location.js';
import { ndjsonToParquet } from '../../stage/ndjson-to-parquet.js';
import { isWriterOf, parseStageKey, RAW_PREFIX, STAGE_FORMATS, stageExtension, stageKey, stageWriter, stageWriterOwner, type StageFormat } from '../../stage/stage-keys.js';
import type { StageStore } from '../../stage/stage-store.js';
import { labelStageKey } from '../../stage/label-keys.js';
import { transformerStageKey } from '../../stage/transformer-keys.js';
import type { Fleet } from '../../fleet/fleet.js';
import { transformerRecords } from '../../fleet/transformer-records.js';
import { emittedMeters } from '../../scenario/scenario.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';
import { jobTag, runTag } from '../../util/job-tag.js';
import { ByteChunks } from '../../util/byte-chunks.js';
import { ChunkPool } from '../../util/chunk-pool.js';
import { checkInt } from '../../util/parse-int.js';
import type { BatchInfo, LabelInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { GzipBody, PlainBody, type StageBody } from './stage-body.js';

const gzip = promisify(gzipCallback);

export interface StageSinkOptions {
  readonly location: StageLocation;
  /** ndjson (raw head-end messages, the default), parquet (the same messages, five STRUCT columns) or csv (flat). */
  readonly format?: StageFormat;
  /** Compress files with gzip. Default true. */
  readonly gzip?: boolean;
  /**
   * zlib's level, 1 (fastest) to 9 (smallest). Default 6, zlib's own. Measured (bench/stage.mjs: 10,000 meters x 24 h,
   * --speed max): level 1 landed 1.22x the readings a second of level 6, in files a quarter larger.
   */
  readonly gzipLevel?: number;
  /**
   * A file holds at most this many rows. Files roll between batches when the next batch would not fit; only a batch
   * larger than a whole file is split across files. Default 500,000.
   */
  readonly rollRows?: number;
  /** ... or this many bytes of content before compression. Default 64 MiB. */
  readonly rollBytes?: number;
  /** ... or when it has been open this long (wall clock), checked at each write and flush. Default 10 s. */
  readonly rollMs?: number;
  readonly s3?: S3StageOptions;
}

interface OpenFile {
  readonly firstEmittedMs: number;
  readonly openedAt: number;
  /** The file's content so far (gzipped as it comes, unless the format or the options say otherwise). */
  readonly body: StageBody;
  rows: number;
  /** Bytes of content (the roll-over measure). */
  bytes: number;
  /** The job's batch sequences the file holds: whole batches, so its key says what a resume may skip. */
  readonly firstBatch: number;
  lastBatch: number;
}

/**
 * Lands readings in a stage (a local directory or an S3-compatible bucket) as files a loader picks up: raw head-end
 * messages as NDJSON (or flat CSV), gzip by default, under time-sortable keys partitioned by date and hour
 * (stage-keys.ts). A file rolls over by rows, bytes or age, whichever comes first, so a slow stream does not make tiny
 * files and a fast one no huge ones. It rolls between batches where it can (before a batch that would not fit, and by
 * age after a batch), so its key names the whole batches it holds; only a batch larger than a file is split. A file
 * appears only complete (an exclusive temporary linked into place, or a single conditional PUT), and never replaces
 * another.
 *
 * Any number of jobs (processes, worker threads) may write one stage at once: keys carry the job, its shard and a
 * random run tag (stageWriter). A file's key also carries the range of batch sequences it holds, so `checkpoint` reads
 * from the stage how far a job got and a resumed job lands no whole batch twice (only the landed head of a split batch
 * it stopped inside is landed again). Otherwise delivery is at least once (the loader dedupes on the reading's key in
 * silver). Second copies of a stream are written as they come: the stage holds
 * what the head end received.
 */
export class StageSink implements Sink {
  readonly name = 'stage';
  private readonly format: StageFormat;
  private readonly gzip: boolean;
  private readonly gzipLevel: number;
  private readonly rollRows: number;
  private readonly rollBytes: number;
  private readonly rollMs: number;
  private readonly store: StageStore;
  private readonly shown: string;
  private fleet: Fleet | null = null;
  private shard: Shard | null = null;
  private area: ServiceAreaName | null = null;
  /** Each reading's NDJSON line text (the nested record), built once the first batch comes. */
  private json: RecordBytes | null = null;
  /**
   * A batch's lines are built whole before they go to their files (so a file ends where a batch ends), and the next
   * batch's meanwhile: at the stream's 200,000 rows that is 300 MB of lines in flight. At 50,000 the stage job of
   * `bench/stage.mjs` peaked at 410 MB instead of 610 MB and ran no slower (docs/PERFORMANCE.md).
   */
  readonly maxBatchRows = 50_000;
  /** Chunks the lines are built in, reused once compressed (two batches' worth in use at a time, 32 kept idle). */
  private readonly chunks = new ChunkPool(4 * 2 ** 20, 32);
  /** What every run of this job and shard names its files by (stageWriterOwner), and this run's writer id. */
  private owner = '';
  private writer = '';
  private sequence = 0;
  private current: OpenFile | null = null;
  /** The file being landed (settled when none is). */
  private landing: Promise<void> = Promise.resolve();
  private rows = 0;
  private bytes = 0;
  private readonly outputs: string[] = [];
  private readonly state = new SinkState(this);
  private jobId = '';
  private resumed = false;

  constructor(options: StageSinkOptions) {
    this.format = options.format ?? 'ndjson';
    if (!STAGE_FORMATS.includes(this.format)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`stage format "${String(this.format)}" is not one of ${STAGE_FORMATS.join(', ')}`]);
    }
    this.gzip = options.gzip ?? true;
    this.gzipLevel = checkInt(options.gzipLevel ?? 6, 'stage gzipLevel', { min: 1, max: 9 });
    this.rollRows = checkInt(options.rollRows ?? 500_000, 'stage rollRows', { min: 1 });
    this.rollBytes = checkInt(options.rollBytes ?? 64 * 2 ** 20, 'stage rollBytes', { min: 1 });
    this.rollMs = checkInt(options.rollMs ?? 10_000, 'stage rollMs', { min: 1 });
    this.store = openStageStore(options.location, options.s3);
    this.shown = describeStage(options.location);
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    await this.store.prepare();
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.shard = context.scenario.shard ?? null;
    // The job's id, shard and a run tag name the writer: files of different jobs, shards or runs never collide, and a
    // file says who wrote it (`..._job-20261129081149-ab12cd34-shard-2-of-8-k3x9q2_000042_120-131.json.gz`).
    this.owner = this.ownerOf(context.jobId);
    this.writer = stageWriter(this.owner, runTag());
    this.jobId = context.jobId;
    this.resumed = context.resume ?? false;
    if (context.resume) {
      const owner = this.owner;
      await this.store.removeTemporaries?.((key) => {
        const writer = parseStageKey(key)?.writer;
        return writer !== undefined && isWriterOf(writer, owner);
      });
    }
    // The ratings of the transformers this job's meters are behind, before any reading: a pipeline that loads the
    // stage has them when it first computes gold loading. They are a function of the job's scenario, so a file of the
    // job's already there (a resumed run's, or the same job started twice) holds them already.
    const { start, end } = emittedMeters(context.scenario);
    await this.landOnce(transformerStageKey(this.owner, this.gzip), transformerRecords(context.fleet, start, end).map((r) => JSON.stringify(r)), true);
    this.state.opened();
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (batch.length > 0) {
      const fleet = this.fleet!;
      const area = this.area!;
      // The batch's lines as UTF-8 at once (a line's text is garbage as soon as it is copied: a batch of 200,000 held
      // as strings took over 1 GB), with where each ends. JSON lines are written as bytes (RecordBytes), never a string.
      const json = this.format === 'csv' ? null : (this.json ??= new RecordBytes(fleet, area));
      const text = new ByteChunks(this.chunks);
      const ends = new Float64Array(batch.length);
      for (let row = 0; row < batch.length; row++) {
        if (json) json.append(batch, row, text);
        else text.append(csvLine(recordOf(batch, row, fleet, area, 'flat') as FlatReading));
        ends[row] = text.bytes;
      }
      const bytes = text.bytes;
      // Roll between batches when this one would not fit, so files end where batches end.
      if (this.current && (this.current.rows + batch.length > this.rollRows || this.current.bytes + bytes > this.rollBytes)) await this.roll(false);
      // This batch's lines were built while the last batch's compressed; they are added once those are taken in, so
      // the open file holds at most one batch's text not yet compressed.
      await this.current?.body.taken();
      const bodies = new Set<StageBody>();
      let row = 0;
      while (row < batch.length) {
        const emitted = batch.emittedUtcMs ? batch.emittedUtcMs[row]! : batch.tsUtcMs[row]!;
        const file = (this.current ??= this.newFile(emitted, info.sequence));
        file.lastBatch = info.sequence;
        const first = row;
        while (row < batch.length && (file.rows === 0 || (file.rows < this.rollRows && file.bytes < this.rollBytes))) {
          file.rows++;
          file.bytes += ends[row]! - (row === 0 ? 0 : ends[row - 1]!);
          this.rows++;
          row++;
        }
        for (const slice of text.slices(first === 0 ? 0 : ends[first - 1]!, ends[row - 1]!)) file.body.add(slice);
        bodies.add(file.body);
        // A batch larger than a file: this file ends inside it.
        if (row < batch.length) await this.roll(true);
      }
      // The lines' chunks are written into again once every file they went to has taken them in (not when one was
      // dropped: its compressor may still read them).
      void Promise.all([...bodies].map((b) => b.taken())).then(() => text.recycle(), () => undefined);
      if (this.current && (this.current.rows >= this.rollRows || this.current.bytes >= this.rollBytes)) await this.roll(false);
    }
    if (this.current && Date.now() - this.current.openedAt >= this.rollMs) await this.roll(false);
  }

  /**
   * The last batch sequence S of `jobId` (this sink's shard) such that every batch up to S is in a stage file: for each
   * run of the job, the files numbered 0, 1, ... without a gap reach the last batch of the last of them that does not
   * end inside a batch (files land in order, one at a time, each whole); a run starts after the checkpoint of the run
   * before, so the job's is the highest.
   */
  async checkpoint(jobId: string): Promise<number | null> {
    // A file still landing is counted once it is there (or not, when it failed).
    await this.landing.catch(() => undefined);
    const owner = this.ownerOf(jobId);
    const runs = new Map<string, { sequence: number; last: number; partial: boolean }[]>();
    for (const file of await this.store.list(`${RAW_PREFIX}/`)) {
      const key = parseStageKey(file.key);
      if (!key?.batches || !isWriterOf(key.writer, owner)) continue;
      runs.set(key.writer, [...(runs.get(key.writer) ?? []), { sequence: key.sequence, last: key.batches.last, partial: key.batches.partial === true }]);
    }
    let checkpoint: number | null = null;
    for (const files of runs.values()) {
      files.sort((a, b) => a.sequence - b.sequence);
      let reached: number | null = null;
      for (let i = 0; i < files.length && files[i]!.sequence === i; i++) if (!files[i]!.partial) reached = files[i]!.last;
      if (reached !== null && (checkpoint === null || reached > checkpoint)) checkpoint = reached;
    }
    return checkpoint;
  }

  /**
   * Lands a date's label windows as one NDJSON file under raw/labels (label-keys.ts: beside the readings, for the
   * pipeline to load into its anomaly_labels table), gzip as the readings are. A resumed run's file for a batch
   * its earlier run already landed is left as it is: the same windows (a resumed job's labels are the uninterrupted
   * run's). The job's final windows (`info.final`: those open at its end, or a stopped run's, cut at the stop) are
   * named apart (`<owner>-final`): a stopped run's would otherwise take the name of the file the resumed run lands
   * for that date with the windows whole, and be kept instead. They sort before the date's own file and the later
   * dates' (the loader takes files in key order; a window is keyed by its start), so the whole windows replace them.
   */
  async writeLabels(labels: readonly AnomalyLabel[], info: LabelInfo): Promise<void> {
    this.state.assertOpen('writeLabels');
    if (labels.length === 0) return;
    const ids = this.fleet!.meterIds;
    const local = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    const lines = labels.map((l) =>
      JSON.stringify({
        job_id: this.jobId, meter_id: ids[l.meterIndex], event_type: l.eventType, start_ts: local(l.startLocalMs), end_ts: local(l.endLocalMs),
        start_ts_utc: utc(l.startUtcMs), end_ts_utc: utc(l.endUtcMs), readings: l.readings, severity: l.severity, source: LABEL_SOURCE,
      }),
    );
    await this.landOnce(labelStageKey(info.localDate, info.final ? `${this.owner}-final` : this.owner, info.sequence, this.gzip), lines);
  }

  /**
   * Lands NDJSON `lines` under `key` (gzip as the readings are). A file already there is left as it is when this is a
   * resumed run (its earlier run landed it) or when `sameIfThere` (any run of the job lands the same content).
   */
  private async landOnce(key: string, lines: readonly string[], sameIfThere = false): Promise<void> {
    if (lines.length === 0) return;
    const content = Buffer.from(`${lines.join('\n')}\n`);
    try {
      await this.store.put(key, this.gzip ? await gzip(content, { level: this.gzipLevel }) : content);
    } catch (e) {
      if ((this.resumed || sameIfThere) && isForgeError(e) && e.code === 'FORGE_ERR_OUTPUT_EXISTS') return;
      throw e;
    }
    this.outputs.push(key);
  }

  /** Closes the open file when it is due by age (a stream flushes after every batch: files still roll by size and time). */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    if (this.current && Date.now() - this.current.openedAt >= this.rollMs) await this.roll();
  }

  async close(): Promise<SinkResult> {
    this.state.assertOpen('close');
    await this.roll();
    await this.landing;
    this.state.closing();
    this.store.close();
    return { sink: this.name, rows: this.rows, outputs: this.outputs.length <= 3 ? this.outputs.map((k) => `${this.shown}/${k}`) : [`${this.outputs.length} files in ${this.shown}`], bytes: this.bytes };
  }

  async abort(_reason: unknown): Promise<void> {
    // The open file is dropped: it was never visible, and a resumed job lands its rows again. A file already landing
    // is let finish (whole, or removed on failure) before the store closes.
    this.current?.body.discard();
    this.current = null;
    await this.landing.catch(() => undefined);
    if (this.state.closing()) this.store.close();
  }

  private newFile(firstEmittedMs: number, batch: number): OpenFile {
    // Parquet compresses inside the file (zstd), from the whole NDJSON; the text formats are gzipped unless told not to.
    const body = this.gzip && this.format !== 'parquet' ? new GzipBody(this.gzipLevel) : new PlainBody();
    if (this.format === 'csv') body.add(Buffer.from(`${FLAT_COLUMNS.join(',')}\n`));
    return { firstEmittedMs, openedAt: Date.now(), body, rows: 0, bytes: 0, firstBatch: batch, lastBatch: batch };
  }

  /**
   * Closes the open file and starts landing it (compressing what is left, then putting it), `partial` when it ends
   * inside its last batch. The next file fills meanwhile: compression runs on libuv's threads while the stream goes on.
   * One file lands at a time, in order: this returns once the file before this one has landed (or throws its failure),
   * so memory holds at most the open file and one landing, and `checkpoint` (files numbered without a gap) stays exact.
   * `close` waits for the last one.
   */
  private async roll(partial = false): Promise<void> {
    const file = this.current;
    if (!file || file.rows === 0) return;
    this.current = null;
    const key = stageKey(file.firstEmittedMs, this.writer, this.sequence++, stageExtension(this.format, this.gzip), { first: file.firstBatch, last: file.lastBatch, partial });
    const previous = this.landing;
    this.landing = (async () => {
      const content = await file.body.finish();
      const body = this.format === 'parquet' ? await ndjsonToParquet(content) : content;
      await previous;
      await this.store.put(key, body);
      this.bytes += body.length;
      this.outputs.push(key);
    })();
    // Its failure is reported by the next roll, `close` or `checkpoint`, not as an unhandled rejection.
    this.landing.catch(() => undefined);
    await previous;
  }

  private ownerOf(jobId: string): string {
    return stageWriterOwner(jobTag(jobId), this.shard ? shardLabel(this.shard) : null);
  }
}

/** A flat reading as a CSV line (RFC 4180: fields with a comma, quote or line break are quoted). */
function csvLine(record: FlatReading): string {
  return `${FLAT_COLUMNS.map((c) => csvField(record[c])).join(',')}\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
