import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteChunks } from '../../src/util/byte-chunks.js';

describe('ByteChunks', () => {
  it('holds exactly the UTF-8 of the texts appended, whatever the chunk size and text lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (texts, chunkSize) => {
        const chunks = new ByteChunks(chunkSize);
        for (const t of texts) chunks.append(t);
        const expected = Buffer.from(texts.join(''), 'utf8');
        expect(chunks.bytes).toBe(expected.length);
        expect(chunks.toBuffer().equals(expected)).toBe(true);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
