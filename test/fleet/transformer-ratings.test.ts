import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { LARGEST_PAD_KVA, NAMEPLATE_POWER_FACTOR, residentialPeakKw, SINGLE_PHASE_KVA, standardSize, THREE_PHASE_KVA, transformerRatings } from '../../src/fleet/transformer-ratings.js';
import { resolveScenario } from '../../src/scenario/scenario.js';

describe('transformer ratings', () => {
  it('gives every transformer of an invented fleet a standard size: single-phase behind homes, three-phase behind C&I, banks of the largest beyond it', () => {
    const fleet = buildFleet(resolveScenario({ meters: 5000, days: 1, start: '2026-07-01' }));
    expect(fleet.transformerKva.length).toBe(fleet.transformerIds.length);
    const ci = new Set<number>();
    for (let i = 0; i < fleet.size; i++) if (fleet.segment[i] !== 0) ci.add(fleet.transformer[i]!);
    let banks = 0;
    for (let t = 0; t < fleet.transformerKva.length; t++) {
      const kva = fleet.transformerKva[t]!;
      // The largest CBECS buildings need more than one 2,500 kVA unit (about 1 building in 700).
      if (ci.has(t) && kva > LARGEST_PAD_KVA) {
        expect(kva % LARGEST_PAD_KVA).toBe(0);
        banks++;
        continue;
      }
      const sizes: readonly number[] = ci.has(t) ? THREE_PHASE_KVA : SINGLE_PHASE_KVA;
      expect(sizes).toContain(kva);
    }
    expect(banks).toBeLessThan(10);
    // Homes mostly on 15 to 50 kVA units (a handful of homes each), not all on one size.
    const homeSizes = new Set<number>();
    for (let t = 0; t < fleet.transformerKva.length; t++) if (!ci.has(t)) homeSizes.add(fleet.transformerKva[t]!);
    expect(homeSizes.size).toBeGreaterThanOrEqual(4);
  });

  it('is the same for the same seed and differs for another', () => {
    const a = buildFleet(resolveScenario({ meters: 2000, days: 1, start: '2026-07-01' }));
    const b = buildFleet(resolveScenario({ meters: 2000, days: 1, start: '2026-07-01' }));
    const c = buildFleet(resolveScenario({ meters: 2000, days: 1, start: '2026-07-01', seed: 7 }));
    expect(Array.from(a.transformerKva)).toEqual(Array.from(b.transformerKva));
    expect(Array.from(a.transformerKva)).not.toEqual(Array.from(c.transformerKva));
  });

  it('keeps a given rating and never rates a transformer below what its homes need by more than one size (generated)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.2, max: 6, noNaN: true }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 1000 }), (means, seed) => {
        const n = means.length;
        const input = { size: n, segment: new Uint8Array(n), transformer: new Uint32Array(n), meanKw: Float64Array.from(means), evKw: new Float64Array(n) };
        const [kva] = transformerRatings(input, 1, seed, [0]);
        const needed = residentialPeakKw(n, means.reduce((s, m) => s + m, 0)) / 0.9 / 1.2;
        const at = SINGLE_PHASE_KVA.indexOf(standardSize(SINGLE_PHASE_KVA, needed) as (typeof SINGLE_PHASE_KVA)[number]);
        expect(SINGLE_PHASE_KVA.indexOf(kva as (typeof SINGLE_PHASE_KVA)[number])).toBeGreaterThanOrEqual(at - 1);
        expect(transformerRatings(input, 1, seed, [0], Float64Array.of(333))[0]).toBe(333);
      }),
      { seed: 14, numRuns: 200 },
    );
  });

  it('rates a commercial load beyond the largest pad unit as a bank of such units that carries it, give or take one unit (generated)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1_100, max: 2_500, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (meanKw, seed) => {
        const input = { size: 1, segment: Uint8Array.of(1), transformer: new Uint32Array(1), meanKw: Float64Array.of(meanKw), evKw: new Float64Array(1) };
        const [kva] = transformerRatings(input, 1, seed, [0]);
        // A commercial service peaks at its mean over a load factor of 0.45.
        const needed = meanKw / 0.45 / NAMEPLATE_POWER_FACTOR;
        expect(kva! % LARGEST_PAD_KVA).toBe(0);
        expect(kva!).toBeGreaterThanOrEqual(Math.max(LARGEST_PAD_KVA, Math.ceil(needed / LARGEST_PAD_KVA) * LARGEST_PAD_KVA - LARGEST_PAD_KVA));
        expect(kva!).toBeLessThanOrEqual(Math.ceil(needed / LARGEST_PAD_KVA) * LARGEST_PAD_KVA + LARGEST_PAD_KVA);
      }),
      { seed: 14, numRuns: 200 },
    );
  });

  it('picks the smallest standard size that carries the load, the largest beyond it', () => {
    expect(standardSize(SINGLE_PHASE_KVA, 26)).toBe(37.5);
    expect(standardSize(SINGLE_PHASE_KVA, 25)).toBe(25);
    expect(standardSize(THREE_PHASE_KVA, 9000)).toBe(2500);
  });
});
