import { SEGMENTS } from '../scenario/enums.js';

/**
 * Typical hourly load shapes by segment, weekday and weekend (hour 0 = 00:00-01:00 local), normalised so that a
 * week averages 1. Residential: night trough, morning shoulder, evening peak about 3.8x the trough (the measured
 * EDRP households peak at 20:00, trough at 03:00, ratio 3.76); commercial: business hours with a weekend drop;
 * industrial: two shifts on a near-flat base.
 */
const RAW: Record<(typeof SEGMENTS)[number], { weekday: number[]; weekend: number[] }> = {
  RESIDENTIAL: {
    weekday: [0.55, 0.48, 0.45, 0.44, 0.45, 0.55, 0.8, 1.0, 0.95, 0.85, 0.8, 0.8, 0.82, 0.82, 0.85, 0.95, 1.15, 1.45, 1.7, 1.75, 1.65, 1.4, 1.05, 0.75],
    weekend: [0.62, 0.54, 0.49, 0.47, 0.47, 0.5, 0.6, 0.78, 0.99, 1.1, 1.1, 1.05, 1.05, 1.03, 1.03, 1.07, 1.2, 1.49, 1.73, 1.78, 1.68, 1.47, 1.13, 0.84],
  },
  COMMERCIAL: {
    weekday: [0.45, 0.43, 0.42, 0.42, 0.44, 0.55, 0.8, 1.2, 1.5, 1.6, 1.65, 1.65, 1.6, 1.62, 1.62, 1.58, 1.5, 1.3, 1.0, 0.8, 0.65, 0.55, 0.5, 0.47],
    weekend: [0.42, 0.41, 0.4, 0.4, 0.41, 0.44, 0.5, 0.6, 0.7, 0.75, 0.78, 0.78, 0.78, 0.77, 0.76, 0.74, 0.7, 0.64, 0.58, 0.52, 0.48, 0.46, 0.44, 0.43],
  },
  INDUSTRIAL: {
    weekday: [0.8, 0.78, 0.78, 0.78, 0.8, 0.9, 1.05, 1.15, 1.18, 1.18, 1.18, 1.15, 1.12, 1.15, 1.18, 1.18, 1.15, 1.1, 1.05, 1.0, 0.95, 0.9, 0.85, 0.82],
    weekend: [0.72, 0.71, 0.71, 0.71, 0.72, 0.74, 0.76, 0.78, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79, 0.78, 0.77, 0.76, 0.75, 0.74, 0.73, 0.72],
  },
};

export interface LoadShape {
  readonly weekday: Float64Array;
  readonly weekend: Float64Array;
}

function normalise(raw: { weekday: number[]; weekend: number[] }): LoadShape {
  const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
  const weekMean = (5 * sum(raw.weekday) + 2 * sum(raw.weekend)) / (7 * 24);
  return {
    weekday: Float64Array.from(raw.weekday, (v) => v / weekMean),
    weekend: Float64Array.from(raw.weekend, (v) => v / weekMean),
  };
}

/** Indexed by segment code. */
export const LOAD_SHAPES: readonly LoadShape[] = SEGMENTS.map((s) => normalise(RAW[s]));

/** Shape value at a fractional local hour (0 <= hour < 24), linearly interpolated between hour midpoints. */
export function shapeAt(hours: Float64Array, hour: number): number {
  const x = hour - 0.5;
  const i0 = Math.floor(x);
  const f = x - i0;
  const a = hours[(i0 + 24) % 24]!;
  const b = hours[(i0 + 25) % 24]!;
  return a + (b - a) * f;
}
