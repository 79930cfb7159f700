import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { allocateBatch, copyRows, type ReadingBatch } from '../../generator/reading-batch.js';
import type { Scenario } from '../../scenario/scenario.js';
import type { Shard } from '../../scenario/shard.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { jobTag } from '../../util/job-tag.js';
import { checkInt } from '../../util/parse-int.js';
import { claimOutputDir, type OutputClaim } from '../output-claim.js';
import { contiguousParts, createTemporary, PartitionFiles, publish, publishDirectory } from '../partition-files.js';
import type { BatchInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import type { ExchangeFormat, FormatGroup } from './exchange-format.js';
import { defaultFormatDir } from './format-dir.js';

export { defaultFormatDir };

/** The extension of a customer-day part, which is a directory of per-meter files. */
export const CUSTOMER_PART_EXTENSION = 'customers';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Text gathered before it is written: bounds memory to about this many UTF-16 units besides the staged rows. */
const WRITE_CHUNK = 1 << 20;
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface FormatSinkOptions {
  readonly format: ExchangeFormat;
  /** Output directory. Default ./forge-data/<name>. */
  readonly dir?: string | undefined;
  /** Write into a non-empty directory, alongside what is there (parts of other jobs; nothing overwritten). */
  readonly append?: boolean;
  /**
   * Rows staged before a part is cut even though its date is not finished (always at a batch's end, so every
   * meter-day stays whole in one file). Default: the format's, else 1,000,000 (about 80 MB staged).
   */
  readonly maxRowsPerFile?: number;
}

interface Stage {
  readonly localDate: string;
  readonly batches: ReadingBatch[];
  rows: number;
  /** The job's batch sequences staged here (whole batches, in order): the part's name says them. */
  readonly first: number;
  last: number;
}

/**
 * The file name of a meter's file in a customer-day part: its id when that is a plain file name, else `meter-<n>`
 * with its position in the fleet (an imported id may hold '/' or spaces).
 */
export const meterFileName = (fleet: Fleet, meter: number, extension: string): string => {
  const id = fleet.meterIds[meter]!;
  return `${SAFE_FILE_NAME.test(id) && !id.startsWith('meter-') ? id : `meter-${meter}`}.${extension}`;
};

/**
 * A file sink for an exchange format (exchange-format.ts): the format says how a group of readings becomes text,
 * this class gives it what the Parquet/CSV sinks guarantee (files/file-sink.ts), sharing their plumbing:
 * - the output claim and the refusal of a directory holding anything but what the job may share (output-claim.ts);
 * - parts named by job, shard and batch range under `date=YYYY-MM-DD/` (partition-files.ts), so concurrent jobs,
 *   shards and resumes never overwrite or double a file, and the checkpoint is read from the names;
 * - complete or absent: each file is written to an exclusive temporary, synced and linked into place; a customer-day
 *   part is a directory of per-meter files renamed into place whole;
 * - `append` (share the directory), `resume` (keeps the job's contiguous parts, drops its tail) and determinism (the
 *   format is pure and a part holds whole batches, in the job's batch order).
 *
 * Batches are copied as they arrive (the sink must not keep the job's batch) and staged until their date's last batch
 * or `maxRowsPerFile`; then the part is rendered and written in chunks. Memory: one part's rows and one text chunk.
 */
export class FormatSink implements Sink {
  readonly name: string;
  private readonly format: ExchangeFormat;
  private readonly dir: string;
  private readonly append: boolean;
  private readonly maxRowsPerFile: number;
  private files: PartitionFiles | null = null;
  private claim: OutputClaim | null = null;
  private shard: Shard | null = null;
  private scenario: Scenario | null = null;
  private fleet: Fleet | null = null;
  private readonly stages = new Map<string, Stage>();
  private rows = 0;
  private bytes = 0;
  private readonly outputs: string[] = [];
  private readonly temporaries = new Set<string>();
  private readonly state = new SinkState(this);

  constructor(options: FormatSinkOptions) {
    const format = options.format;
    if (!/^[a-z]+$/.test(format.extension)) throw new Error(`format ${format.name}: extension "${format.extension}" is not lower-case letters`);
    this.format = format;
    this.name = format.name;
    this.dir = resolve(options.dir ?? defaultFormatDir(format.name));
    this.append = options.append ?? false;
    this.maxRowsPerFile = checkInt(options.maxRowsPerFile ?? format.maxRowsPerFile ?? 1_000_000, 'maxRowsPerFile', { min: 1 });
  }

  private get partExtension(): string {
    return this.format.grouping === 'customer-day' ? CUSTOMER_PART_EXTENSION : this.format.extension;
  }

  /**
   * Checks the scenario suits the format, then the directory may be written, and claims it (output-claim.ts). With
   * `resume`, the job's temporaries and any part beyond its contiguous checkpoint are removed here.
   */
  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    this.format.check?.(context.scenario, context.fleet);
    const shard = context.scenario.shard ?? null;
    const resume = context.resume ?? false;
    const owner = { tag: jobTag(context.jobId), shard };
    this.shard = shard;
    this.scenario = context.scenario;
    this.fleet = context.fleet;
    this.files = new PartitionFiles(this.dir, this.partExtension, owner);
    this.claim = await claimOutputDir(this.name, this.dir, { ...owner, jobId: context.jobId, resume, append: this.append });
    try {
      if (resume) await this.dropPartialTail();
    } catch (e) {
      await this.claim?.release();
      this.claim = null;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot resume in ${this.dir}: ${errorText(e)}`], { cause: e });
    }
    this.state.opened();
  }

  /** As the file sinks: the last batch S such that every batch 0..S of the job (and shard) is in a whole part, or null. */
  async checkpoint(jobId: string): Promise<number | null> {
    const files = new PartitionFiles(this.dir, this.partExtension, { tag: jobTag(jobId), shard: this.shard });
    const { checkpoint } = contiguousParts((await files.own()).parts);
    return checkpoint < 0 ? null : checkpoint;
  }

  private async dropPartialTail(): Promise<void> {
    const { parts, temporaries } = await this.files!.own();
    const { beyond } = contiguousParts(parts);
    await Promise.all([...temporaries, ...beyond.map((p) => p.path)].map((path) => rm(path, { force: true, recursive: true })));
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (!LOCAL_DATE.test(info.localDate)) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `batch local date "${info.localDate}" is not YYYY-MM-DD`]);
    }
    if (batch.intervalMinutes !== this.scenario!.intervalMinutes) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `a batch of ${batch.intervalMinutes}-minute readings in a ${this.scenario!.intervalMinutes}-minute job`]);
    }
    let stage = this.stages.get(info.localDate);
    if (!stage) {
      stage = { localDate: info.localDate, batches: [], rows: 0, first: info.sequence, last: info.sequence };
      this.stages.set(info.localDate, stage);
    }
    const copy = allocateBatch(batch.length, batch.intervalMinutes);
    copyRows(batch, 0, batch.length, copy, 0);
    stage.batches.push(copy);
    stage.rows += batch.length;
    stage.last = info.sequence;
    this.rows += batch.length;
    if (info.lastOfDate || stage.rows >= this.maxRowsPerFile) await this.export(stage);
  }

  /** Writes every staged row to parts, in place when this resolves. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    for (const stage of [...this.stages.values()]) await this.export(stage);
  }

  async close(): Promise<SinkResult> {
    await this.flush();
    this.state.closing();
    await this.claim?.release();
    return { sink: this.name, rows: this.rows, outputs: [...this.outputs], bytes: this.bytes };
  }

  async abort(_reason: unknown): Promise<void> {
    if (!this.state.closing()) return;
    this.stages.clear();
    await Promise.all([...this.temporaries].map((t) => rm(t, { force: true, recursive: true }).catch(() => undefined)));
    await this.claim?.release();
  }

  private async export(stage: Stage): Promise<void> {
    this.stages.delete(stage.localDate);
    const group = groupOf(this.scenario!, this.fleet!, stage);
    stage.batches.length = 0;
    const target = this.files!.target(stage.localDate, stage.first, stage.last);
    try {
      await mkdir(this.files!.partitionDir(stage.localDate), { recursive: true });
      this.temporaries.add(target.temporary);
      if (this.format.grouping === 'date') {
        await createTemporary(target.temporary);
        await writeText(target.temporary, this.format.render(group));
        await publish(target.temporary, target.path);
        this.bytes += (await stat(target.path)).size;
        this.outputs.push(target.path);
      } else {
        await mkdir(target.temporary);
        const names: string[] = [];
        for (const single of meterGroups(group)) {
          const name = meterFileName(this.fleet!, single.meters[0]!, this.format.extension);
          const path = join(target.temporary, name);
          await createTemporary(path);
          this.bytes += await writeText(path, this.format.render(single), true);
          names.push(name);
        }
        await publishDirectory(target.temporary, target.path);
        for (const name of names) this.outputs.push(join(target.path, name));
      }
      this.temporaries.delete(target.temporary);
    } catch (e) {
      if (e instanceof ForgeError) throw e;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `${stage.localDate}: ${errorText(e)}`], { cause: e });
    }
  }
}

/** Writes `chunks` into the (existing, empty) file `path` in pieces of about WRITE_CHUNK; returns the bytes written. */
async function writeText(path: string, chunks: Iterable<string>, sync = false): Promise<number> {
  const handle = await open(path, 'r+');
  let bytes = 0;
  try {
    let pending: string[] = [];
    let size = 0;
    const drain = async (): Promise<void> => {
      const buffer = Buffer.from(pending.join(''), 'utf8');
      pending = [];
      size = 0;
      await handle.write(buffer, 0, buffer.length, bytes);
      bytes += buffer.length;
    };
    for (const chunk of chunks) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= WRITE_CHUNK) await drain();
    }
    if (size > 0) await drain();
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  return bytes;
}

/** A stage's batches as one group: rows meter by meter (fleet order), each meter's in time order. */
function groupOf(scenario: Scenario, fleet: Fleet, stage: Stage): FormatGroup {
  const n = stage.rows;
  const all = allocateBatch(n, scenario.intervalMinutes);
  let at = 0;
  for (const b of stage.batches) {
    copyRows(b, 0, b.length, all, at);
    at += b.length;
  }
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const dm = all.meterIndex[i]! - all.meterIndex[i - 1]!;
    if (dm < 0 || (dm === 0 && all.tsUtcMs[i]! <= all.tsUtcMs[i - 1]!)) sorted = false;
  }
  let readings = all;
  if (!sorted) {
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => all.meterIndex[a]! - all.meterIndex[b]! || all.tsUtcMs[a]! - all.tsUtcMs[b]!);
    readings = allocateBatch(n, scenario.intervalMinutes);
    for (let i = 0; i < n; i++) copyRows(all, order[i]!, order[i]! + 1, readings, i);
  }
  const meters: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || readings.meterIndex[i] !== readings.meterIndex[i - 1]) {
      meters.push(readings.meterIndex[i]!);
      starts.push(i);
    }
  }
  starts.push(n);
  return { scenario, fleet, localDate: stage.localDate, readings, meters: Uint32Array.from(meters), rowStart: Uint32Array.from(starts) };
}

/** The group of each meter of `group` (sharing its memory). */
function* meterGroups(group: FormatGroup): Generator<FormatGroup> {
  for (let k = 0; k < group.meters.length; k++) {
    const start = group.rowStart[k]!;
    const end = group.rowStart[k + 1]!;
    yield { ...group, meters: group.meters.subarray(k, k + 1), rowStart: Uint32Array.of(0, end - start), readings: sliceRows(group.readings, start, end) };
  }
}

function sliceRows(batch: ReadingBatch, start: number, end: number): ReadingBatch {
  const out = allocateBatch(end - start, batch.intervalMinutes);
  copyRows(batch, start, end, out, 0);
  return out;
}
