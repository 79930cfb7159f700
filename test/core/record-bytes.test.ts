import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordBytes } from '../../src/generator/record-bytes.js';
import { recordOf } from '../../src/generator/reading-records.js';
import { ByteChunks } from '../../src/util/byte-chunks.js';
import { generatedRecordCases, hostileRecordCases, type RecordCase } from '../support/record-cases.js';

/**
 * Every `step`-th row of the case as RecordBytes writes it (into chunks of `chunkSize`, so lines cross chunk ends),
 * and as the stage sink wrote before it: each record object stringified, a line each, as UTF-8.
 */
function both({ scenario, fleet, batch }: RecordCase, step: number, chunkSize: number): { written: string; reference: string } {
  const rows = Array.from({ length: Math.ceil(batch.length / step) }, (_, i) => i * step);
  const out = new ByteChunks(chunkSize);
  const bytes = new RecordBytes(fleet, scenario.area);
  for (const row of rows) bytes.append(batch, row, out);
  const reference = Buffer.from(rows.map((row) => `${JSON.stringify(recordOf(batch, row, fleet, scenario.area, 'nested'))}\n`).join(''), 'utf8');
  // Compared as bytes, shown as text when they differ.
  const written = out.toBuffer();
  return written.equals(reference) ? { written: 'equal', reference: 'equal' } : { written: written.toString('utf8'), reference: reference.toString('utf8') };
}

describe('RecordBytes writes exactly the bytes of JSON.stringify(recordOf(...)) and a newline', () => {
  it('for generated scenarios, with and without emission times (every row)', () => {
    fc.assert(
      fc.property(generatedRecordCases, fc.integer({ min: 1, max: 4096 }), (c, chunkSize) => {
        const { written, reference } = both(c, 1, chunkSize);
        expect(written).toBe(reference);
      }),
      { seed: 20261207, numRuns: 60 },
    );
  });

  it('for hostile ids and values: quotes, control characters, unicode, lone surrogates, -0, NaN and infinities', () => {
    fc.assert(
      fc.property(hostileRecordCases, (c) => {
        const { written, reference } = both(c, 7, 64);
        expect(written).toBe(reference);
      }),
      { seed: 43, numRuns: 200 },
    );
  });
});
