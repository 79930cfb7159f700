import { describe, expect, it } from 'vitest';
import { previewRecords } from '../../src/generator/preview-records.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { GeneratorCache } from '../../src/server/generator-cache.js';

describe('GeneratorCache', () => {
  it('builds a scenario once, and its previews equal those of a fresh generator', () => {
    const cache = new GeneratorCache();
    const scenario = resolveScenario({ meters: 300, area: 'ERCOT', seed: 5 });
    const first = cache.get(scenario);
    // The same scenario however it was written: the key is the resolved scenario.
    expect(cache.get(resolveScenario({ meters: '300', area: 'ercot', seed: 5 }))).toBe(first);
    expect(previewRecords(scenario, 50, 'flat', first)).toEqual(previewRecords(scenario, 50, 'flat'));
    // A second use of the cached generator gives the same records again.
    expect(previewRecords(scenario, 50, 'nested', first)).toEqual(previewRecords(scenario, 50, 'nested'));
  });

  it('keeps the most recently used generators within its meter budget', () => {
    const cache = new GeneratorCache(1_000);
    const a = resolveScenario({ meters: 400, seed: 1 });
    const b = resolveScenario({ meters: 400, seed: 2 });
    const c = resolveScenario({ meters: 400, seed: 3 });
    const ga = cache.get(a);
    cache.get(b);
    expect(cache.get(a)).toBe(ga); // a is now the most recent
    cache.get(c); // 1,200 meters: the least recently used (b) goes
    expect(cache.size).toBe(2);
    expect(cache.get(a)).toBe(ga);
    // One fleet larger than the budget is still served (and kept alone).
    const big = resolveScenario({ meters: 2_000 });
    cache.get(big);
    expect(cache.size).toBe(1);
  });
});
