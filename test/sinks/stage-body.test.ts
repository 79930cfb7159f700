import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GzipBody, PlainBody } from '../../src/sinks/stage/stage-body.js';

/** Text like a stage file's: long runs repeated with small changes (what deflate's matches feed on), cut anywhere. */
const content = fc
  .array(fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 12 })
  .map((parts) => Buffer.from(parts.map(([text, times]) => `${text}\n`.repeat(times)).join('')));

function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const bounds = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i]!, end));
}

describe('stage file bodies', () => {
  it('a gzip body is the one-shot gzip of its content at its level, however the content is cut into slices', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.array(fc.nat(), { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), async (bytes, cuts, level) => {
        const body = new GzipBody(level);
        for (const slice of cut(bytes, cuts)) body.add(slice);
        await body.taken();
        expect((await body.finish()).equals(gzipSync(bytes, { level }))).toBe(true);
      }),
      { seed: 20261207, numRuns: 60 },
    );
  });

  it('once a body has taken its slices in, writing over them does not change the file', async () => {
    for (const body of [new GzipBody(6), new PlainBody()]) {
      const bytes = Buffer.from('{"reading":1}\n'.repeat(50_000));
      const slices = cut(Buffer.from(bytes), [7, 300_000, 65_536]);
      for (const slice of slices) body.add(slice);
      await body.taken();
      for (const slice of slices) slice.fill(0x78);
      const file = await body.finish();
      expect(body instanceof GzipBody ? file.equals(gzipSync(bytes)) : file.equals(bytes)).toBe(true);
    }
  });
});
