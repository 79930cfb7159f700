import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordJson } from '../../src/generator/record-json.js';
import { recordOf, SHAPES } from '../../src/generator/reading-records.js';
import { generatedRecordCases, hostileRecordCases, type RecordCase } from '../support/record-cases.js';

/** Every `step`-th row of the case as RecordJson writes it, and as the sinks wrote before it: the record object, stringified. */
function both({ scenario, fleet, batch }: RecordCase, shape: (typeof SHAPES)[number], step: number): { written: string[]; reference: string[] } {
  const json = new RecordJson(fleet, scenario.area, shape);
  const rows = Array.from({ length: Math.ceil(batch.length / step) }, (_, i) => i * step);
  return { written: rows.map((row) => json.of(batch, row)), reference: rows.map((row) => JSON.stringify(recordOf(batch, row, fleet, scenario.area, shape))) };
}

describe('RecordJson writes exactly what JSON.stringify(recordOf(...)) writes', () => {
  it('for generated scenarios, both shapes, with and without emission times (every row)', () => {
    fc.assert(
      fc.property(generatedRecordCases, fc.constantFrom(...SHAPES), (c, shape) => {
        const { written, reference } = both(c, shape, 1);
        expect(written).toEqual(reference);
      }),
      { seed: 20261206, numRuns: 60 },
    );
  });

  it('for hostile ids and values: quotes, control characters, unicode, -0, NaN and infinities', () => {
    fc.assert(
      fc.property(hostileRecordCases, fc.constantFrom(...SHAPES), (c, shape) => {
        const { written, reference } = both(c, shape, 7);
        expect(written).toEqual(reference);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
