import type { HouseholdPanel } from '../validate/household-statistics.js';

/**
 * A panel at twice the interval: each pair of consecutive readings summed, stamped with the first one's wall clock
 * (30-minute readings to hourly, 15-minute to 30). An odd last reading is dropped.
 */
export function sumPanelPairs(panel: HouseholdPanel): HouseholdPanel {
  const T = Math.floor(panel.wallClockMs.length / 2);
  const wallClockMs = Float64Array.from({ length: T }, (_, t) => panel.wallClockMs[2 * t]!);
  const households = panel.households.map((series) => Float64Array.from({ length: T }, (_, t) => series[2 * t]! + series[2 * t + 1]!));
  return { wallClockMs, households };
}
