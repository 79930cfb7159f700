import type { ReadingGenerator } from '../generator/reading-generator.js';
import { utcText } from '../generator/reading-records.js';
import { DATA_QUALITIES, EVENT_TYPES } from '../scenario/enums.js';
import { expectedRecords } from './expected-digests.js';
import { RecordBuffer, UNKNOWN_EVENT, type RecordFields } from './reading-record.js';
import { pushSinkRow, type ReadingStore } from './reading-store.js';
import { onGrid, type IntervalGrid, type WindowDay } from './verify-chunks.js';

/** One meter-day compared reading by reading. */
export interface MeterDayDiff {
  /** Rows the store holds for the meter-day in the window (every copy). */
  readonly found: number;
  /** Expected keys with no row. */
  readonly missing: number;
  /** Extra copies of a key. */
  readonly duplicates: number;
  /** Keys present whose every copy differs from the expected reading. */
  readonly differing: number;
  /** Rows whose time is no interval start of the scenario. */
  readonly unexpected: number;
  /** The first differing reading, field by field (expected -> found), or null. */
  readonly firstDifference: string | null;
}

/**
 * Compares, reading by reading, the meter-days of one day whose digests differ: reads their rows again (one request
 * for all of them, streamed meter by meter) and regenerates each meter's day. Memory holds one meter-day at a time.
 * Returns the diff per meter (fleet index).
 */
export async function diffMeterDays(
  store: ReadingStore,
  generator: ReadingGenerator,
  meterIds: readonly string[],
  day: WindowDay,
  meters: readonly number[],
  grid: IntervalGrid,
): Promise<Map<number, MeterDayDiff>> {
  const diffs = new Map<number, MeterDayDiff>();
  const expected = new RecordBuffer();
  const found = new RecordBuffer();
  let meter = -1;
  let offGrid = 0;
  let rowsOfMeter = 0;
  const finish = (): void => {
    if (meter < 0) return;
    expectedRecords(generator.generate(day.day, meter, meter + 1), 0, day, expected, store.projection ?? 0);
    diffs.set(meter, compare(expected, found, rowsOfMeter, offGrid));
  };
  let current = -1;
  for await (const rows of store.rows(meters.map((m) => meterIds[m]!), day.fromMs, day.toMs)) {
    for (let i = 0; i < rows.length; i++) {
      const position = rows.meter[i]!;
      if (position !== current) {
        finish();
        current = position;
        meter = meters[position] ?? -1;
        found.clear();
        offGrid = 0;
        rowsOfMeter = 0;
      }
      if (meter < 0) continue;
      rowsOfMeter++;
      const tsUs = rows.tsUs[i]!;
      if (onGrid(grid, tsUs)) pushSinkRow(found, rows, i, tsUs / 1000);
      else offGrid++;
    }
  }
  finish();
  // Meters the store holds no row of for this day.
  found.clear();
  for (const m of meters) {
    if (diffs.has(m)) continue;
    expectedRecords(generator.generate(day.day, m, m + 1), 0, day, expected, store.projection ?? 0);
    diffs.set(m, compare(expected, found, 0, 0));
  }
  return diffs;
}

/** Merges expected readings and the store's on-grid rows, both in time order (a key's copies adjacent). */
function compare(expected: RecordBuffer, found: RecordBuffer, rows: number, offGrid: number): MeterDayDiff {
  let missing = 0;
  let duplicates = 0;
  let differing = 0;
  let unexpected = offGrid;
  let firstDifference: string | null = null;
  let j = 0;
  for (let i = 0; i < expected.length; i++) {
    const ts = expected.tsMs(i);
    while (j < found.length && found.tsMs(j) < ts) {
      unexpected++;
      j++;
    }
    const first = j;
    while (j < found.length && found.tsMs(j) === ts) j++;
    if (j === first) {
      missing++;
      continue;
    }
    duplicates += j - first - 1;
    let same = false;
    for (let k = first; k < j && !same; k++) same = expected.equals(i, found, k);
    if (!same) {
      differing++;
      firstDifference ??= describeDifference(expected.fields(i), found.fields(first));
    }
  }
  unexpected += found.length - j;
  return { found: rows, missing, duplicates, differing, unexpected, firstDifference };
}

const showNumber = (v: number | null): string => (v === null ? 'null' : Object.is(v, -0) ? '-0' : String(v));
const showQuality = (v: number | null): string => (v === null ? 'null' : (DATA_QUALITIES[v] ?? 'unknown'));
const showEvent = (v: number): string => (v === 0 ? 'null' : v === UNKNOWN_EVENT ? 'unknown' : (EVENT_TYPES[v - 1] ?? 'unknown'));

function describeDifference(want: RecordFields, got: RecordFields): string {
  const parts: string[] = [];
  const field = (name: string, a: string, b: string): void => {
    if (a !== b) parts.push(`${name} ${a} -> ${b}`);
  };
  field('usage_kwh', showNumber(want.usage), showNumber(got.usage));
  field('voltage', showNumber(want.voltage), showNumber(got.voltage));
  field('power_factor', showNumber(want.powerFactor), showNumber(got.powerFactor));
  field('temperature_c', showNumber(want.temperature), showNumber(got.temperature));
  field('is_outage', String(want.outage), String(got.outage));
  field('data_quality', showQuality(want.quality), showQuality(got.quality));
  field('event_type', showEvent(want.event), showEvent(got.event));
  return `${utcText(want.tsMs)}: ${parts.length > 0 ? parts.join(', ') : 'the values differ in their bits only'}`;
}
