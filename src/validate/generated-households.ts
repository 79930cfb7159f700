import { emitBatches } from '../emit/batch-emitter.js';
import { buildFleet } from '../fleet/fleet.js';
import { SEGMENTS, type Segment } from '../scenario/enums.js';
import { scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';
import type { HouseholdPanel } from './household-statistics.js';

const HALF_HOUR_MS = 30 * 60_000;

/** Largest panel collected (meters x 30-minute intervals): 20M values, 160 MB, plus as much again to sort them. */
export const MAX_PANEL_VALUES = 20_000_000;

export interface GeneratedHouseholds extends HouseholdPanel {
  /** Fleet index of each series' meter. */
  readonly meterIndex: Uint32Array;
  /** Meters of the scenario, of any segment (the series are those of `segment` only). */
  readonly scenarioMeters: number;
  readonly segment: Segment;
  readonly sourceIntervalMinutes: number;
  /** Readings consumed from the generator. */
  readonly readings: number;
}

export interface CollectOptions {
  /** Segment of the meters kept (others are skipped). Default RESIDENTIAL. */
  readonly segment?: Segment;
  /** Worker threads for the emitter; default 0, the calling thread (calibration runs are small). */
  readonly workers?: number;
}

/**
 * Generates a scenario and gathers each meter's usage into consecutive 30-minute sums, the resolution of the measured
 * reference: 15-minute readings are summed in consecutive pairs (5-minute readings in sixes) from local midnight of
 * the scenario's first day. Readings are placed by their UTC instant, so the result does not depend on batch order or
 * layout; `wallClockMs` is the local wall-clock start of each 30-minute interval (as `ReadingBatch.tsLocalMs`).
 * Throws if the interval does not divide 30 minutes, the panel would exceed MAX_PANEL_VALUES, no meter is of the
 * segment, a reading falls outside the scenario, or a meter has not exactly one reading per interval in total.
 */
export async function collectGeneratedHouseholds(scenario: Scenario, options: CollectOptions = {}): Promise<GeneratedHouseholds> {
  const segment = options.segment ?? 'RESIDENTIAL';
  const interval = scenario.intervalMinutes;
  if (30 % interval !== 0) throw new RangeError(`${interval}-minute readings cannot be summed to 30 minutes (use 5, 15 or 30)`);
  const perSlot = 30 / interval;
  const startUtc = scenarioStartUtcMs(scenario);
  const slots = Math.round((scenarioEndUtcMs(scenario) - startUtc) / HALF_HOUR_MS);

  const fleet = buildFleet(scenario);
  const code = SEGMENTS.indexOf(segment);
  const seriesOf = new Int32Array(fleet.size).fill(-1);
  const kept: number[] = [];
  for (let m = 0; m < fleet.size; m++) {
    if (fleet.segment[m] === code) seriesOf[m] = kept.push(m) - 1;
  }
  if (kept.length === 0) throw new RangeError(`none of the scenario's ${fleet.size} meters is ${segment}`);
  if (kept.length * slots > MAX_PANEL_VALUES) {
    throw new RangeError(
      `${kept.length} meters x ${slots} half hours = ${kept.length * slots} values is more than ${MAX_PANEL_VALUES} (ask for fewer meters or days)`,
    );
  }

  const households = kept.map(() => new Float64Array(slots));
  const counts = new Uint32Array(kept.length);
  const wallClockMs = new Float64Array(slots).fill(Number.NaN);
  let readings = 0;
  for await (const { batch } of emitBatches(scenario, { workers: options.workers ?? 0 })) {
    readings += batch.length;
    for (let r = 0; r < batch.length; r++) {
      const h = seriesOf[batch.meterIndex[r]!]!;
      if (h < 0) continue;
      const offset = batch.tsUtcMs[r]! - startUtc;
      const slot = Math.floor(offset / HALF_HOUR_MS);
      if (slot < 0 || slot >= slots) throw new RangeError(`reading at ${new Date(batch.tsUtcMs[r]!).toISOString()} is outside the scenario`);
      const series = households[h]!;
      series[slot] = series[slot]! + batch.usageKwh[r]!;
      counts[h]!++;
      if (offset === slot * HALF_HOUR_MS) wallClockMs[slot] = batch.tsLocalMs[r]!;
    }
  }
  counts.forEach((count, h) => {
    if (count !== slots * perSlot) throw new Error(`meter ${fleet.meterIds[kept[h]!]} has ${count} readings, expected ${slots * perSlot}`);
  });
  if (wallClockMs.some(Number.isNaN)) throw new Error('some 30-minute intervals have no reading starting them');
  return {
    wallClockMs,
    households,
    meterIndex: Uint32Array.from(kept),
    scenarioMeters: fleet.size,
    segment,
    sourceIntervalMinutes: interval,
    readings,
  };
}
