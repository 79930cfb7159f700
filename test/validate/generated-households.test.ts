import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { SEGMENTS } from '../../src/scenario/enums.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { collectGeneratedHouseholds } from '../../src/validate/generated-households.js';

/** Each meter's readings in time order, generated directly, day by day. */
function readingsByMeter(scenario: ReturnType<typeof resolveScenario>): Map<number, { usage: number[]; wall: number[] }> {
  const generator = new ReadingGenerator(scenario);
  const out = new Map<number, { usage: number[]; wall: number[] }>();
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      const m = batch.meterIndex[r]!;
      if (!out.has(m)) out.set(m, { usage: [], wall: [] });
      out.get(m)!.usage.push(batch.usageKwh[r]!);
      out.get(m)!.wall.push(batch.tsLocalMs[r]!);
    }
  }
  return out;
}

describe('collectGeneratedHouseholds', () => {
  // 8-10 March 2025 in Los Angeles: the middle day springs forward (23 hours).
  const scenario = resolveScenario({ area: 'PACIFIC_NORTHWEST', meters: 12, days: 3, start: '2025-03-08', interval: 15, seed: 7 });

  it('keeps the residential meters and sums consecutive pairs of 15-minute readings, across the clock change', async () => {
    const panel = await collectGeneratedHouseholds(scenario);
    const fleet = buildFleet(scenario);
    const residential = Array.from(fleet.segment.keys()).filter((m) => fleet.segment[m] === SEGMENTS.indexOf('RESIDENTIAL'));
    expect(residential.length).toBeGreaterThan(0);
    expect(residential.length).toBeLessThan(12);
    expect(Array.from(panel.meterIndex)).toEqual(residential);
    expect(panel.scenarioMeters).toBe(12);
    expect(panel.readings).toBe(12 * 3 * 96);

    const direct = readingsByMeter(scenario);
    expect(panel.wallClockMs).toHaveLength(3 * 48);
    panel.households.forEach((series, h) => {
      const { usage, wall } = direct.get(residential[h]!)!;
      expect(series).toHaveLength(3 * 48);
      for (let k = 0; k < series.length; k++) {
        expect(series[k]).toBe(usage[2 * k]! + usage[2 * k + 1]!);
        expect(panel.wallClockMs[k]).toBe(wall[2 * k]);
      }
    });
    // On 9 March the wall clock goes from 01:30 to 03:00.
    const nineMarch = Array.from(panel.wallClockMs).filter((ms) => new Date(ms).toISOString().startsWith('2025-03-09'));
    expect(nineMarch).toHaveLength(46);
    expect(nineMarch.map((ms) => new Date(ms).toISOString().slice(11, 16))).toContain('03:00');
    expect(nineMarch.map((ms) => new Date(ms).toISOString().slice(11, 16))).not.toContain('02:00');
  });

  it('takes 30-minute readings as they are, and other segments on request', async () => {
    const half = resolveScenario({ area: 'PACIFIC_NORTHWEST', meters: 12, days: 1, start: '2025-03-01', interval: 30, seed: 7 });
    const panel = await collectGeneratedHouseholds(half, { segment: 'COMMERCIAL' });
    const fleet = buildFleet(half);
    const direct = readingsByMeter(half);
    expect(panel.households.length).toBe(Array.from(fleet.segment).filter((s) => s === SEGMENTS.indexOf('COMMERCIAL')).length);
    panel.households.forEach((series, h) => expect(Array.from(series)).toEqual(direct.get(panel.meterIndex[h]!)!.usage));
  });

  it('refuses hourly readings, which cannot be summed to 30 minutes', async () => {
    const hourly = resolveScenario({ area: 'PACIFIC_NORTHWEST', meters: 2, days: 1, start: '2025-03-01', interval: 60 });
    await expect(collectGeneratedHouseholds(hourly)).rejects.toThrow(/60-minute readings cannot be summed to 30 minutes/);
  });
});
