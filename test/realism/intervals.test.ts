import { describe, expect, it } from 'vitest';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { INTERVALS } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';

/** Mean demand (kW) of the homes over the unlabelled, supplied readings of the scenario at one interval length. */
function meanKw(area: string, interval: number): number {
  const scenario = resolveScenario({ area, start: '2025-04-01', days: 14, meters: 300, mix: '100/0/0', pvShare: 0, evShare: 0, seed: 42, interval });
  const generator = new ReadingGenerator(scenario);
  let kwh = 0;
  let readings = 0;
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      if (batch.isOutage[r] || batch.eventType[r] !== 0) continue;
      kwh += batch.usageKwh[r]!;
      readings++;
    }
  }
  return kwh / ((readings * interval) / 60);
}

describe('the reading interval is how often a meter is read, not how much a home uses', () => {
  it.each(['PACIFIC_NORTHWEST', 'TEXAS_GULF_COAST'])('%s: the same homes draw the same mean power at 5, 15, 30 and 60 minutes (within 5 percent)', (area) => {
    const reference = meanKw(area, 15);
    for (const interval of INTERVALS) {
      if (interval === 15) continue;
      const kw = meanKw(area, interval);
      expect(kw / reference - 1, `${interval} min: ${kw.toFixed(3)} kW against ${reference.toFixed(3)} kW at 15 min`).toBeGreaterThan(-0.05);
      expect(kw / reference - 1, `${interval} min: ${kw.toFixed(3)} kW against ${reference.toFixed(3)} kW at 15 min`).toBeLessThan(0.05);
    }
  });
});
