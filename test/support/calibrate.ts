import type { CalibrationProfile, SegmentCalibration } from '../../src/scenario/calibration-profile.js';

/** Profiles for the calibration tests: a plausible residential calibration, with any field replaced. */
export const FLAT = Array.from({ length: 24 }, (_, h) => (h >= 17 && h <= 21 ? 2 : h < 6 ? 0.4 : 0.9));
export const WEEKEND = Array.from({ length: 24 }, (_, h) => (h >= 17 && h <= 21 ? 2.1 : h < 7 ? 0.45 : 0.95));

export function residentialCalibration(overrides: Partial<SegmentCalibration> = {}): SegmentCalibration {
  return {
    meters: 40,
    meanKw: 0.45,
    meanCv: 0.5,
    baseShare: 0.3,
    noiseSigma: 0.6,
    noiseAutocorrelation: 0.9,
    routineSigma: 0.4,
    spikeRate: 0.08,
    spikeSize: 1.8,
    spikeCv: 0.8,
    weekendEffect: 1.05,
    seasons: { SPRING: { weekday: FLAT, weekend: WEEKEND, level: 1 } },
    temperature: null,
    ...overrides,
  };
}

export function profileOf(calibration: SegmentCalibration = residentialCalibration()): CalibrationProfile {
  return { version: 1, source: { intervalMinutes: 30, days: 30, meters: calibration.meters }, segments: { RESIDENTIAL: calibration } };
}
