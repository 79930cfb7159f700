import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrationProfileText } from '../../src/calibrate/calibration-profile-file.js';
import { heldOutComparison, nearestNeighbourDistances, SAMPLING_BOUND, type HeldOutComparison } from '../../src/calibrate/held-out-comparison.js';
import type { StatisticComparison } from '../../src/validate/household-statistics.js';
import { loadReferenceHouseholds, referenceDataPath, REFERENCE_ENV } from '../../src/validate/reference-households.js';

/**
 * The acceptance test for calibration: fit on the even-numbered EDRP homes, generate as many meters over the
 * same 92 days, and compare with the odd-numbered homes. The measured file lives outside the repository: without it
 * this test is skipped with the reason, except on CI where it must exist.
 */
const path = referenceDataPath();
const present = existsSync(path);
const mustRun = present || Boolean(process.env.CI);
const reason = present ? '' : mustRun ? ' (required on CI)' : ` (skipped: ${path} is absent; set ${REFERENCE_ENV}, or CI to require it)`;
if (!mustRun) console.warn(`EDRP calibration test skipped: ${path} is absent (set ${REFERENCE_ENV}, or CI to make absence a failure)`);

/**
 * The issue's target is every statistic within 10% of the held-out homes. One statistic cannot be held to it by any
 * calibration: the share of zero readings. A dozen near-empty or vacant homes in each half hold most of its zeros, so
 * the two halves of the same homes differ by 41% (0.94% against 0.66%). The profile reproduces the calibration half's
 * share (vacancy rate), so its band is the target plus the halves' own difference (SAMPLING_BOUND). The level (mean
 * kWh) is calibrated too and held to the plain 10%.
 */
const worst = (rows: readonly StatisticComparison[]): number =>
  Math.max(...rows.filter((r) => r.relativeDifference !== null && !SAMPLING_BOUND.has(r.key) && r.key !== 'meanKwh').map((r) => Math.abs(r.relativeDifference!)));

describe.skipIf(!mustRun)('calibration on the EDRP households', () => {
  let result: HeldOutComparison;

  it(`calibrated on the even-numbered homes, matches the odd-numbered ones within 10% (profile correlation >= 0.98)${reason}`, async () => {
    result = await heldOutComparison(loadReferenceHouseholds(path));
    const table = result.calibrated.map((r) => `${r.name}: ${r.generated.toPrecision(3)} vs ${r.reference.toPrecision(3)}`).join('\n');
    const profileCorrelation = result.calibrated.find((r) => r.key === 'profileCorrelation')!;
    expect(profileCorrelation.generated, table).toBeGreaterThanOrEqual(0.98);
    for (const row of result.calibrated) {
      if (row.relativeDifference === null) continue;
      const halves = Math.abs(result.halfToHalf.find((h) => h.key === row.key)!.relativeDifference!);
      const band = SAMPLING_BOUND.has(row.key) ? 0.1 + halves : 0.1;
      expect(Math.abs(row.relativeDifference), `${row.name}\n${table}`).toBeLessThanOrEqual(band);
    }
    // That allowance is a sampling limit, not a miss of the fit: the halves differ by more than the target on it.
    for (const key of SAMPLING_BOUND) expect(Math.abs(result.halfToHalf.find((h) => h.key === key)!.relativeDifference!)).toBeGreaterThan(0.1);
    // The comparison's own verdict (what npm run realism -- --calibrated prints and exits on) says the same.
    expect(result.calibrated.filter((r) => r.passed === false).map((r) => r.key), table).toEqual([]);
    for (const key of ['profilePeakHour', 'profileTroughHour']) expect(result.calibrated.find((r) => r.key === key)!.passed, key).toBe(true);
    // The model without the profile is within its own wider band only: calibration brings the worst statistic closer.
    expect(worst(result.calibrated)).toBeLessThan(worst(result.uncalibrated));
  }, 900_000);

  it(`privacy: no generated series is nearer a sample series than the sample's series are to each other${reason}`, () => {
    expect(result, 'the comparison above ran').toBeDefined();
    const sample = result.calibrationHalf.households;
    const generatedToSample = nearestNeighbourDistances(result.generated.households, sample);
    const sampleToSample = nearestNeighbourDistances(sample, sample, true);
    expect(Math.min(...generatedToSample)).toBeGreaterThan(Math.min(...sampleToSample));
    // And the profile holds no household name and no series: a few hundred numbers of aggregates.
    const text = calibrationProfileText(result.profile, 'profile.json');
    expect(text).not.toMatch(/"X\d+"/);
    expect(text.match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.length).toBeLessThan(250);
  });
});
