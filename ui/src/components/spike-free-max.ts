/**
 * A y-axis top that leaves out a lone spike: 1.5 x the 90th percentile when the maximum is over 3 times it (a stream's
 * final flush commits seconds of readings at once), else none (the chart's own scale). Needs five points to judge.
 */
export function spikeFreeMax(values: readonly number[]): number | undefined {
  if (values.length < 5) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(0.9 * (sorted.length - 1))]!;
  return p90 > 0 && sorted.at(-1)! > 3 * p90 ? Math.ceil(p90 * 1.5) : undefined;
}
