import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteChunks } from '../../src/util/byte-chunks.js';

describe('ByteChunks', () => {
  it('holds exactly the UTF-8 of the texts appended (as text or as bytes), whatever the chunk size and text lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean()), { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (parts, chunkSize) => {
        const chunks = new ByteChunks(chunkSize);
        for (const [t, asBytes] of parts) {
          if (asBytes) chunks.appendBytes(Buffer.from(t, 'utf8'));
          else chunks.append(t);
        }
        const texts = parts.map(([t]) => t);
        const expected = Buffer.from(texts.join(''), 'utf8');
        expect(chunks.bytes).toBe(expected.length);
        expect(chunks.toBuffer().equals(expected)).toBe(true);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
