import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildFleet } from '../../src/fleet/fleet.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../../src/scenario/scenario.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import type { MeterDayDigests } from '../../src/verify/meter-day-digests.js';
import { DuckDbReadingStore } from '../../src/verify/duckdb-reading-store.js';
import type { ReadingStore } from '../../src/verify/reading-store.js';
import { sinkDigests } from '../../src/verify/sink-digests.js';
import { intervalGrid, verifyChunks } from '../../src/verify/verify-chunks.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

/**
 * The sharding tests' scenario: 203 meters (not a multiple of 4, so shards differ in size) x 3 days at 30 minutes from
 * Saturday 2026-03-07 in Texas (clocks spring forward on the 8th), with a forced storm so that outages hit whole
 * feeders across shard boundaries: 203 x 3 x 48 = 29,232 readings.
 */
export const SHARD_BASE = { meters: 203, days: 3, start: '2026-03-07', interval: 30, seed: 17, storm: true } as const;
export const SHARD_ROWS = 203 * 3 * 48;

export const shardScenario = (shard?: string): Scenario => resolveScenario({ ...SHARD_BASE, ...(shard ? { shard } : {}) });

/**
 * A DuckDB file whose `ami_readings` view reads the Parquet files of a directory: verify's DuckDB store then reads
 * them like a warehouse (the Parquet files hold the flat reading schema).
 */
export async function parquetView(dbPath: string, parquetDir: string): Promise<void> {
  const warehouse = await Warehouse.open(dbPath);
  try {
    await warehouse.run(`CREATE VIEW ami_readings AS SELECT * FROM read_parquet(${quoteLiteral(`${parquetDir}/**/*.parquet`)})`);
  } finally {
    warehouse.close();
  }
}

/** Rows of a DuckDB file's ami_readings view. */
export async function countRows(dbPath: string): Promise<number> {
  const warehouse = await Warehouse.open(dbPath, { access_mode: 'READ_ONLY' });
  try {
    return await warehouse.number('SELECT count(*) FROM ami_readings');
  } finally {
    warehouse.close();
  }
}

/**
 * verify's per meter-day digests (count and SHA-256 of every compared value, in time order) of what a store holds,
 * over the whole (unsharded) scenario, chunk by chunk.
 */
export async function storeDigests(store: ReadingStore, scenario: Scenario = shardScenario()): Promise<MeterDayDigests[]> {
  const fleet = buildFleet(scenario);
  const out: MeterDayDigests[] = [];
  for (const chunk of verifyChunks(scenario, scenarioStartUtcMs(scenario), scenarioEndUtcMs(scenario), 10_000)) {
    out.push(await sinkDigests(store, chunk, fleet.meterIds, intervalGrid(scenario)));
  }
  return out;
}

export async function duckDbDigests(dbPath: string): Promise<MeterDayDigests[]> {
  const store = await DuckDbReadingStore.open(dbPath);
  try {
    return await storeDigests(store);
  } finally {
    await store.close();
  }
}

/** Meter-days (of the chunks' numbering) whose digests, counts or copies differ between two stores. */
export function differingMeterDays(a: readonly MeterDayDigests[], b: readonly MeterDayDigests[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let differing = 0;
  a.forEach((chunk, c) => {
    const other = b[c]!;
    for (let i = 0; i < chunk.size; i++) {
      if (!chunk.sameReadings(i, other) || chunk.found[i] !== other.found[i] || chunk.duplicates[i] !== other.duplicates[i]) differing++;
    }
  });
  return differing;
}

/** Meter-days that hold at least one reading. */
export const filledMeterDays = (digests: readonly MeterDayDigests[]): number =>
  digests.reduce((sum, d) => sum + d.count.filter((c) => c > 0).length, 0);

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Runs the forge CLI from source in `cwd` with extra environment variables. */
export function forge(args: readonly string[], cwd: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', FORGE_SHARD: '', ...env },
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
