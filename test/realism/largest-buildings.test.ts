import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { LARGEST_PAD_KVA, NAMEPLATE_POWER_FACTOR } from '../../src/fleet/transformer-ratings.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { USAGE_BOUNDS_KW } from '../../src/pipeline/reading-checks.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DATA_QUALITIES } from '../../src/scenario/enums.js';

const ANOMALY = DATA_QUALITIES.indexOf('ANOMALY');

/**
 * The buildings of CBECS's largest class (over 500,000 sq ft, 16 GWh a year on average) among 8,000 commercial
 * meters, over a hot year at 15 minutes: their readings, anomaly spikes included, stay within the commercial
 * reading bound, and their transformers are banks of the largest pad unit that carry their peaks.
 */
describe('the largest commercial buildings', () => {
  it('stay under the 10 MW commercial reading bound all year and get a bank of 2,500 kVA units', () => {
    const scenario = resolveScenario({ area: 'TEXAS_GULF_COAST', seed: 42, meters: 8_000, segment: 'COMMERCIAL', days: 365, start: '2025-01-01', interval: 15 });
    const fleet = buildFleet(scenario);
    const largest = Array.from({ length: fleet.size }, (_, i) => i).filter((i) => fleet.traits.sizeClass[i] === 7);
    expect(largest.length).toBeGreaterThanOrEqual(8);
    const generator = new ReadingGenerator(scenario, fleet);
    const days = generationDays(scenario);
    const hours = 0.25;
    let banks = 0;
    for (const i of largest) {
      let peakKw = 0;
      let validPeakKw = 0;
      let totalKwh = 0;
      let lowestKw = Number.POSITIVE_INFINITY;
      for (const day of days) {
        const batch = generator.generate(day, i, i + 1);
        for (let r = 0; r < batch.length; r++) {
          const kw = batch.usageKwh[r]! / hours;
          totalKwh += batch.usageKwh[r]!;
          peakKw = Math.max(peakKw, kw);
          lowestKw = Math.min(lowestKw, kw);
          if (batch.dataQuality[r] !== ANOMALY) validPeakKw = Math.max(validPeakKw, kw);
        }
      }
      const id = fleet.meterIds[i];
      expect(peakKw, id).toBeLessThan(USAGE_BOUNDS_KW.COMMERCIAL.importKw);
      expect(lowestKw, id).toBeGreaterThan(-USAGE_BOUNDS_KW.COMMERCIAL.exportKw);
      // Large: a year of several GWh.
      expect(totalKwh, id).toBeGreaterThan(3_000_000);
      const kva = fleet.transformerKva[fleet.transformer[i]!]!;
      expect(kva % LARGEST_PAD_KVA === 0 || kva < LARGEST_PAD_KVA, `${id} ${kva} kVA`).toBe(true);
      if (kva > LARGEST_PAD_KVA) banks++;
      // The bank carries the building's peak, give or take the one size planners under- or oversize by.
      expect(validPeakKw / (kva * NAMEPLATE_POWER_FACTOR), `${id}: ${validPeakKw} kW on ${kva} kVA`).toBeLessThan(1.6);
    }
    expect(banks).toBeGreaterThan(largest.length / 2);
  }, 120_000);
});
