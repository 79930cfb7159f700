import type { ChunkPool } from './chunk-pool.js';

const EMPTY = Buffer.alloc(0);

/**
 * Text appended as UTF-8 into byte chunks of a fixed size: no string of the whole is ever built (a file of a million
 * lines joined first costs a second copy and the garbage collector's time), and `toBuffer` copies each byte once.
 */
export class ByteChunks {
  private readonly sealed: Buffer[] = [];
  /** Every chunk taken, whole (what `recycle` gives back). */
  private readonly owned: Buffer[] = [];
  private readonly chunkSize: number;
  private readonly pool: ChunkPool | null;
  private chunk: Buffer;
  private used = 0;
  /** UTF-8 bytes appended so far. */
  bytes = 0;

  /** `chunks`: the size of a chunk, or a pool to take chunks of its size from (and `recycle` them to). */
  constructor(chunks: number | ChunkPool = 4 * 2 ** 20) {
    this.pool = typeof chunks === 'number' ? null : chunks;
    this.chunkSize = typeof chunks === 'number' ? chunks : chunks.size;
    this.chunk = this.take(0);
  }

  append(text: string): void {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: room for that many means the text never splits.
    if (this.used + text.length * 3 > this.chunk.length) {
      this.seal();
      this.chunk = this.take(text.length * 3);
    }
    const written = this.chunk.write(text, this.used, 'utf8');
    this.used += written;
    this.bytes += written;
  }

  /**
   * Makes room for `n` more bytes in the current chunk, for `putBytes` or a write at `offset` to follow without a
   * check of their own: what they put after a `reserve` must come to at most `n` bytes (a caller that knows its
   * length, or a bound of it).
   */
  reserve(n: number): void {
    if (this.used + n > this.chunk.length) {
      this.seal();
      this.chunk = this.take(n);
    }
  }

  /** Puts bytes within the room `reserve` made. */
  putBytes(bytes: Uint8Array): void {
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
    this.bytes += bytes.length;
  }

  /**
   * The open chunk, for a writer that puts bytes at `offset` within the room `reserve` made and then tells `advance`
   * how many it put (a hot loop's own byte writes, without a call per piece).
   */
  get buffer(): Buffer {
    return this.chunk;
  }

  /** Where the next byte goes in `buffer`. */
  get offset(): number {
    return this.used;
  }

  /** Counts `n` bytes put into `buffer` at `offset`. */
  advance(n: number): void {
    this.used += n;
    this.bytes += n;
  }

  /** Everything appended, as one buffer; the chunks are not to be appended to afterwards. */
  toBuffer(): Buffer {
    this.finish();
    return this.sealed.length === 1 ? this.sealed[0]! : Buffer.concat(this.sealed, this.bytes);
  }

  /**
   * Bytes `from` to `to` (offsets in what was appended) as views into the chunks, in order: nothing is copied. The open
   * chunk is sealed first, so what is appended afterwards goes to a new chunk and never into a view given out.
   */
  slices(from: number, to: number): Buffer[] {
    this.finish();
    const out: Buffer[] = [];
    let start = 0;
    for (const chunk of this.sealed) {
      const end = start + chunk.length;
      if (end > from && start < to) out.push(chunk.subarray(Math.max(from, start) - start, Math.min(to, end) - start));
      if (end >= to) break;
      start = end;
    }
    return out;
  }

  /**
   * Gives the chunks back to the pool they came from (when there is one): nothing may read this or the views it gave
   * out afterwards.
   */
  recycle(): void {
    this.finish();
    this.pool?.give(this.owned);
    this.owned.length = 0;
    this.sealed.length = 0;
  }

  /** A chunk with room for at least `n` bytes. */
  private take(n: number): Buffer {
    const chunk = this.pool && n <= this.chunkSize ? this.pool.take() : Buffer.allocUnsafe(Math.max(this.chunkSize, n));
    this.owned.push(chunk);
    return chunk;
  }

  /** Seals the open chunk for good: an append that follows takes a new chunk, never the rest of a sealed one. */
  private finish(): void {
    this.seal();
    this.chunk = EMPTY;
  }

  private seal(): void {
    if (this.used > 0) this.sealed.push(this.chunk.subarray(0, this.used));
    this.used = 0;
  }
}
