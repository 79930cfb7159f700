/**
 * Byte chunks of one size kept for reuse: a producer that fills chunks as fast as a consumer frees them (the stage
 * sink's lines, compressed on libuv's threads) writes into memory already mapped, instead of a fresh chunk the kernel
 * must fault in page by page. At most `keep` chunks wait here; the rest are left to the garbage collector.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** Takes chunks back: nothing may read or write them afterwards. */
  give(chunks: readonly Buffer[]): void {
    for (const chunk of chunks) if (chunk.length === this.size && this.free.length < this.keep) this.free.push(chunk);
  }
}
