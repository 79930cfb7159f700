import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stratifiedNormal, stratifiedUniform } from '../../src/fleet/stratified-draw.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { profileOf, residentialCalibration } from '../support/calibrate.js';

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; 1.5e-7): enough to find a draw's 1/64 slice. */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('stratified levels of calibrated meters', () => {
  it('in every block of 64 consecutive meter numbers, each meter takes a different 1/64 slice (any seed, any block)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 15_000 }), (seed, block) => {
        const slices: number[] = [];
        for (let n = block * 64; n < block * 64 + 64; n++) {
          const u = normalCdf(stratifiedNormal(seed, n)) * 64;
          // A draw within the CDF's error of a slice edge cannot be placed; the rest must all differ.
          if (Math.abs(u - Math.round(u)) > 1e-4) slices.push(Math.floor(u));
        }
        return slices.length >= 60 && new Set(slices).size === slices.length;
      }),
      { seed: 14, numRuns: 60 },
    );
  });

  it('stratified uniforms: in a block of 64 meters, u < p comes true for p x 64 of them, give or take one (any p, seed, block)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 15_000 }), fc.integer({ min: -5, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, block, b, p) => {
        let hits = 0;
        for (let n = block * 64; n < block * 64 + 64; n++) if (stratifiedUniform(seed, 114, n, b) < p) hits++;
        return Math.abs(hits - p * 64) <= 1;
      }),
      { seed: 15, numRuns: 100 },
    );
  });

  it('is a pure function of (seed, meter number), and neighbours are not ordered by number', () => {
    expect(stratifiedNormal(7, 1000)).toBe(stratifiedNormal(7, 1000));
    expect(stratifiedNormal(8, 1000)).not.toBe(stratifiedNormal(7, 1000));
    // Rank correlation of level with meter number within a block stays near zero.
    const z = Array.from({ length: 64 }, (_, n) => stratifiedNormal(3, n));
    const mean = z.reduce((a, v) => a + v, 0) / 64;
    const cov = z.reduce((a, v, n) => a + (v - mean) * (n - 31.5), 0);
    const corr = cov / Math.sqrt(z.reduce((a, v) => a + (v - mean) ** 2, 0) * Array.from({ length: 64 }, (_, n) => (n - 31.5) ** 2).reduce((a, v) => a + v, 0));
    expect(Math.abs(corr)).toBeLessThan(0.35);
  });

  it('fleets of 320 calibrated meters spread their CV of means less than independent draws would (40 seeds)', () => {
    const deviation = (seed: number): number => {
      const scenario = resolveScenario({ meters: 320, days: 1, start: '2025-04-07', interval: 60, segment: 'RESIDENTIAL', mix: '100/0/0', seed, pvShare: 0, evShare: 0, profile: profileOf(residentialCalibration({ meanCv: 0.5 })) });
      const means = new ReadingGenerator(scenario).fleet.traits.meanKw;
      const m = means.reduce((a, v) => a + v, 0) / means.length;
      return Math.sqrt(means.reduce((a, v) => a + (v - m) ** 2, 0) / (means.length - 1)) / m / 0.5 - 1;
    };
    const d = Array.from({ length: 40 }, (_, k) => deviation(k + 1));
    const mean = d.reduce((a, v) => a + v, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / d.length);
    // Independent lognormal draws of 320 at CV 0.5: standard deviation of the sample CV about 5.6% (200 seeds);
    // stratified about 3.3%, what is left being mostly the draw inside the top 1/64 slice.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeLessThan(0.045);
  }, 60_000);
});

describe('a profile\'s vacancy rate and appliance-cycle length', () => {
  /** Share of zero readings of 200 homes over 90 days with the given calibration fields. */
  function zeroShare(overrides: Parameters<typeof residentialCalibration>[0]): number {
    const scenario = resolveScenario({ meters: 200, days: 90, start: '2025-03-01', interval: 60, segment: 'RESIDENTIAL', mix: '100/0/0', seed: 9, pvShare: 0, evShare: 0, profile: profileOf(residentialCalibration(overrides)) });
    const generator = new ReadingGenerator(scenario);
    let zeros = 0;
    let rows = 0;
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      for (let r = 0; r < batch.length; r++) if (batch.usageKwh[r] === 0) zeros++;
      rows += batch.length;
    }
    return zeros / rows;
  }

  it('the vacancy rate sets the share of zero readings (rate x 11.5 days / 30-day block)', () => {
    const none = zeroShare({ vacancyRate: 0 });
    const some = zeroShare({ vacancyRate: 0.1 });
    expect(none).toBeLessThan(0.002);
    expect(some - none).toBeGreaterThan(0.1 * (11.5 / 30) * 0.7);
    expect(some - none).toBeLessThan(0.1 * (11.5 / 30) * 1.3);
  }, 120_000);

  it('profiles without the new fields read as before: the model\'s vacancy and 1-3 quarter-hour cycles', () => {
    const scenario = (overrides: Parameters<typeof residentialCalibration>[0]) =>
      resolveScenario({ meters: 20, days: 2, start: '2025-04-07', interval: 15, segment: 'RESIDENTIAL', mix: '100/0/0', seed: 4, profile: profileOf(residentialCalibration(overrides)) });
    const rows = (s: ReturnType<typeof scenario>): number[] => {
      const generator = new ReadingGenerator(s);
      return generationDays(s).flatMap((day) => Array.from(generator.generate(day, 0, s.meters).usageKwh));
    };
    const without = rows(scenario({}));
    expect(rows(scenario({ vacancyRate: 0.02 }))).toEqual(without);
    expect(rows(scenario({ spikeQuarterHours: 6 }))).not.toEqual(without);
  });
});
