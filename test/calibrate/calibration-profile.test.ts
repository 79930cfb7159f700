import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrationProfileText, readCalibrationProfileFile, writeCalibrationProfileFile } from '../../src/calibrate/calibration-profile-file.js';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { generationDays } from '../../src/generator/calendar.js';
import { parseCalibrationProfile, seasonShapeOf } from '../../src/scenario/calibration-profile.js';
import { resolveScenario, scenarioToInput } from '../../src/scenario/scenario.js';
import { planJobRequest } from '../../src/server/job-request-plan.js';
import { FLAT, profileOf, residentialCalibration } from '../support/calibrate.js';

const base = { meters: 60, days: 2, start: '2025-04-07', interval: 15, area: 'TEXAS_GULF_COAST', seed: 42 } as const;

/** Every row of every column of a scenario's whole run, as one array of numbers per column. */
function generateAll(input: Record<string, unknown>): Record<string, number[]> {
  const scenario = resolveScenario(input);
  const generator = new ReadingGenerator(scenario);
  const out: Record<string, number[]> = { segment: [], usage: [], voltage: [], quality: [], event: [] };
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      out.segment!.push(generator.fleet.segment[batch.meterIndex[r]!]!);
      out.usage!.push(batch.usageKwh[r]!);
      out.voltage!.push(batch.voltage[r]!);
      out.quality!.push(batch.dataQuality[r]!);
      out.event!.push(batch.eventType[r]!);
    }
  }
  return out;
}

describe('calibration profile: validation', () => {
  it('accepts a profile and round-trips it through a scenario (scenarioToInput -> resolveScenario)', () => {
    const scenario = resolveScenario({ ...base, profile: profileOf() });
    expect(scenario.profile?.segments.RESIDENTIAL?.meanKw).toBe(0.45);
    expect(Object.isFrozen(scenario.profile?.segments.RESIDENTIAL?.seasons)).toBe(true);
    expect(resolveScenario(scenarioToInput(scenario))).toEqual(scenario);
  });

  it('a scenario without a profile has no profile key at all', () => {
    expect('profile' in resolveScenario(base)).toBe(false);
    expect('profile' in scenarioToInput(resolveScenario(base))).toBe(false);
  });

  it('refuses another version, a shape without 24 hours, a negative spread and unknown keys, naming each field', () => {
    const bad = {
      ...profileOf(residentialCalibration({ meanCv: -1, seasons: { SPRING: { weekday: [1, 2], weekend: FLAT, level: 1 } } })),
      version: 2,
      extra: true,
    };
    let message = '';
    try {
      parseCalibrationProfile(bad, 'p.json');
    } catch (error) {
      expect((error as { code: string }).code).toBe('FORGE_ERR_INVALID_PROFILE');
      message = (error as Error).message;
    }
    expect(message).toContain('p.json');
    expect(message).toContain('version');
    expect(message).toContain('segments.RESIDENTIAL.meanCv');
    expect(message).toContain('segments.RESIDENTIAL.seasons.SPRING.weekday');
    expect(message).toContain('"extra"');
  });

  it('refuses a profile with no segment and an unknown season', () => {
    expect(() => parseCalibrationProfile({ ...profileOf(), segments: {} }, 'x')).toThrow(/segments: at least one segment/);
    const summer = { ...profileOf(), segments: { RESIDENTIAL: { ...residentialCalibration(), seasons: { MONSOON: { weekday: FLAT, weekend: FLAT, level: 1 } } } } };
    expect(() => parseCalibrationProfile(summer, 'x')).toThrow(/MONSOON/);
  });

  it('an invalid profile in a scenario is FORGE_ERR_INVALID_CONFIG naming profile.*', () => {
    expect(() => resolveScenario({ ...base, profile: { ...profileOf(), version: 0 } })).toThrow(/profile\.version/);
  });

  it('a season missing from the profile uses the nearest one present', () => {
    const c = residentialCalibration({ seasons: { SPRING: { weekday: FLAT, weekend: FLAT, level: 0.9 }, AUTUMN: { weekday: FLAT, weekend: FLAT, level: 1.1 } } });
    expect(seasonShapeOf(c, 'SUMMER').level).toBe(0.9);
    expect(seasonShapeOf(c, 'WINTER').level).toBe(1.1);
    expect(seasonShapeOf(c, 'AUTUMN').level).toBe(1.1);
  });
});

describe('calibration profile: in an API job body', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'forge-profile-api-'));

  it('a job body carries the profile inline into the job record', async () => {
    const record = await planJobRequest({ kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01', profile: profileOf() } }, dataDir);
    expect(record.scenario.profile).toEqual(profileOf());
  });

  it('a bad profile in a job body is refused naming scenario.profile and the field', async () => {
    const bad = profileOf(residentialCalibration({ noiseSigma: -0.1 }));
    await expect(planJobRequest({ kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01', profile: bad } }, dataDir)).rejects.toThrow(
      /profile\.segments\.RESIDENTIAL\.noiseSigma/,
    );
  });
});

describe('calibration profile: files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'forge-profile-'));

  it('writes JSON and YAML by extension and reads them back equal (to 6 significant digits)', async () => {
    for (const name of ['p.json', 'p.yaml']) {
      const path = join(dir, name);
      await writeCalibrationProfileFile(profileOf(), path);
      expect(await readCalibrationProfileFile(path)).toEqual(profileOf());
    }
    expect(calibrationProfileText(profileOf(), 'p.yaml')).toMatch(/^version: 1/);
  });

  it('a missing file, a file that is not JSON, and an invalid profile are FORGE_ERR_INVALID_PROFILE naming the file', async () => {
    await expect(readCalibrationProfileFile(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_PROFILE', message: expect.stringContaining('none.json') });
    writeFileSync(join(dir, 'broken.json'), '{ "version": 1,');
    await expect(readCalibrationProfileFile(join(dir, 'broken.json'))).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_PROFILE', message: expect.stringContaining('not JSON') });
    writeFileSync(join(dir, 'wrong.yaml'), 'version: 1\nsource: {}\n');
    await expect(readCalibrationProfileFile(join(dir, 'wrong.yaml'))).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_PROFILE', message: expect.stringContaining('segments') });
  });
});

describe('calibration profile: applied by the generator', () => {
  const mixed = { ...base, mix: '60/30/10' };

  it('is deterministic: the same scenario and profile give the same rows', () => {
    expect(generateAll({ ...mixed, profile: profileOf() })).toEqual(generateAll({ ...mixed, profile: profileOf() }));
  });

  it('gives the same rows on worker threads and in any batch size (the profile travels with the scenario)', async () => {
    const scenario = resolveScenario({ ...mixed, profile: profileOf() });
    const rows = async (workers: number, unitRows: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const { batch } of emitBatches(scenario, { workers, unitRows })) {
        for (let r = 0; r < batch.length; r++) out.push(`${batch.meterIndex[r]}@${batch.tsUtcMs[r]}=${batch.usageKwh[r]}`);
      }
      return out.sort();
    };
    expect(await rows(2, 1_000)).toEqual(await rows(0, 50_000));
  }, 60_000);

  it('changes residential readings only: commercial and industrial rows are bit-identical with and without a residential profile', () => {
    const plain = generateAll(mixed);
    const calibrated = generateAll({ ...mixed, profile: profileOf() });
    const rows = (run: Record<string, number[]>, residential: boolean): number[][] =>
      run.segment!.flatMap((s, r) => ((s === 0) === residential ? [[run.usage![r]!, run.voltage![r]!, run.quality![r]!, run.event![r]!]] : []));
    expect(rows(calibrated, false)).toEqual(rows(plain, false));
    expect(rows(calibrated, false).length).toBeGreaterThan(0);
    expect(rows(calibrated, true)).not.toEqual(rows(plain, true));
  });

  it('moves the level: residential mean demand follows the profile, not the area', () => {
    const mean = (kw: number): number => {
      const run = generateAll({ ...base, segment: 'RESIDENTIAL', profile: profileOf(residentialCalibration({ meanKw: kw })) });
      return run.usage!.reduce((a, v) => a + v, 0) / run.usage!.length / 0.25;
    };
    const low = mean(0.3);
    const high = mean(3);
    // Ten times the level gives about ten times the demand (vacancy and sampling aside).
    expect(high / low).toBeGreaterThan(8);
    expect(high / low).toBeLessThan(12);
  });

  it('any valid profile gives finite, non-negative residential usage (generated profiles)', () => {
    const hourly = fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: 24, maxLength: 24 });
    fc.assert(
      fc.property(
        fc.record({
          meanKw: fc.double({ min: 0.05, max: 5, noNaN: true }),
          meanCv: fc.double({ min: 0, max: 2, noNaN: true }),
          baseShare: fc.double({ min: 0, max: 0.95, noNaN: true }),
          noiseSigma: fc.double({ min: 0, max: 3, noNaN: true }),
          noiseAutocorrelation: fc.double({ min: 0, max: 0.995, noNaN: true }),
          routineSigma: fc.double({ min: 0, max: 3, noNaN: true }),
          spikeRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
          spikeSize: fc.double({ min: 0, max: 50, noNaN: true }),
          spikeCv: fc.double({ min: 0, max: 5, noNaN: true }),
          weekday: hourly,
          weekend: hourly,
        }),
        ({ weekday, weekend, ...p }) => {
          const calibration = residentialCalibration({ ...p, seasons: { SUMMER: { weekday, weekend, level: 1 } } });
          const run = generateAll({ ...base, meters: 5, days: 1, segment: 'RESIDENTIAL', pvShare: 0, profile: profileOf(calibration) });
          return run.usage!.every((v) => Number.isFinite(v) && v >= 0);
        },
      ),
      { seed: 14, numRuns: 40 },
    );
  });
});
