import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILDING_SIZE_CLASSES,
  buildingSizeMultiplier,
  MAX_BUILDING_KW,
  SIZE_MIX_GEOMETRIC_RATIO,
  SIZE_MIX_MEAN_MWH,
  sizeClassOf,
  WITHIN_CLASS_CV,
} from '../../src/fleet/building-sizes.js';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { PROFILES } from '../../src/fleet/load-profiles.js';
import { NO_SIZE_CLASS } from '../../src/fleet/meter-traits.js';
import { stratifiedSequence } from '../../src/fleet/stratified-draw.js';
import { resolveScenario } from '../../src/scenario/scenario.js';

const commercialFleet = (meters: number, seed: number): Fleet => buildFleet(resolveScenario({ meters, seed, segment: 'COMMERCIAL', days: 1, start: '2025-01-01' }));
const annualMwh = (fleet: Fleet, i: number): number => (fleet.traits.meanKw[i]! * 8760) / 1000;

describe('CBECS size classes', () => {
  it('the mix: shares sum to 1, mean about 231 MWh (CBECS all buildings 237), coefficient of variation about 3.4', () => {
    expect(BUILDING_SIZE_CLASSES.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 12);
    expect(SIZE_MIX_MEAN_MWH).toBeGreaterThan(229);
    expect(SIZE_MIX_MEAN_MWH).toBeLessThan(233);
    const second = BUILDING_SIZE_CLASSES.reduce((s, c) => s + c.share * c.meanMwh ** 2, 0);
    const cv = Math.sqrt(second - SIZE_MIX_MEAN_MWH ** 2) / SIZE_MIX_MEAN_MWH;
    expect(cv).toBeGreaterThan(3.3);
    expect(cv).toBeLessThan(3.5);
    expect(sizeClassOf(0)).toBe(0);
    expect(sizeClassOf(0.4972)).toBe(0);
    expect(sizeClassOf(0.9999)).toBe(7);
    // The multiplier's mean over the mix is 1: a building type keeps its mean level.
    const mean = BUILDING_SIZE_CLASSES.reduce((s, c, k) => s + c.share * buildingSizeMultiplier(k, 0) * Math.sqrt(1 + WITHIN_CLASS_CV ** 2), 0);
    expect(mean).toBeCloseTo(1, 6);
  });

  it('stratifiedSequence: any 2^m consecutive draws from a multiple of 2^m hit every interval of width 2^-m once (generated)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 200 }), (seed, key, m, block) => {
        const size = 2 ** m;
        const hit = new Uint8Array(size);
        for (let k = 0; k < size; k++) {
          const u = stratifiedSequence(seed, 12, key, block * size + k);
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          hit[Math.floor(u * size)]!++;
        }
        expect(Array.from(hit).every((h) => h === 1)).toBe(true);
      }),
      { seed: 14, numRuns: 60 },
    );
  });

  it('a fleet of 1,000 commercial meters has CBECS class shares within 8 buildings of each class (independent draws: about 16)', () => {
    for (const seed of [1, 7, 42]) {
      const fleet = commercialFleet(1_000, seed);
      const counts = new Array<number>(BUILDING_SIZE_CLASSES.length).fill(0);
      for (let i = 0; i < fleet.size; i++) counts[fleet.traits.sizeClass[i]!]!++;
      BUILDING_SIZE_CLASSES.forEach((c, k) => expect(Math.abs(counts[k]! - 1_000 * c.share), `seed ${seed} ${c.name}: ${counts[k]}`).toBeLessThanOrEqual(8));
      // Over 500,000 sq ft: 1.4 expected, 0 to 3 (one draw per building type).
      expect(counts[7]).toBeLessThanOrEqual(3);
      // The largest buildings are there: over 100,000 sq ft is 2.4% of buildings.
      expect(counts[5]! + counts[6]! + counts[7]!).toBeGreaterThanOrEqual(16);
    }
  });

  it('keeps each building type mean level and the overall mean near CBECS 237 MWh (50,000 commercial meters)', () => {
    const fleet = commercialFleet(50_000, 42);
    const byType = new Map<number, number[]>();
    let total = 0;
    for (let i = 0; i < fleet.size; i++) {
      const mwh = annualMwh(fleet, i);
      total += mwh;
      const list = byType.get(fleet.traits.profile[i]!) ?? [];
      list.push(mwh);
      byType.set(fleet.traits.profile[i]!, list);
    }
    // MAX_BUILDING_KW trims the largest class by about a tenth: the mean is a little under the mix's 231.
    expect(Math.abs(total / fleet.size / 237 - 1)).toBeLessThan(0.05);
    expect(byType.size).toBe(6);
    for (const [code, levels] of byType) {
      const typeMwh = (PROFILES[code]!.meanKw * 8760) / 1000;
      const mean = levels.reduce((s, v) => s + v, 0) / levels.length;
      const geometric = Math.exp(levels.reduce((s, v) => s + Math.log(v), 0) / levels.length);
      expect(Math.abs(mean / typeMwh - 1), `${PROFILES[code]!.name} mean ${mean}`).toBeLessThan(0.08);
      expect(Math.abs(geometric / (typeMwh * SIZE_MIX_GEOMETRIC_RATIO) - 1), `${PROFILES[code]!.name} geometric ${geometric}`).toBeLessThan(0.03);
    }
  });

  it('levels spread like CBECS buildings: most small, the largest above 10 GWh and none above the largest service', () => {
    const fleet = commercialFleet(20_000, 7);
    const levels = Array.from({ length: fleet.size }, (_, i) => annualMwh(fleet, i)).sort((a, b) => a - b);
    expect(levels[Math.floor(levels.length / 2)]!).toBeLessThan(100);
    expect(levels[levels.length - 1]!).toBeGreaterThan(10_000);
    expect(levels[levels.length - 1]!).toBeLessThan((MAX_BUILDING_KW * 8760) / 1000);
    const mean = levels.reduce((s, v) => s + v, 0) / levels.length;
    const sd = Math.sqrt(levels.reduce((s, v) => s + (v - mean) ** 2, 0) / levels.length);
    expect(sd / mean).toBeGreaterThan(2.5);
  });

  it('is deterministic: the same seed gives the same classes and levels, a segment filter the whole fleet\'s, another seed others', () => {
    const a = buildFleet(resolveScenario({ meters: 3_000, mix: '0/75/25', days: 1, start: '2025-01-01', seed: 9 }));
    const b = buildFleet(resolveScenario({ meters: 3_000, mix: '0/75/25', days: 1, start: '2025-01-01', seed: 9 }));
    expect(Array.from(b.traits.meanKw)).toEqual(Array.from(a.traits.meanKw));
    expect(Array.from(b.traits.sizeClass)).toEqual(Array.from(a.traits.sizeClass));
    const only = buildFleet(resolveScenario({ meters: 500, mix: '0/75/25', segment: 'COMMERCIAL', days: 1, start: '2025-01-01', seed: 9 }));
    const whole = Array.from({ length: a.size }, (_, i) => i).filter((i) => a.segment[i] === 1).slice(0, 500);
    expect(Array.from(only.traits.sizeClass)).toEqual(whole.map((i) => a.traits.sizeClass[i]));
    expect(Array.from(only.traits.meanKw)).toEqual(whole.map((i) => a.traits.meanKw[i]));
    for (let i = 0; i < a.size; i++) expect(a.traits.sizeClass[i] === NO_SIZE_CLASS).toBe(a.segment[i] !== 1);
    const other = buildFleet(resolveScenario({ meters: 3_000, mix: '0/75/25', days: 1, start: '2025-01-01', seed: 10 }));
    expect(Array.from(other.traits.sizeClass)).not.toEqual(Array.from(a.traits.sizeClass));
  });
});
