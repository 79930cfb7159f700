import { open, type FileHandle } from 'node:fs/promises';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import type { CsvRowEncoder } from './csv-row-encoder.js';

/** Bytes a write hands to the file system at once. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Writes in flight per file: encoding the next chunk overlaps writing the last ones. */
const WRITES_IN_FLIGHT = 2;
/**
 * Bytes written between two background `datasync`s. The kernel would otherwise keep a whole part in its cache until
 * the part is published (which syncs it): the disk then idles while the part is made and the publish waits for all
 * of it (about 0.7 s for a 190 MB part here). Syncing as it goes keeps the disk busy alongside the encoding.
 */
const SYNC_BYTES = 32 * 1024 * 1024;

/**
 * A CSV part file being written: batches are encoded (CsvRowEncoder) into byte chunks as they arrive and each full
 * chunk is written at its offset while the next fills, so a date is never held in memory. `finish` writes the rest
 * and closes the file (the caller publishes it); `discard` closes it without finishing (the caller removes it).
 *
 * Chunks come from and go back to `pool`, shared by the stages of one sink.
 */
export class CsvStage {
  private chunk: Uint8Array;
  private pos: number;
  private offset = 0;
  private readonly writes: Promise<void>[] = [];
  private failure: unknown = null;
  private synced = 0;
  private sync: Promise<void> | null = null;

  private constructor(
    private readonly handle: FileHandle,
    private readonly encoder: CsvRowEncoder,
    private readonly pool: Uint8Array[],
    /** The file being written (the caller's exclusive temporary). */
    readonly path: string,
  ) {
    this.chunk = pool.pop() ?? new Uint8Array(CHUNK_BYTES);
    this.chunk.set(encoder.header);
    this.pos = encoder.header.length;
  }

  /** Creates `path` exclusively (never another writer's file) and starts it with the header. */
  static async open(path: string, encoder: CsvRowEncoder, pool: Uint8Array[]): Promise<CsvStage> {
    return new CsvStage(await open(path, 'wx'), encoder, pool, path);
  }

  /** Encodes the batch; resolves when it is all encoded (the batch may then be reused), at most two chunks unwritten. */
  async append(batch: ReadingBatch): Promise<void> {
    let row = 0;
    for (;;) {
      row = this.encoder.encode(batch, row, this.chunk, this.pos);
      this.pos = this.encoder.end;
      if (row >= batch.length) return;
      await this.writeChunk();
    }
  }

  /** Writes what is left, waits for every write and closes the file. */
  async finish(): Promise<void> {
    try {
      if (this.pos > 0) await this.writeChunk();
      await Promise.all(this.writes);
      await this.sync;
      if (this.failure !== null) throw this.failure;
    } finally {
      this.pool.push(this.chunk);
      await this.handle.close();
    }
  }

  /** Closes the file without writing the rest (errors of writes in flight are dropped: the file is thrown away). */
  async discard(): Promise<void> {
    await Promise.allSettled([...this.writes, this.sync]);
    await this.handle.close().catch(() => undefined);
  }

  /** Hands the current chunk to the file system and takes a free one, first waiting for the oldest write if need be. */
  private async writeChunk(): Promise<void> {
    const chunk = this.chunk;
    const length = this.pos;
    const at = this.offset;
    this.offset += length;
    const write = writeAll(this.handle, chunk, length, at).then(
      () => {
        this.writes.splice(this.writes.indexOf(write), 1);
        this.pool.push(chunk);
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
    this.writes.push(write);
    if (this.writes.length >= WRITES_IN_FLIGHT) await this.writes[0];
    if (this.sync === null && this.offset - this.synced >= SYNC_BYTES) this.startSync();
    if (this.failure !== null) throw this.failure;
    this.chunk = this.pool.pop() ?? new Uint8Array(CHUNK_BYTES);
    this.pos = 0;
  }

  /** Flushes what is written so far to the disk in the background (one sync at a time). */
  private startSync(): void {
    const upTo = this.offset;
    this.sync = Promise.all(this.writes).then(() => this.handle.datasync()).then(
      () => {
        this.synced = upTo;
        this.sync = null;
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
  }
}

/** Writes bytes [0, length) of `chunk` at `at`, however many calls the file system takes. */
async function writeAll(handle: FileHandle, chunk: Uint8Array, length: number, at: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesWritten } = await handle.write(chunk, done, length - done, at + done);
    done += bytesWritten;
  }
}
