import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, recordOf, type FlatReading } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardLabel } from '../../scenario/shard.js';
import { openStageStore } from '../../stage/open-stage-store.js';
import type { S3StageOptions } from '../../stage/s3-stage-store.js';
import { describeStage, type StageLocation } from '../../stage/stage-location.js';
import { ndjsonToParquet } from '../../stage/ndjson-to-parquet.js';
import { STAGE_FORMATS, stageExtension, stageKey, type StageFormat } from '../../stage/stage-keys.js';
import type { StageStore } from '../../stage/stage-store.js';
import type { Fleet } from '../../fleet/fleet.js';
import { ForgeError } from '../../util/forge-error.js';
import type { BatchInfo, Sink, SinkContext, SinkResult } from '../sink.js';

const gzip = promisify(gzipCallback);

export interface StageSinkOptions {
  readonly location: StageLocation;
  /** ndjson (raw head-end messages, the default), parquet (the same messages, five STRUCT columns) or csv (flat). */
  readonly format?: StageFormat;
  /** Compress files with gzip. Default true. */
  readonly gzip?: boolean;
  /** A file is closed after this many rows. Default 500,000. */
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
  readonly parts: string[];
  rows: number;
  bytes: number;
}

/**
 * Lands readings in a stage (a local directory or an S3-compatible bucket) as files a loader picks up: raw head-end
 * messages as NDJSON (or flat CSV), gzip by default, under time-sortable keys partitioned by date and hour
 * (stage-keys.ts). A file rolls over by rows, bytes or age, whichever comes first, so a slow stream does not make tiny
 * files and a fast one no huge ones; a file appears only complete (rename, or a single PUT).
 *
 * Delivery is at least once: a file is durable when it rolls over (or at close), and a resumed job may land again
 * what a killed one had in its open file; the loader dedupes on the reading's key (silver). Second copies of a
 * stream are written as they come: the stage holds what the head end received.
 */
export class StageSink implements Sink {
  readonly name = 'stage';
  private readonly format: StageFormat;
  private readonly gzip: boolean;
  private readonly rollRows: number;
  private readonly rollBytes: number;
  private readonly rollMs: number;
  private readonly store: StageStore;
  private readonly shown: string;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private writer = '';
  private sequence = 0;
  private current: OpenFile | null = null;
  private rows = 0;
  private bytes = 0;
  private readonly outputs: string[] = [];
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(options: StageSinkOptions) {
    this.format = options.format ?? 'ndjson';
    if (!STAGE_FORMATS.includes(this.format)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`stage format "${String(this.format)}" is not one of ${STAGE_FORMATS.join(', ')}`]);
    }
    this.gzip = options.gzip ?? true;
    this.rollRows = positive(options.rollRows ?? 500_000, 'rollRows');
    this.rollBytes = positive(options.rollBytes ?? 64 * 2 ** 20, 'rollBytes');
    this.rollMs = positive(options.rollMs ?? 10_000, 'rollMs');
    this.store = openStageStore(options.location, options.s3);
    this.shown = describeStage(options.location);
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    await this.store.prepare();
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    // The job's id (and shard) names the writer: files of different jobs or shards never collide, and a shard's files
    // say which shard wrote them (`..._20261129081149-ab12cd34-shard-2-of-8_000042.json.gz`).
    const job = context.jobId.replace(/^job-/, '').replace(/[^A-Za-z0-9-]/g, '').slice(-24).replace(/^-+/, '') || 'forge';
    this.writer = context.scenario.shard ? `${job}-${shardLabel(context.scenario.shard)}` : job;
    this.state = 'open';
  }

  async write(batch: ReadingBatch, _info: BatchInfo): Promise<void> {
    this.checkOpen('write');
    const fleet = this.fleet!;
    const area = this.area!;
    for (let row = 0; row < batch.length; row++) {
      const emitted = batch.emittedUtcMs ? batch.emittedUtcMs[row]! : batch.tsUtcMs[row]!;
      const file = (this.current ??= { firstEmittedMs: emitted, openedAt: Date.now(), parts: this.format === 'csv' ? [`${FLAT_COLUMNS.join(',')}\n`] : [], rows: 0, bytes: 0 });
      const record = recordOf(batch, row, fleet, area, this.format === 'csv' ? 'flat' : 'nested');
      const line = this.format === 'csv' ? csvLine(record as FlatReading) : `${JSON.stringify(record)}\n`;
      file.parts.push(line);
      file.rows++;
      file.bytes += line.length;
      this.rows++;
      if (file.rows >= this.rollRows || file.bytes >= this.rollBytes) await this.roll();
    }
    if (this.current && Date.now() - this.current.openedAt >= this.rollMs) await this.roll();
  }

  /** Closes the open file when it is due by age (a stream flushes after every batch: files still roll by size and time). */
  async flush(): Promise<void> {
    this.checkOpen('flush');
    if (this.current && Date.now() - this.current.openedAt >= this.rollMs) await this.roll();
  }

  async close(): Promise<SinkResult> {
    this.checkOpen('close');
    await this.roll();
    this.state = 'closed';
    this.store.close();
    return { sink: this.name, rows: this.rows, outputs: this.outputs.length <= 3 ? this.outputs.map((k) => `${this.shown}/${k}`) : [`${this.outputs.length} files in ${this.shown}`], bytes: this.bytes };
  }

  async abort(_reason: unknown): Promise<void> {
    // The open file is dropped: it was never visible, and a resumed job lands its rows again.
    this.current = null;
    if (this.state === 'open') this.store.close();
    this.state = 'closed';
  }

  private async roll(): Promise<void> {
    const file = this.current;
    if (!file || file.rows === 0) return;
    this.current = null;
    const content = Buffer.from(file.parts.join(''), 'utf8');
    // Parquet compresses inside the file (zstd); the text formats are gzipped whole unless told not to.
    const body = this.format === 'parquet' ? await ndjsonToParquet(content) : this.gzip ? await gzip(content) : content;
    const key = stageKey(file.firstEmittedMs, this.writer, this.sequence++, stageExtension(this.format, this.gzip));
    await this.store.put(key, body);
    this.bytes += body.length;
    this.outputs.push(key);
  }

  private checkOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${this.state === 'new' ? 'before open' : 'after close'}`]);
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`stage ${name} must be a positive integer, not ${String(value)}`]);
  return value;
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
