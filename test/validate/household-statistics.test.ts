import { describe, expect, it } from 'vitest';
import {
  autocorrelation,
  compareHouseholdStatistics,
  correlation,
  DEFAULT_BANDS,
  hourOfDay,
  householdStatistics,
  type HouseholdStatistics,
  isWeekend,
  median,
  normaliseProfile,
  percentileOfSorted,
} from '../../src/validate/household-statistics.js';

const HALF_HOUR_MS = 30 * 60_000;
/** 2024-01-01 was a Monday. */
const MONDAY = Date.UTC(2024, 0, 1);

const stamps = (count: number, from = MONDAY): Float64Array => Float64Array.from({ length: count }, (_, t) => from + t * HALF_HOUR_MS);

describe('percentileOfSorted and median', () => {
  it('interpolates linearly between closest ranks (R type 7)', () => {
    const sorted = [1, 2, 3, 4];
    expect(percentileOfSorted(sorted, 0)).toBe(1);
    expect(percentileOfSorted(sorted, 1)).toBe(4);
    expect(percentileOfSorted(sorted, 0.5)).toBe(2.5);
    // position 0.95 x 3 = 2.85: between 3 and 4
    expect(percentileOfSorted(sorted, 0.95)).toBeCloseTo(3.85, 12);
    expect(percentileOfSorted([7], 0.95)).toBe(7);
    expect(percentileOfSorted([], 0.5)).toBeNaN();
    expect(() => percentileOfSorted(sorted, 1.5)).toThrow(/not within/);
  });

  it('takes the median of the finite values only, unsorted input', () => {
    expect(median([5, 1, Number.NaN, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN])).toBeNaN();
  });
});

describe('autocorrelation', () => {
  it('is exactly 1 at lag 48 for a perfectly periodic daily series', () => {
    const series = Float64Array.from({ length: 48 * 7 }, (_, t) => 1 + Math.sin((2 * Math.PI * (t % 48)) / 48) + (t % 48 === 40 ? 3 : 0));
    expect(autocorrelation(series, 48)).toBeCloseTo(1, 12);
    expect(autocorrelation(series, 24)).toBeLessThan(0);
  });

  it('is -1 at lag 1 and +1 at lag 2 for a constant plus an alternating series', () => {
    const series = Float64Array.from({ length: 100 }, (_, t) => 0.5 + (t % 2 === 0 ? 0.2 : -0.2));
    expect(autocorrelation(series, 1)).toBeCloseTo(-1, 12);
    expect(autocorrelation(series, 2)).toBeCloseTo(1, 12);
  });

  it('matches a hand computation: 1,2,3,1,2,3 at lag 1 is -2/7', () => {
    expect(autocorrelation(Float64Array.of(1, 2, 3, 1, 2, 3), 1)).toBeCloseTo(-2 / 7, 12);
  });

  it('is NaN for a constant series or too few pairs, and rejects a lag that is not a positive integer', () => {
    expect(autocorrelation(new Float64Array(10).fill(0.3), 1)).toBeNaN();
    expect(autocorrelation(Float64Array.of(1, 2, 3), 2)).toBeNaN();
    expect(() => autocorrelation(Float64Array.of(1, 2, 3), 0)).toThrow(RangeError);
  });
});

describe('calendar helpers', () => {
  it('reads the hour of day and the weekend from wall-clock milliseconds, before 1970 too', () => {
    expect(hourOfDay(Date.UTC(2024, 0, 6, 20, 30))).toBe(20);
    expect(hourOfDay(Date.UTC(1969, 11, 31, 23, 30))).toBe(23);
    expect(isWeekend(Date.UTC(2024, 0, 6, 12))).toBe(true); // Saturday
    expect(isWeekend(Date.UTC(2024, 0, 7, 23, 30))).toBe(true); // Sunday
    expect(isWeekend(Date.UTC(2024, 0, 8, 0))).toBe(false); // Monday
    expect(isWeekend(Date.UTC(2024, 0, 5, 23, 30))).toBe(false); // Friday
    expect(isWeekend(Date.UTC(1969, 11, 28, 10))).toBe(true); // Sunday
    expect(isWeekend(Date.UTC(1969, 11, 31, 10))).toBe(false); // Wednesday
  });
});

describe('householdStatistics', () => {
  it('profile, weekend ratio, CV of means and max/mean on constructed days', () => {
    // Two weeks from a Monday: 10 weekdays, 4 weekend days. Usage is 1 + hour, doubled at weekends; the second
    // household uses three times the first.
    const wallClockMs = stamps(14 * 48);
    const a = Float64Array.from(wallClockMs, (ms) => (1 + hourOfDay(ms)) * (isWeekend(ms) ? 2 : 1));
    const b = a.map((v) => 3 * v);
    const s = householdStatistics({ wallClockMs, households: [a, b] });

    const dayFactor = (10 * 1 + 4 * 2) / 14;
    expect(s.households).toBe(2);
    expect(s.readings).toBe(2 * 14 * 48);
    expect(s.skippedHouseholds).toBe(0);
    expect(s.dailyProfile).toHaveLength(24);
    s.dailyProfile.forEach((v, hour) => expect(v).toBeCloseTo((1 + hour) * 2 * dayFactor, 10));
    expect(s.profilePeakHour).toBe(23);
    expect(s.profileTroughHour).toBe(0);
    expect(s.profilePeakToTrough).toBeCloseTo(24, 10);
    expect(s.weekendToWeekday).toBeCloseTo(2, 12);
    // means m and 3m: sample sd m x sqrt(2), mean 2m
    expect(s.householdMeanCv).toBeCloseTo(Math.SQRT2 / 2, 12);
    // each household: max 24 x 2 on a weekend evening, mean 12.5 x dayFactor (x 3 for both, which cancels)
    expect(s.maxToMean).toBeCloseTo(48 / (12.5 * dayFactor), 10);
    expect(s.meanKwh).toBeCloseTo(2 * 12.5 * dayFactor, 10);
    expect(s.zeroShare).toBe(0);
  });

  it('pooled median, p95, zero share and per-household medians on a tiny panel', () => {
    const s = householdStatistics({ wallClockMs: stamps(5), households: [Float64Array.of(0, 1, 2, 3, 4), Float64Array.of(5, 6, 7, 8, 9)] });
    expect(s.meanKwh).toBe(4.5);
    expect(s.medianToMean).toBeCloseTo(1, 12);
    // pooled 0..9: p95 at position 8.55
    expect(s.p95ToMean).toBeCloseTo(8.55 / 4.5, 12);
    expect(s.zeroShare).toBeCloseTo(0.1, 12);
    // max/mean 4/2 and 9/7
    expect(s.maxToMean).toBeCloseTo((2 + 9 / 7) / 2, 12);
    // means 2 and 7: sample sd 2.5 x sqrt(2), mean 4.5
    expect(s.householdMeanCv).toBeCloseTo((2.5 * Math.SQRT2) / 4.5, 12);
    // a ramp is perfectly correlated with itself shifted by one; 5 readings are too few for lag 48
    expect(s.lag1Autocorrelation).toBeCloseTo(1, 12);
    expect(s.lag48Autocorrelation).toBeNaN();
  });

  it('skips households with a zero mean or a constant series instead of producing NaN, and counts them', () => {
    const wallClockMs = stamps(4 * 48);
    const periodic = (scale: number): Float64Array => Float64Array.from({ length: 4 * 48 }, (_, t) => scale * (1 + (t % 48 === 38 ? 4 : 0) + (t % 2)));
    const s = householdStatistics({
      wallClockMs,
      households: [periodic(1), new Float64Array(4 * 48), new Float64Array(4 * 48).fill(0.4), periodic(2)],
    });
    expect(s.skippedHouseholds).toBe(2);
    expect(s.lag48Autocorrelation).toBeCloseTo(1, 12);
    expect(Number.isFinite(s.lag1Autocorrelation)).toBe(true);
    expect(s.maxToMean).toBeCloseTo(5 / (1 + 4 / 48 + 0.5), 12);
    expect(s.householdMeanCv).toBeCloseTo(Math.SQRT2 / 3, 12);
    // pooled statistics still count every reading, the all-zero household's too
    expect(s.zeroShare).toBeCloseTo(0.25, 12);
  });

  it('rejects an empty panel, a series of the wrong length and a non-finite reading', () => {
    expect(() => householdStatistics({ wallClockMs: stamps(3), households: [] })).toThrow(/at least one household/);
    expect(() => householdStatistics({ wallClockMs: stamps(3), households: [Float64Array.of(1, 2)] })).toThrow(/household 0 has 2 readings, expected 3/);
    expect(() => householdStatistics({ wallClockMs: stamps(3), households: [Float64Array.of(1, Number.NaN, 2)] })).toThrow(/non-finite/);
  });
});

describe('compareHouseholdStatistics', () => {
  const profile = Array.from({ length: 24 }, (_, h) => 1 + Math.max(0, 8 - Math.abs(h - 19)) / 2);
  const reference: HouseholdStatistics = {
    households: 622,
    readings: 622 * 4416,
    skippedHouseholds: 0,
    meanKwh: 0.219,
    dailyProfile: profile,
    profilePeakHour: 20,
    profileTroughHour: 3,
    profilePeakToTrough: 3.76,
    weekendToWeekday: 1.05,
    medianToMean: 0.59,
    p95ToMean: 3.45,
    householdMeanCv: 0.55,
    lag1Autocorrelation: 0.49,
    lag48Autocorrelation: 0.28,
    maxToMean: 10.7,
    zeroShare: 0.008,
  };
  const byKey = (rows: ReturnType<typeof compareHouseholdStatistics>): Map<string, (typeof rows)[number]> => new Map(rows.map((r) => [r.key, r]));

  it('passes values inside the bands and fails those outside', () => {
    const generated: HouseholdStatistics = {
      ...reference,
      meanKwh: 0.6,
      dailyProfile: profile.map((v) => 2.7 * v),
      profilePeakHour: 22,
      profileTroughHour: 1,
      p95ToMean: 3.45 * 1.34,
      lag1Autocorrelation: 0.49 * 1.36,
      medianToMean: 0.59 * 0.64,
      zeroShare: 0,
    };
    const rows = byKey(compareHouseholdStatistics(generated, reference));
    expect(rows.get('meanKwh')).toMatchObject({ passed: null, band: 'not compared' });
    expect(rows.get('profileCorrelation')!.generated).toBeCloseTo(1, 12);
    expect(rows.get('profileCorrelation')!.passed).toBe(true);
    expect(rows.get('profilePeakHour')!.passed).toBe(true);
    expect(rows.get('profileTroughHour')!.passed).toBe(true);
    expect(rows.get('p95ToMean')!.relativeDifference).toBeCloseTo(0.34, 12);
    expect(rows.get('p95ToMean')!.passed).toBe(true);
    expect(rows.get('lag1Autocorrelation')!.passed).toBe(false);
    expect(rows.get('medianToMean')!.relativeDifference).toBeCloseTo(-0.36, 12);
    expect(rows.get('medianToMean')!.passed).toBe(false);
    expect(rows.get('zeroShare')!.passed).toBe(false);
    expect(rows.get('weekendToWeekday')).toMatchObject({ relativeDifference: 0, passed: true, band: '±35%' });
  });

  it('compares hours on the 24-hour circle and the profile by correlation', () => {
    const shifted = profile.map((_, h) => profile[(h + 12) % 24]!);
    const rows = byKey(compareHouseholdStatistics({ ...reference, profilePeakHour: 16, profileTroughHour: 1, dailyProfile: shifted }, { ...reference, profileTroughHour: 23 }));
    expect(rows.get('profilePeakHour')!.passed).toBe(false);
    expect(rows.get('profileTroughHour')!.passed).toBe(true);
    expect(rows.get('profileCorrelation')!.passed).toBe(false);
    expect(rows.get('profileCorrelation')!.band).toBe(`≥ ${DEFAULT_BANDS.profileCorrelation}`);
  });

  it('treats a reference of exactly 0 as matched only by 0, and a NaN statistic as a failure', () => {
    const zero = { ...reference, zeroShare: 0 };
    expect(byKey(compareHouseholdStatistics({ ...reference, zeroShare: 0 }, zero)).get('zeroShare')).toMatchObject({ relativeDifference: null, passed: true });
    expect(byKey(compareHouseholdStatistics({ ...reference, zeroShare: 0.001 }, zero)).get('zeroShare')!.passed).toBe(false);
    expect(byKey(compareHouseholdStatistics({ ...reference, lag48Autocorrelation: Number.NaN }, reference)).get('lag48Autocorrelation')!.passed).toBe(false);
  });

  it('honours other bands', () => {
    const rows = byKey(compareHouseholdStatistics({ ...reference, maxToMean: 10.7 * 1.3 }, reference, { relative: 0.2, profileCorrelation: 0.99, hours: 0 }));
    expect(rows.get('maxToMean')).toMatchObject({ passed: false, band: '±20%' });
  });
});

describe('correlation and normaliseProfile', () => {
  it('correlation is 1 for a scaled copy, -1 for a mirrored one, NaN for a flat one', () => {
    expect(correlation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(correlation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(correlation([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(() => correlation([1, 2], [1])).toThrow(RangeError);
  });

  it('normalises a profile to mean 1', () => {
    expect(normaliseProfile([1, 3])).toEqual([0.5, 1.5]);
  });
});
