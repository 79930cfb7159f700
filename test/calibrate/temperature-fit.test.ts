import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { areaNormalTemperature } from '../../src/calibrate/area-temperature.js';
import { fitCalibrationProfile, fitTemperature } from '../../src/calibrate/fit-calibration.js';
import { readReadingSample } from '../../src/calibrate/reading-sample.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { isoDateTime } from '../../src/util/time-zone.js';
import { profileOf, residentialCalibration } from '../support/calibrate.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-temperature-'));

/** Long-format readings with the area's temperature column, of homes generated with a known heating sensitivity. */
function readingsWithTemperature(heatingPerDegree: number, start: string, days = 42): string {
  const calibration = residentialCalibration({
    temperature: heatingPerDegree > 0 ? { heatingBalanceC: 15.5, heatingPerDegree, coolingBalanceC: 21, coolingPerDegree: 0 } : null,
  });
  const scenario = resolveScenario({ meters: 40, days, start, interval: 30, area: 'NORTHEAST_CORRIDOR', segment: 'RESIDENTIAL', mix: '100/0/0', seed: 5, profile: profileOf(calibration) });
  const generator = new ReadingGenerator(scenario);
  const lines = ['meter,start,kwh,outdoor_c'];
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      lines.push(`${generator.fleet.meterIds[batch.meterIndex[r]!]},${isoDateTime(batch.tsLocalMs[r]!)},${batch.usageKwh[r]},${batch.temperatureC[r]}`);
    }
  }
  const path = join(dir, `t-${heatingPerDegree}-${start}-${days}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const map = { meter_id: 'meter', ts: 'start', kwh: 'kwh', temperature_c: 'outdoor_c' } as const;

describe('temperature sensitivity from readings with a temperature column', () => {
  it('recovers the heating sensitivity homes were generated with (winter into spring, Northeast)', async () => {
    const sample = await readReadingSample({ path: readingsWithTemperature(0.05, '2025-02-15'), map });
    const panel = sample.panels.RESIDENTIAL!;
    expect(panel.temperatureC).toBeDefined();
    const fit = fitTemperature(panel)!;
    expect(fit.temperature.heatingPerDegree).toBeGreaterThan(0.05 * 0.6);
    expect(fit.temperature.heatingPerDegree).toBeLessThan(0.05 * 1.4);
    // The weather part is taken out: the normalised days no longer follow the temperature.
    const perDay = 48;
    const dailyMean = (series: readonly Float64Array[], d: number): number =>
      series.reduce((s, x) => s + x.slice(d * perDay, (d + 1) * perDay).reduce((a, v) => a + v, 0), 0);
    const days = panel.wallClockMs.length / perDay;
    // A daylight-saving day skips an hour of wall clock: its slots have no temperature.
    const temps = Array.from({ length: days }, (_, d) => {
      const day = panel.temperatureC!.slice(d * perDay, (d + 1) * perDay).filter(Number.isFinite);
      return day.reduce((a, v) => a + v, 0) / day.length;
    });
    const corr = (x: number[], y: number[]): number => {
      const mx = x.reduce((a, v) => a + v, 0) / x.length;
      const my = y.reduce((a, v) => a + v, 0) / y.length;
      const c = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
      return c / Math.sqrt(x.reduce((a, v) => a + (v - mx) ** 2, 0) * y.reduce((a, v) => a + (v - my) ** 2, 0));
    };
    const raw = Array.from({ length: days }, (_, d) => dailyMean(panel.households, d));
    const normalised = Array.from({ length: days }, (_, d) => dailyMean(fit.normalised.households, d));
    expect(corr(raw, temps)).toBeLessThan(-0.5);
    expect(Math.abs(corr(normalised, temps))).toBeLessThan(Math.abs(corr(raw, temps)));
  }, 120_000);

  it('finds next to no sensitivity in homes generated without one', async () => {
    const fit = fitTemperature((await readReadingSample({ path: readingsWithTemperature(0, '2025-02-15'), map })).panels.RESIDENTIAL!)!;
    expect(fit.temperature.heatingPerDegree).toBeLessThan(0.01);
  }, 120_000);

  it('no temperature column: no temperature fit; a bad temperature value is refused by row', async () => {
    const path = readingsWithTemperature(0.05, '2025-03-01');
    const without = await readReadingSample({ path, map: { meter_id: 'meter', ts: 'start', kwh: 'kwh' } });
    expect(without.panels.RESIDENTIAL!.temperatureC).toBeUndefined();
    expect(fitTemperature(without.panels.RESIDENTIAL!)).toBeNull();
    const bad = join(dir, 'bad-temperature.csv');
    writeFileSync(bad, 'meter,start,kwh,outdoor_c\nA,2025-03-01 00:00:00,0.1,warm\n');
    await expect(readReadingSample({ path: bad, map })).rejects.toMatchObject({ code: 'FORGE_ERR_READINGS', message: expect.stringContaining('row 1: no temperature') });
  }, 120_000);
});

describe('temperature sensitivity derived from the service area (readings without temperatures)', () => {
  // Homes generated in the Northeast with their own weather (the model's spells around the climate normal), read back
  // without the temperature column: the fit sees only the area's climate normals, January to April (about 1 to 12 C).
  const noTemperature = { meter_id: 'meter', ts: 'start', kwh: 'kwh' } as const;

  it('the derived temperature is the area\'s climate normal at each interval\'s middle, without the spells', async () => {
    const sample = await readReadingSample({ path: readingsWithTemperature(0.05, '2025-01-01', 120), map: noTemperature });
    const panel = sample.panels.RESIDENTIAL!;
    expect(panel.temperatureC).toBeUndefined();
    const derived = areaNormalTemperature(panel, 'NORTHEAST_CORRIDOR');
    expect(derived.length).toBe(panel.wallClockMs.length);
    const mean = (from: number, to: number): number => derived.slice(from * 48, to * 48).reduce((a, v) => a + v, 0) / ((to - from) * 48);
    // Mid-January about the January normal (0.9 C), mid-April about April's (11.8 C): no spells, a smooth climate.
    expect(mean(10, 20)).toBeGreaterThan(-1);
    expect(mean(10, 20)).toBeLessThan(3);
    expect(mean(100, 110)).toBeGreaterThan(9);
    expect(mean(100, 110)).toBeLessThan(14);
    // Another area gives another climate; the same area always the same values (no seed).
    expect(areaNormalTemperature(panel, 'TEXAS_GULF_COAST')[0]).toBeGreaterThan(derived[0]! + 5);
    expect(areaNormalTemperature(panel, 'NORTHEAST_CORRIDOR')).toEqual(derived);
  }, 120_000);

  it('a profile fitted with the area recovers the heating sensitivity the homes were generated with', async () => {
    const sample = await readReadingSample({ path: readingsWithTemperature(0.05, '2025-01-01', 120), map: noTemperature });
    const options = { area: 'NORTHEAST_CORRIDOR', weatherArea: 'NORTHEAST_CORRIDOR', simulatedMeters: 40, iterations: 1, polishSteps: 0 } as const;
    const { profile, fits } = await fitCalibrationProfile(sample, options);
    expect(fits[0]!.temperatureSource).toBe('area');
    const fitted = profile.segments.RESIDENTIAL!.temperature!;
    expect(fitted.heatingPerDegree).toBeGreaterThan(0.05 * 0.6);
    expect(fitted.heatingPerDegree).toBeLessThan(0.05 * 1.4);
    // Without the area there is nothing to fit against.
    const plain = await fitCalibrationProfile(sample, { ...options, weatherArea: undefined });
    expect(plain.fits[0]!.temperatureSource).toBeNull();
    expect(plain.profile.segments.RESIDENTIAL!.temperature).toBeNull();
  }, 600_000);

  it('homes generated without a sensitivity get next to none from the area\'s normals', async () => {
    const panel = (await readReadingSample({ path: readingsWithTemperature(0, '2025-01-01', 120), map: noTemperature })).panels.RESIDENTIAL!;
    const fit = fitTemperature({ ...panel, temperatureC: areaNormalTemperature(panel, 'NORTHEAST_CORRIDOR') });
    expect(fit?.temperature.heatingPerDegree ?? 0).toBeLessThan(0.01);
  }, 120_000);
});
