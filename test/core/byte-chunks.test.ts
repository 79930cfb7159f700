import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteChunks } from '../../src/util/byte-chunks.js';
import { ChunkPool } from '../../src/util/chunk-pool.js';
import { writeAscii } from '../../src/util/write-ascii.js';

/** ASCII text put as a hot loop does: room reserved, bytes written into the open chunk at its offset, then counted. */
function putAscii(chunks: ByteChunks, text: string): void {
  chunks.reserve(text.length);
  chunks.advance(writeAscii(text, chunks.buffer, chunks.offset) - chunks.offset);
}

describe('ByteChunks', () => {
  it('holds exactly the UTF-8 of the texts appended (as text or as bytes), whatever the chunk size and text lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean()), { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (parts, chunkSize) => {
        const chunks = new ByteChunks(chunkSize);
        for (const [t, asBytes] of parts) {
          if (asBytes) {
            const bytes = Buffer.from(t, 'utf8');
            chunks.reserve(bytes.length);
            chunks.putBytes(bytes);
          } else chunks.append(t);
        }
        const texts = parts.map(([t]) => t);
        const expected = Buffer.from(texts.join(''), 'utf8');
        expect(chunks.bytes).toBe(expected.length);
        expect(chunks.toBuffer().equals(expected)).toBe(true);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });

  it('gives any range (reserved puts and bytes written at its offset included) as views into its chunks, equal to that range of its bytes, and later appends never write into them', () => {
    const part = fc.oneof(
      fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'binary', maxLength: 40 }) }),
      fc.record({ kind: fc.constant('ascii' as const), text: fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.array(fc.nat(), { minLength: 2, maxLength: 8 }), (parts, sourceChunk, laterLength, cuts) => {
        const source = new ByteChunks(sourceChunk);
        for (const p of parts) {
          if (p.kind === 'text') source.append(p.text);
          else putAscii(source, p.text);
        }
        const expected = Buffer.from(parts.map((p) => p.text).join(''), 'utf8');
        // Consecutive ranges that cover the whole source, as the stage sink hands a batch to its files.
        const bounds = [0, ...cuts.map((c) => c % (expected.length + 1)).sort((a, b) => a - b), expected.length];
        const pieces = [];
        for (let i = 1; i < bounds.length; i++) {
          const piece = Buffer.concat(source.slices(bounds[i - 1]!, bounds[i]!));
          expect(piece.equals(expected.subarray(bounds[i - 1]!, bounds[i]!))).toBe(true);
          pieces.push(source.slices(bounds[i - 1]!, bounds[i]!));
        }
        source.append('x'.repeat(laterLength));
        expect(Buffer.concat(pieces.flat()).equals(expected)).toBe(true);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });

  it('takes its chunks from a pool and gives them back on recycle: each text comes whole, in memory used before', () => {
    // Where a chunk lies: small buffers share one slab, so identity is the slab and the offset in it.
    const place = (v: Buffer): string => `${v.byteOffset}`;
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 30 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 48 }), (texts, size) => {
        const pool = new ChunkPool(size, 4);
        for (const parts of texts) {
          const chunks = new ByteChunks(pool);
          for (const t of parts) chunks.append(t);
          expect(Buffer.concat(chunks.slices(0, chunks.bytes)).equals(Buffer.from(parts.join(''), 'utf8'))).toBe(true);
          chunks.recycle();
        }
      }),
      { seed: 20261208, numRuns: 200 },
    );
    const pool = new ChunkPool(64, 4);
    const first = new ByteChunks(pool);
    for (const text of ['a'.repeat(40), 'c'.repeat(40)]) putAscii(first, text);
    const used = first.slices(0, first.bytes);
    const places = new Map(used.map((v) => [place(v), v.buffer]));
    first.recycle();
    const second = new ByteChunks(pool);
    putAscii(second, 'b'.repeat(40));
    const [view] = second.slices(0, second.bytes);
    expect(places.get(place(view!))).toBe(view!.buffer);
    expect(view!.toString()).toBe('b'.repeat(40));
  });
});
