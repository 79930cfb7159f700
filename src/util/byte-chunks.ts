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

  /** Everything appended, as one buffer; the chunks are not to be appended to afterwards. */
  toBuffer(): Buffer {
    this.seal();
    this.chunk = Buffer.alloc(0);
    return this.sealed.length === 1 ? this.sealed[0]! : Buffer.concat(this.sealed, this.bytes);
  }

  private seal(): void {
    if (this.used > 0) this.sealed.push(this.chunk.subarray(0, this.used));
    this.used = 0;
  }
}
