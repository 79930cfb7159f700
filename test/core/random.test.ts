import { describe, expect, it } from 'vitest';
import { hash32, intBetween, lognormal, mix32, normal, normalFromHash, normalQuantile, seedFromText, toUnit, toUnitOpen, uniform, uniformOpen } from '../../src/util/random.js';

const N = 100_000;

function moments(values: Float64Array): { mean: number; sd: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

describe('uniform', () => {
  it('is in [0, 1) with mean about 0.5 and variance about 1/12 over 100k draws', () => {
    const values = new Float64Array(N);
    for (let i = 0; i < N; i++) values[i] = uniform(42, 7, i, 3);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    const { mean, sd } = moments(values);
    // Standard error of the mean is 0.29 / sqrt(1e5) = 0.0009; 0.005 is more than five of them.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(sd).toBeCloseTo(Math.sqrt(1 / 12), 2);
  });

  it('fills ten equal bins evenly (chi-square)', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < N; i++) bins[Math.floor(uniform(1, 2, 3, i) * 10)]!++;
    const expected = N / 10;
    const chi2 = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: the 99.9th percentile is 27.9.
    expect(chi2).toBeLessThan(27.9);
  });

  it('is a pure function of its coordinates', () => {
    expect(uniform(5, 6, 7, 8)).toBe(uniform(5, 6, 7, 8));
    expect(uniform(5, 6, 7, 8)).toBe(hash32(5, 6, 7, 8) / 2 ** 32);
    expect(uniformOpen(5, 6, 7, 8)).toBeGreaterThan(0);
  });

  it('toUnit and toUnitOpen stay inside their ranges at the extremes', () => {
    expect(toUnit(0)).toBe(0);
    expect(toUnit(0xffffffff)).toBeLessThan(1);
    expect(toUnitOpen(0)).toBeGreaterThan(0);
    expect(toUnitOpen(0xffffffff)).toBeLessThan(1);
  });

  it('successive counters are not correlated (lag-1)', () => {
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < N; i++) {
      const x = uniform(9, 9, 0, i) - 0.5;
      const y = uniform(9, 9, 0, i + 1) - 0.5;
      sxy += x * y;
      sxx += x * x;
    }
    expect(Math.abs(sxy / sxx)).toBeLessThan(0.02);
  });
});

describe('normal draws', () => {
  it('normalFromHash has mean about 0 and sd about 1 over 100k hashes', () => {
    const values = new Float64Array(N);
    const key = hash32(42, 101, 17, 0);
    for (let i = 0; i < N; i++) values[i] = normalFromHash(mix32(key, i));
    const { mean, sd } = moments(values);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
    // Shape, not only moments: about 68.3% within one sd, 95.4% within two.
    const within = (k: number): number => values.filter((v) => Math.abs(v) < k).length / N;
    expect(within(1)).toBeGreaterThan(0.675);
    expect(within(1)).toBeLessThan(0.69);
    expect(within(2)).toBeGreaterThan(0.95);
    expect(within(2)).toBeLessThan(0.959);
  });

  it('normalFromHash is monotone in the hash and bounded near 3.7 sigma', () => {
    let previous = -Infinity;
    for (let h = 0; h < 2 ** 32; h += 2 ** 20 - 1) {
      const z = normalFromHash(h);
      expect(z).toBeGreaterThanOrEqual(previous);
      previous = z;
    }
    expect(normalFromHash(0)).toBeGreaterThan(-3.8);
    expect(normalFromHash(0xffffffff)).toBeLessThan(3.8);
    expect(Math.abs(normalFromHash(0x80000000))).toBeLessThan(1e-3);
  });

  it('normal (Box-Muller) has mean about 0 and sd about 1', () => {
    const values = new Float64Array(N);
    for (let i = 0; i < N; i++) values[i] = normal(42, 3, i, 0);
    const { mean, sd } = moments(values);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
  });

  it('normalQuantile inverts the normal CDF at known points', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalQuantile(0.8413447)).toBeCloseTo(1, 5);
  });

  it('lognormal has the requested arithmetic mean', () => {
    let sum = 0;
    for (let i = 0; i < N; i++) sum += lognormal(6.8, 1, normal(42, 11, i, 0));
    expect(sum / N).toBeGreaterThan(6.8 * 0.97);
    expect(sum / N).toBeLessThan(6.8 * 1.03);
  });
});

describe('hash32', () => {
  it('changes when any single bit of any coordinate changes', () => {
    const bases: [number, number, number, number][] = [
      [0, 0, 0, 0],
      [42, 101, 17, 3],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [123456789, 7, 20_000, 1],
    ];
    for (const base of bases) {
      const h = hash32(...base);
      for (let coordinate = 0; coordinate < 4; coordinate++) {
        for (let bit = 0; bit < 32; bit++) {
          const changed = [...base] as [number, number, number, number];
          changed[coordinate] = (changed[coordinate]! ^ (2 ** bit)) >>> 0;
          expect(hash32(...changed), `coordinate ${coordinate}, bit ${bit}, base ${base.join(',')}`).not.toBe(h);
        }
      }
    }
  });

  it('differs across neighbouring coordinates (no collisions among 4 x 50k nearby inputs)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) {
      seen.add(hash32(42, 1, i, 0));
      seen.add(hash32(42, 2, i, 0));
      seen.add(hash32(42, 1, 0, i + 1));
      seen.add(hash32(43, 1, i, 0));
    }
    // 200k 32-bit values: about 4.7 chance collisions are expected; allow a few dozen, catch a structural flaw.
    expect(seen.size).toBeGreaterThan(200_000 - 40);
  });

  it('flips about half the output bits for a one-bit input change (avalanche)', () => {
    let flipped = 0;
    let trials = 0;
    for (let i = 0; i < 2_000; i++) {
      for (const bit of [0, 7, 15, 31]) {
        const a = hash32(42, 5, i, 9);
        const b = hash32(42, 5, (i ^ (2 ** bit)) >>> 0, 9);
        let x = (a ^ b) >>> 0;
        while (x) {
          flipped += x & 1;
          x >>>= 1;
        }
        trials++;
      }
    }
    const mean = flipped / trials;
    expect(mean).toBeGreaterThan(15);
    expect(mean).toBeLessThan(17);
  });

  it('gives the same values as before the top-bits fix for every b below 2^30 (no data changes)', () => {
    // The original formula, kept here as a reference: its b multiplier is even, so it ignored b's top two bits.
    const fmix = (x: number): number => {
      x ^= x >>> 16;
      x = Math.imul(x, 0x85ebca6b);
      x ^= x >>> 13;
      x = Math.imul(x, 0xc2b2ae35);
      x ^= x >>> 16;
      return x >>> 0;
    };
    const original = (seed: number, stream: number, a: number, b: number): number => {
      let h = fmix((seed ^ 0x9e3779b9) >>> 0);
      h = fmix((h ^ Math.imul(stream | 0, 0x27d4eb2f)) >>> 0);
      h = fmix((h + Math.imul(a | 0, 0x165667b1)) >>> 0);
      return fmix((h ^ Math.imul(b | 0, 0xd3a2646c)) >>> 0);
    };
    for (let i = 0; i < 10_000; i++) {
      const seed = hash32(1, 0, i, 0);
      const stream = i % 2000;
      const a = hash32(2, 0, i, 0);
      const b = i % 3 === 0 ? i % 7 : hash32(3, 0, i, 0) >>> 2;
      expect(hash32(seed, stream, a, b)).toBe(original(seed, stream, a, b));
    }
    expect(hash32(42, 101, 17, 3)).toBe(original(42, 101, 17, 3));
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1_000; i++) {
      const h = hash32(i, i * 3, i * 7, i * 11);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe('helpers', () => {
  it('intBetween covers [min, max] inclusive and nothing else', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(intBetween(3, 8, uniform(1, 1, i, 0)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8]);
    expect(intBetween(3, 8, 0)).toBe(3);
    expect(intBetween(3, 8, 0.9999999999)).toBe(8);
  });

  it('seedFromText is stable and discriminating', () => {
    expect(seedFromText('')).toBe(0x811c9dc5);
    expect(seedFromText('texas')).toBe(seedFromText('texas'));
    expect(seedFromText('texas')).not.toBe(seedFromText('Texas'));
  });
});
