/**
 * Text appended as UTF-8 into byte chunks of a fixed size: no string of the whole is ever built (a file of a million
 * lines joined first costs a second copy and the garbage collector's time), and `toBuffer` copies each byte once.
 */
export class ByteChunks {
  private readonly sealed: Buffer[] = [];
  private chunk: Buffer;
  private used = 0;
  /** UTF-8 bytes appended so far. */
  bytes = 0;

  constructor(private readonly chunkSize = 4 * 2 ** 20) {
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  append(text: string): void {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: room for that many means the text never splits.
    if (this.used + text.length * 3 > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkSize, text.length * 3));
    }
    const written = this.chunk.write(text, this.used, 'utf8');
    this.used += written;
    this.bytes += written;
  }

  /** Appends bytes as they are (UTF-8 already). */
  appendBytes(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkSize, bytes.length));
    }
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
    this.bytes += bytes.length;
  }

  /**
   * Makes room for `n` more bytes in the current chunk, for `putBytes` and `putAscii` to follow without a check of
   * their own: what they put after a `reserve` must come to at most `n` bytes (a caller that knows its exact length).
   */
  reserve(n: number): void {
    if (this.used + n > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkSize, n));
    }
  }

  /** Puts bytes within the room `reserve` made. */
  putBytes(bytes: Uint8Array): void {
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
    this.bytes += bytes.length;
  }

  /** Puts ASCII text (one byte a character) within the room `reserve` made. */
  putAscii(text: string): void {
    const written = this.chunk.write(text, this.used, 'latin1');
    this.used += written;
    this.bytes += written;
  }

  /** Everything appended, as one buffer; the chunks are not to be appended to afterwards. */
  toBuffer(): Buffer {
    this.finish();
    return this.sealed.length === 1 ? this.sealed[0]! : Buffer.concat(this.sealed, this.bytes);
  }

  /**
   * Appends bytes `from` to `to` (offsets in what `source` holds) of `source`, whose appends are done, a chunk at a
   * time: no buffer of the whole source is made.
   */
  appendRange(source: ByteChunks, from: number, to: number): void {
    source.finish();
    let start = 0;
    for (const chunk of source.sealed) {
      const end = start + chunk.length;
      if (end > from && start < to) this.appendBytes(chunk.subarray(Math.max(from, start) - start, Math.min(to, end) - start));
      if (end >= to) break;
      start = end;
    }
  }

  /** Seals the open chunk for good: appends that follow would write into sealed bytes. */
  private finish(): void {
    this.seal();
    this.chunk = Buffer.alloc(0);
  }

  private seal(): void {
    if (this.used > 0) this.sealed.push(this.chunk.subarray(0, this.used));
    this.used = 0;
  }
}
