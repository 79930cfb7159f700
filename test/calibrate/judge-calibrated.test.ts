import { describe, expect, it } from 'vitest';
import { judgeCalibrated } from '../../src/calibrate/held-out-comparison.js';
import type { StatisticComparison } from '../../src/validate/household-statistics.js';

const row = (key: string, relativeDifference: number | null, passed: boolean | null): StatisticComparison => ({
  key, name: key, generated: 1 + (relativeDifference ?? 0), reference: 1, relativeDifference, band: '±10%', passed,
});

describe('judging a calibrated run against the held-out half', () => {
  it('holds the level to the target, widens the zero share by the halves\' difference only while they differ by more than it', () => {
    const halves = [row('meanKwh', -0.06, null), row('zeroShare', 0.41, false), row('maxToMean', 0.05, true)];
    const judged = judgeCalibrated([row('meanKwh', -0.073, null), row('zeroShare', 0.339, false), row('maxToMean', 0.12, false)], halves);
    expect(judged.map((r) => [r.key, r.passed])).toEqual([['meanKwh', true], ['zeroShare', true], ['maxToMean', false]]);
    expect(judged[1]!.band).toBe("±51.0% (target + halves' difference)");
    // Beyond target + halves: fails; level beyond 10%: fails.
    expect(judgeCalibrated([row('zeroShare', 0.52, false), row('meanKwh', 0.11, null)], halves).map((r) => r.passed)).toEqual([false, false]);
    // Halves within the target: no allowance at all.
    expect(judgeCalibrated([row('zeroShare', 0.12, false)], [row('zeroShare', 0.08, true)])[0]!.passed).toBe(false);
  });

  it('leaves rows without a relative difference (hours, correlation) as they were judged', () => {
    const corr = { ...row('profileCorrelation', null, true), generated: 0.99 };
    expect(judgeCalibrated([corr], [])).toEqual([corr]);
  });
});
