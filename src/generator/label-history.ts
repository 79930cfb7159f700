import type { Fleet } from '../fleet/fleet.js';
import type { Scenario } from '../scenario/scenario.js';
import { LabelCollector, type LabelRows } from './anomaly-labels.js';
import type { GenerationDay } from './calendar.js';
import type { ReadingBatch } from './reading-batch.js';
import { ReadingGenerator } from './reading-generator.js';

/** Meters generated at once while looking back (bounds the memory of a look-back over a large fleet). */
const BLOCK_METERS = 4_096;

/**
 * A LabelCollector as a job that ran from the scenario's first day stands at the start of `days[dayIndex]`: every
 * run open at the end of the day before, from its first reading, with its readings and severity so far. A resumed
 * job takes it so that a window running into the date it resumes in is the uninterrupted run's window (same start,
 * same readings), not a second window begun at the date's start.
 *
 * A reading with no event at all ends every run of its meter (LabelCollector), so a meter's state at a day's start
 * is a function of its readings since its last such reading. The look-back generates the day before for the meters
 * [meterStart, meterEnd), then, day by day backwards, only the meters whose runs reach back further (theft lasts up
 * to 60 days, a storm outage a few), and replays each from its last reading without an event. Nothing is counted or
 * returned as closed: those windows belong to the run before (`restart`).
 */
export function labelCollectorAt(scenario: Scenario, fleet: Fleet, days: readonly GenerationDay[], dayIndex: number, meterStart: number, meterEnd: number): LabelCollector {
  const collector = new LabelCollector(scenario, fleet);
  if (dayIndex <= 0) return collector;
  const generator = new ReadingGenerator(scenario, fleet);
  /** Per meter whose run is open at the start of `dayIndex`: the day and the row within it its replay starts at. */
  const replayFrom = new Map<number, { day: number; row: number }>();
  let open: number[] = [];
  for (let m = meterStart; m < meterEnd; m++) open.push(m);
  for (let k = dayIndex - 1; k >= 0 && open.length > 0; k--) {
    const day = days[k]!;
    const T = day.intervals;
    const stillOpen: number[] = [];
    forEachBlock(generator, day, open, (batch, first, count) => {
      for (let j = 0; j < count; j++) {
        const m = first + j;
        let row = T - 1;
        while (row >= 0 && batch.eventType[j * T + row] !== 0) row--;
        // The day before ends without an event: nothing is open.
        if (row === T - 1 && k === dayIndex - 1) continue;
        if (row >= 0) replayFrom.set(m, { day: k, row: row + 1 });
        else if (k === 0) replayFrom.set(m, { day: 0, row: 0 });
        else stillOpen.push(m);
      }
    });
    open = stillOpen;
  }
  if (replayFrom.size === 0) return collector;
  const firstDay = Math.min(...[...replayFrom.values()].map((r) => r.day));
  for (let k = firstDay; k < dayIndex; k++) {
    const day = days[k]!;
    const T = day.intervals;
    const meters = [...replayFrom.entries()].filter(([, r]) => r.day <= k).map(([m]) => m).sort((a, b) => a - b);
    forEachBlock(generator, day, meters, (batch, first, count) => {
      for (let j = 0; j < count; j++) {
        const from = replayFrom.get(first + j)!;
        collector.add(rowsOf(batch, j * T + (from.day === k ? from.row : 0), (j + 1) * T));
      }
    });
    collector.endDay();
  }
  collector.restart();
  return collector;
}

/** Generates `day` for the (ascending) meters, a contiguous block at a time: `visit(batch, firstMeter, meters)`. */
function forEachBlock(generator: ReadingGenerator, day: GenerationDay, meters: readonly number[], visit: (batch: ReadingBatch, first: number, count: number) => void): void {
  let i = 0;
  while (i < meters.length) {
    let j = i + 1;
    while (j < meters.length && meters[j] === meters[j - 1]! + 1 && j - i < BLOCK_METERS) j++;
    const first = meters[i]!;
    visit(generator.generate(day, first, first + (j - i)), first, j - i);
    i = j;
  }
}

/** Rows [from, to) of a batch, as views (no copy). */
function rowsOf(batch: ReadingBatch, from: number, to: number): LabelRows {
  return {
    length: to - from,
    eventType: batch.eventType.subarray(from, to),
    meterIndex: batch.meterIndex.subarray(from, to),
    tsUtcMs: batch.tsUtcMs.subarray(from, to),
    tsLocalMs: batch.tsLocalMs.subarray(from, to),
    voltage: batch.voltage.subarray(from, to),
  };
}
