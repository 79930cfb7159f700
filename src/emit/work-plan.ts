import { generationDays, type GenerationDay } from '../generator/calendar.js';
import { emittedMeters, type Scenario } from '../scenario/scenario.js';

/** One unit of generation work: a block of meters for one local day. */
export interface WorkUnit {
  readonly sequence: number;
  readonly day: GenerationDay;
  readonly meterStart: number;
  readonly meterEnd: number;
  /** The last unit of its day: file sinks close the day's partition on it. */
  readonly lastOfDay: boolean;
}

/** Rows per unit: large enough to amortise messaging, small enough to keep memory bounded and workers balanced. */
export const DEFAULT_UNIT_ROWS = 131_072;

/**
 * Units in output order: day by day, meters in blocks. Their rows add up to expectedRows(scenario). A sharded
 * scenario's units cover only its shard's meters (blocks start at the shard's first meter).
 */
export function* workPlan(scenario: Scenario, unitRows = DEFAULT_UNIT_ROWS): Generator<WorkUnit> {
  const { start, end } = emittedMeters(scenario);
  let sequence = 0;
  for (const day of generationDays(scenario)) {
    const block = Math.max(1, Math.floor(unitRows / Math.max(1, day.intervals)));
    for (let m = start; m < end; m += block) {
      const meterEnd = Math.min(end, m + block);
      yield { sequence: sequence++, day, meterStart: m, meterEnd, lastOfDay: meterEnd === end };
    }
  }
}
