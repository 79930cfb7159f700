import { buildFleet, type Fleet } from '../fleet/fleet.js';
import { ReadingGenerator } from '../generator/reading-generator.js';
import { utcText } from '../generator/reading-records.js';
import { scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';
import type { ReadBackTarget } from '../sinks/sink-plugin.js';
import { ForgeError } from '../util/forge-error.js';
import { DuckDbReadingStore } from './duckdb-reading-store.js';
import { expectedDigests } from './expected-digests.js';
import { FileReadingStore } from './file-reading-store.js';
import { diffMeterDays, type MeterDayDiff } from './meter-day-diff.js';
import { PostgresReadingStore } from './postgres-reading-store.js';
import type { ReadingStore } from './reading-store.js';
import { sinkDigests } from './sink-digests.js';
import { intervalGrid, verifyChunks } from './verify-chunks.js';

/** A store verify reads: the DuckDB sink's warehouse file, the Postgres sink's table (`name` or `schema.name`), or a format sink's files. */
export type VerifyTarget =
  /** Where a sink's plugin says it can be read back (sinks/sink-plugin.ts). */
  | ReadBackTarget
  /** The silver layer (`silver_ami`) of a pipeline database (`forge ingest --out`). */
  | { readonly kind: 'pipeline'; readonly path: string };

export interface VerifyOptions {
  readonly scenario: Scenario;
  /** The window of interval starts (reading_ts_utc) checked, [fromUtcMs, toUtcMs); inside the scenario's range. */
  readonly fromUtcMs: number;
  readonly toUtcMs: number;
  readonly target: VerifyTarget;
  /**
   * Readings per request to the store (and per pass of digests), about; default 2,000,000. Bounds what the store
   * sorts at once; the result does not depend on it.
   */
  readonly chunkRows?: number;
}

/** A meter-day (a meter's readings of one local date of the service area) where the store does not hold what it should. */
export interface MeterDayProblem extends MeterDayDiff {
  readonly meterId: string;
  /** Local date of the readings, YYYY-MM-DD. */
  readonly localDate: string;
  /** Readings expected in the window. */
  readonly expected: number;
}

/**
 * The comparison of one store with the regenerated scenario over a window. Counts, over the fleet's meters:
 * - expected: readings whose interval start is in the window;
 * - found: rows the store holds in the window, every copy;
 * - missing: expected keys (meter_id, reading_ts_utc) with no row;
 * - duplicates: rows beyond the first of a key;
 * - differing: keys present whose every copy differs from the expected reading in a compared value;
 * - unexpected: rows whose time is not an interval start of the scenario (a shifted or corrupted time stamp).
 * found = expected - missing + duplicates + unexpected. `ok` when missing, duplicates, differing and unexpected are 0.
 */
export interface VerifyReport {
  /** The store, fit to print (passwords redacted). */
  readonly target: string;
  readonly fromUtc: string;
  readonly toUtc: string;
  readonly expected: number;
  readonly found: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly differing: number;
  readonly unexpected: number;
  /** Meter-days the window touches (fleet meters x local dates). */
  readonly meterDays: number;
  /** Meter-days with any problem; `problems` lists the first MAX_PROBLEMS, in (date, meter) order. */
  readonly problemMeterDays: number;
  readonly problems: MeterDayProblem[];
  readonly ok: boolean;
}

export const MAX_PROBLEMS = 20;

/** An instant as ISO 8601 UTC, to the second like reading_ts_utc (milliseconds only when it has them). */
const instantText = (ms: number): string => (ms % 1000 === 0 ? utcText(ms) : new Date(ms).toISOString());

/**
 * Regenerates the scenario's readings in the window and compares them with what a DuckDB or Postgres sink holds
 * (DESIGN.md: verify). Both sides are reduced to a count and a digest per meter-day in bounded memory (chunks of
 * meters x days, verify-chunks.ts); only meter-days whose digests differ are read again and compared reading by
 * reading. Read only: the store is never changed. Problems are reported, not thrown: see `ok`.
 */
export async function verifySink(options: VerifyOptions): Promise<VerifyReport> {
  const { scenario, fromUtcMs: fromMs, toUtcMs: toMs } = options;
  checkWindow(scenario, fromMs, toMs);
  const fleet = buildFleet(scenario);
  const store = await openStore(options.target, scenario, fleet);
  try {
    return await compareStore(store, options, fleet);
  } finally {
    await store.close();
  }
}

function checkWindow(scenario: Scenario, fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['window: from and to must be instants']);
  if (fromMs > toMs) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`window: from ${instantText(fromMs)} is after to ${instantText(toMs)}`]);
  const start = scenarioStartUtcMs(scenario);
  const end = scenarioEndUtcMs(scenario);
  if (fromMs < start || toMs > end) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
      `window: ${instantText(fromMs)} to ${instantText(toMs)} is not inside the scenario's range, ${utcText(start)} to ${utcText(end)} (${scenario.days} days from ${scenario.start})`,
    ]);
  }
}

function openStore(target: VerifyTarget, scenario: Scenario, fleet: Fleet): Promise<ReadingStore> {
  if (target.kind === 'files') return Promise.resolve(new FileReadingStore(target, { scenario, fleet }));
  if (target.kind === 'postgres') return PostgresReadingStore.open(target.url, target.table);
  return DuckDbReadingStore.open(target.path, target.kind === 'pipeline' ? { relation: 'silver_ami' } : {});
}

async function compareStore(store: ReadingStore, options: VerifyOptions, fleet: Fleet): Promise<VerifyReport> {
  const { scenario, fromUtcMs: fromMs, toUtcMs: toMs } = options;
  const generator = new ReadingGenerator(scenario);
  const grid = intervalGrid(scenario);
  const totals = { expected: 0, found: 0, missing: 0, duplicates: 0, differing: 0, unexpected: 0, meterDays: 0, problemMeterDays: 0 };
  const problems: MeterDayProblem[] = [];
  for (const chunk of verifyChunks(scenario, fromMs, toMs, options.chunkRows)) {
    const D = chunk.days.length;
    const [want, have] = await Promise.all([expectedDigests(generator, chunk, store.projection ?? 0), sinkDigests(store, chunk, fleet.meterIds, grid)]);
    // Meter-days whose readings differ are compared reading by reading, one request per day.
    const diffs = new Map<number, MeterDayDiff>();
    for (let d = 0; d < D; d++) {
      const meters: number[] = [];
      for (let m = chunk.meterStart; m < chunk.meterEnd; m++) if (!want.sameReadings((m - chunk.meterStart) * D + d, have)) meters.push(m);
      if (meters.length === 0) continue;
      const dayDiffs = await diffMeterDays(store, generator, fleet.meterIds, chunk.days[d]!, meters, grid);
      for (const [m, diff] of dayDiffs) diffs.set((m - chunk.meterStart) * D + d, diff);
    }
    for (let d = 0; d < D; d++) {
      for (let m = chunk.meterStart; m < chunk.meterEnd; m++) {
        const index = (m - chunk.meterStart) * D + d;
        const expected = want.count[index]!;
        const diff: MeterDayDiff = diffs.get(index) ?? {
          found: have.found[index]!,
          missing: 0,
          duplicates: have.duplicates[index]!,
          differing: 0,
          unexpected: have.unexpected[index]!,
          firstDifference: null,
        };
        totals.meterDays++;
        totals.expected += expected;
        totals.found += diff.found;
        totals.missing += diff.missing;
        totals.duplicates += diff.duplicates;
        totals.differing += diff.differing;
        totals.unexpected += diff.unexpected;
        if (diff.missing + diff.duplicates + diff.differing + diff.unexpected === 0) continue;
        totals.problemMeterDays++;
        if (problems.length < MAX_PROBLEMS) problems.push({ meterId: fleet.meterIds[m]!, localDate: chunk.days[d]!.day.localDate, expected, ...diff });
      }
    }
  }
  const ok = totals.missing + totals.duplicates + totals.differing + totals.unexpected === 0;
  return { target: store.description, fromUtc: instantText(fromMs), toUtc: instantText(toMs), ...totals, problems, ok };
}
