import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageBytes } from '../../src/generator/message-bytes.js';
import { recordOf } from '../../src/generator/reading-records.js';
import { generatedRecordCases, hostileRecordCases, type RecordCase } from '../support/record-cases.js';

/**
 * Every row of the case, `passes` times over, as MessageBytes gives it; compared only once all are written, so a
 * payload a later message overwrote (a chunk used again while a client still holds a view of it) shows.
 */
function mismatches({ scenario, fleet, batch }: RecordCase, passes: number): string[] {
  const messages = new MessageBytes(fleet, scenario.area);
  const payloads: Buffer[] = [];
  for (let p = 0; p < passes; p++) for (let row = 0; row < batch.length; row++) payloads.push(messages.of(batch, row));
  const wrong: string[] = [];
  payloads.forEach((payload, i) => {
    const row = i % batch.length;
    const expected = Buffer.from(JSON.stringify(recordOf(batch, row, fleet, scenario.area, 'nested')), 'utf8');
    if (!payload.equals(expected)) wrong.push(`row ${row}, pass ${Math.floor(i / batch.length)}: ${payload.toString('utf8')} instead of ${expected.toString('utf8')}`);
  });
  return wrong;
}

describe('MessageBytes gives each reading\'s message as the bytes of JSON.stringify(recordOf(...))', () => {
  it('for generated scenarios, every payload still intact after megabytes of later messages', () => {
    fc.assert(
      fc.property(generatedRecordCases, (c) => {
        // At least 2 MiB of messages (about 600 bytes each): the writer moves past its first chunks.
        const passes = Math.ceil((2 * 2 ** 20) / (600 * c.batch.length));
        expect(mismatches(c, passes)).toEqual([]);
      }),
      { seed: 20261208, numRuns: 12 },
    );
  });

  it('for hostile ids and values: quotes, control characters, unicode, lone surrogates, -0, NaN and infinities', () => {
    fc.assert(
      fc.property(hostileRecordCases, (c) => {
        expect(mismatches(c, 1)).toEqual([]);
      }),
      { seed: 44, numRuns: 100 },
    );
  });
});
