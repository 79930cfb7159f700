import { createGzip, type Gzip } from 'node:zlib';
import { ByteChunks } from '../../util/byte-chunks.js';

/**
 * A stage file's content while it fills: slices of bytes are added as they come, and `finish` gives the file's bytes.
 * `taken` settles once what was added so far is taken in (compressed, or copied) and no longer read: the caller may
 * then reuse the slices' memory, and can let a batch's lines be built while the last batch's compress.
 */
export interface StageBody {
  /** Adds bytes the body reads until `taken` settles. */
  add(bytes: Uint8Array): void;
  taken(): Promise<void>;
  finish(): Promise<Buffer>;
  /** Drops the content (the file is not landed). */
  discard(): void;
}

/** Content copied as it is added, whole at `finish` (uncompressed text, or NDJSON that becomes Parquet). */
export class PlainBody implements StageBody {
  private readonly text = new ByteChunks();

  add(bytes: Uint8Array): void {
    this.text.reserve(bytes.length);
    this.text.putBytes(bytes);
  }

  taken(): Promise<void> {
    return Promise.resolve();
  }

  finish(): Promise<Buffer> {
    return Promise.resolve(this.text.toBuffer());
  }

  /** Nothing to release: the content goes with the body. */
  discard(): void {}
}

/**
 * Content gzipped as it is added, on libuv's threads while the caller goes on: zlib's output does not depend on how
 * its input is cut (no flush before the end), so the file is byte for byte the one-shot `gzip` of its lines, without
 * the whole text ever held or joined (joining a 64 MiB file's chunks, in fresh memory, was a fifth of the main
 * thread's time).
 */
export class GzipBody implements StageBody {
  private readonly zip: Gzip;
  private readonly out: Buffer[] = [];
  private pending: Promise<void> = Promise.resolve();
  private readonly ended: Promise<Buffer>;

  constructor(level: number) {
    this.zip = createGzip({ level });
    this.zip.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.ended = new Promise<Buffer>((resolve, reject) => {
      this.zip.once('end', () => resolve(Buffer.concat(this.out)));
      this.zip.once('error', reject);
    });
    // A failure is reported by `taken` or `finish`, not as an unhandled rejection.
    this.ended.catch(() => undefined);
  }

  add(bytes: Uint8Array): void {
    this.pending = new Promise<void>((resolve, reject) => {
      this.zip.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
    this.pending.catch(() => undefined);
  }

  /** Writes are taken in order: the last one's callback means all before it were compressed too. */
  async taken(): Promise<void> {
    await Promise.race([this.pending, this.ended]);
  }

  finish(): Promise<Buffer> {
    this.zip.end();
    return this.ended;
  }

  discard(): void {
    this.zip.destroy();
  }
}
