import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { transformerRecords } from '../../src/fleet/transformer-records.js';
import { skipReason } from '../../src/pipeline/stage-loader.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { parseTransformerKey, transformerStageKey } from '../../src/stage/transformer-keys.js';

describe('transformer files of the stage', () => {
  it('a key parses back to its owner and compression; the loader takes it, and refuses look-alikes (generated)', () => {
    const owner = fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/);
    fc.assert(
      fc.property(owner, fc.boolean(), (o, gzip) => {
        const key = transformerStageKey(o, gzip);
        expect(parseTransformerKey(key)).toEqual({ owner: o, gzip });
        expect(skipReason(key)).toBeNull();
        for (const bad of [key.replace('raw/transformers/', 'raw/transformer/'), key.replace('.ndjson', '.json'), `${key}.tmp`, key.replace('transformers_', 'transformers-')]) {
          expect(parseTransformerKey(bad)).toBeNull();
          expect(skipReason(bad)).not.toBeNull();
        }
      }),
      { seed: 1406, numRuns: 200 },
    );
  });

  it('records name each transformer of a shard\'s meters once, with its rating, its meters counted, three-phase when a C&I meter is behind it (generated ranges)', () => {
    const fleet = buildFleet(resolveScenario({ meters: 400, days: 1, start: '2026-07-01' }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const records = transformerRecords(fleet, start, end);
        const expected = new Map<number, { meters: number; ci: boolean }>();
        for (let i = start; i < end; i++) {
          const t = fleet.transformer[i]!;
          const e = expected.get(t) ?? { meters: 0, ci: false };
          e.meters++;
          e.ci ||= fleet.segment[i] !== 0;
          expected.set(t, e);
        }
        expect(records).toHaveLength(expected.size);
        expect(records.reduce((s, r) => s + r.meters, 0)).toBe(end - start);
        for (const r of records) {
          const t = fleet.transformerIds.indexOf(r.transformer_id);
          expect(r.kva).toBe(fleet.transformerKva[t]);
          expect(r.meters).toBe(expected.get(t)!.meters);
          expect(r.phases).toBe(expected.get(t)!.ci ? 3 : 1);
        }
      }),
      { seed: 1407, numRuns: 60 },
    );
  });
});
