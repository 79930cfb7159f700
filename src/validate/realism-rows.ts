import type { RealismStats } from './explore-queries.js';

/**
 * The realism statistics Explore and the HTML report show, in order: label, field and decimals. A module of plain
 * values (no imports at run time), so the browser bundle takes it as the server does.
 */
export const REALISM_ROWS: readonly (readonly [string, keyof RealismStats, number])[] = [
  ['households', 'households', 0],
  ['mean kWh per 30 min', 'meanKwhPerHalfHour', 3],
  ['CV of household means', 'householdMeanCv', 2],
  ['p95 / mean', 'p95ToMean', 2],
  ['lag-1 autocorrelation', 'lag1Autocorrelation', 2],
  ['peak hour', 'profilePeakHour', 0],
  ['weekend / weekday', 'weekendToWeekday', 2],
];
