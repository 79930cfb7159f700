import { generationDays, type GenerationDay } from '../generator/calendar.js';
import { emittedMeters, scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';

/** A local day of the scenario that the window touches, with the part of it inside the window. */
export interface WindowDay {
  readonly day: GenerationDay;
  /** The day's part of the window, [fromMs, toMs): consecutive days' parts meet exactly. */
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * One request to the store and the expected readings it is compared with: a block of meters over consecutive days.
 * Meter-days are indexed (meter - meterStart) * days.length + day.
 */
export interface VerifyChunk {
  readonly days: readonly WindowDay[];
  readonly meterStart: number;
  readonly meterEnd: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Rows a chunk may hold by default: what the store sorts per request and what the digests of one pass cover. */
export const DEFAULT_CHUNK_ROWS = 2_000_000;

/** The scenario's interval grid: an interval start is startMs + k * stepMs. */
export interface IntervalGrid {
  readonly startMs: number;
  readonly stepMs: number;
}

export const intervalGrid = (scenario: Scenario): IntervalGrid => ({ startMs: scenarioStartUtcMs(scenario), stepMs: scenario.intervalMinutes * 60_000 });

/** True when a stored time stamp (microseconds) is an interval start of the scenario: a key verify expects. */
export const onGrid = (grid: IntervalGrid, tsUs: number): boolean => tsUs % 1000 === 0 && (tsUs / 1000 - grid.startMs) % grid.stepMs === 0;

/** The scenario's local days that overlap [fromMs, toMs), each with its part of the window. */
export function windowDays(scenario: Scenario, fromMs: number, toMs: number): WindowDay[] {
  const stepMs = scenario.intervalMinutes * 60_000;
  const out: WindowDay[] = [];
  for (const day of generationDays(scenario)) {
    const dayEnd = day.firstUtcMs + day.intervals * stepMs;
    const from = Math.max(fromMs, day.firstUtcMs);
    const to = Math.min(toMs, dayEnd);
    if (from < to) out.push({ day, fromMs: from, toMs: to });
  }
  return out;
}

/**
 * Splits the window into chunks of at most about `chunkRows` readings: whole fleets over as many days as fit, or, when
 * one day of the fleet is more, blocks of meters of one day. Every meter-day of the window is in exactly one chunk;
 * chunks come in (day, meter) order. The meters are the scenario's emitted ones: a sharded scenario's shard only.
 */
export function* verifyChunks(scenario: Scenario, fromMs: number, toMs: number, chunkRows = DEFAULT_CHUNK_ROWS): Generator<VerifyChunk> {
  const { start, end } = emittedMeters(scenario);
  const meters = end - start;
  const days = windowDays(scenario, fromMs, toMs);
  let i = 0;
  while (i < days.length) {
    const first = days[i]!;
    if (meters * first.day.intervals > chunkRows) {
      const block = Math.max(1, Math.floor(chunkRows / first.day.intervals));
      for (let m = start; m < end; m += block) {
        yield { days: [first], meterStart: m, meterEnd: Math.min(end, m + block), fromMs: first.fromMs, toMs: first.toMs };
      }
      i++;
      continue;
    }
    let rows = meters * first.day.intervals;
    let j = i + 1;
    while (j < days.length && rows + meters * days[j]!.day.intervals <= chunkRows) rows += meters * days[j++]!.day.intervals;
    const group = days.slice(i, j);
    yield { days: group, meterStart: start, meterEnd: end, fromMs: group[0]!.fromMs, toMs: group.at(-1)!.toMs };
    i = j;
  }
}
