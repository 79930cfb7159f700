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
 *
 * `startSequence` (a resumed batch job: the unit after its checkpoint) begins the plan at that unit; the units before
 * it keep their sequence numbers and are skipped by arithmetic, a day at a time, without being generated. A unit's
 * sequence depends only on (scenario, unitRows), which is why a job record keeps its batch size.
 */
export function* workPlan(scenario: Scenario, unitRows = DEFAULT_UNIT_ROWS, startSequence = 0): Generator<WorkUnit> {
  const { start, end } = emittedMeters(scenario);
  let sequence = 0;
  for (const day of generationDays(scenario)) {
    const block = Math.max(1, Math.floor(unitRows / Math.max(1, day.intervals)));
    const units = Math.ceil((end - start) / block);
    if (sequence + units <= startSequence) {
      sequence += units;
      continue;
    }
    for (let m = start; m < end; m += block) {
      if (sequence < startSequence) {
        sequence++;
        continue;
      }
      const meterEnd = Math.min(end, m + block);
      yield { sequence: sequence++, day, meterStart: m, meterEnd, lastOfDay: meterEnd === end };
    }
  }
}

/** Rows of every unit up to and including `sequence` (-1: none): what a resumed job's skipped units held. */
export function rowsThrough(scenario: Scenario, unitRows: number | undefined, sequence: number): number {
  let rows = 0;
  if (sequence < 0) return rows;
  for (const unit of workPlan(scenario, unitRows)) {
    if (unit.sequence > sequence) break;
    rows += (unit.meterEnd - unit.meterStart) * unit.day.intervals;
  }
  return rows;
}
