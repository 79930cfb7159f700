import type { DuckDBValue, Json } from '@duckdb/node-api';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario, scenarioStartUtcMs, type Scenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

/**
 * Shared by the verify tests: a small scenario of the real engine (30 meters x 2 days of 15 minutes = 5,760 readings)
 * that starts on Saturday 2026-03-07 in Texas, so its 48 real hours cover three local dates: 96 intervals on 03-07,
 * 92 on 03-08 (clocks spring forward) and 4 on 03-09.
 */
export function verifyScenario(overrides: Record<string, unknown> = {}): Scenario {
  return resolveScenario({ meters: 30, days: 2, start: '2026-03-07', seed: 11, ...overrides });
}

export const HOUR_MS = 3_600_000;
export const STEP_MS = 15 * 60_000;

/** The scenario's first instant plus `hours` (and `minutes`), as epoch ms. */
export const at = (scenario: Scenario, hours: number, minutes = 0): number => scenarioStartUtcMs(scenario) + hours * HOUR_MS + minutes * 60_000;

/** Epoch ms as a timestamp text both DuckDB and Postgres read as TIMESTAMPTZ. */
export const tsText = (ms: number): string => new Date(ms).toISOString();

/** Runs the real batch job into a DuckDB file. */
export async function writeDuckDb(path: string, scenario: Scenario, append = false): Promise<void> {
  await runBatchJob({ scenario, sinks: [new DuckDbSink({ path, append })], workers: 0 });
}

/** Opens a DuckDB file read-write, runs `fn`, closes it (the file is free again for verify). */
export async function withDuckDb<T>(path: string, fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await Warehouse.open(path);
  try {
    return await fn(warehouse);
  } finally {
    warehouse.close();
  }
}

export async function duckRows(path: string, sql: string, values: DuckDBValue[] = []): Promise<Record<string, Json>[]> {
  return withDuckDb(path, (w) => w.rows(sql, values));
}

export async function duckNumber(path: string, sql: string, values: DuckDBValue[] = []): Promise<number> {
  return withDuckDb(path, (w) => w.number(sql, values));
}

/** Rows of `meterIds` in the window [fromMs, toMs), counted in the store itself (independently of verify). */
export const COUNT_IN_WINDOW = `SELECT count(*) FROM ami_readings WHERE meter_id IN (SELECT unnest(string_split($1, ','))) AND reading_ts_utc >= $2::TIMESTAMPTZ AND reading_ts_utc < $3::TIMESTAMPTZ`;

/**
 * The tampering every store test applies, as (meter, instant) pairs chosen across the three local dates:
 * - delete: the first three readings of meter 3 (local 2026-03-07 00:00 to 00:30);
 * - duplicate: a second copy of meter 7's reading 40 hours in (local 2026-03-08);
 * - change: meter 12's usage 47 hours in (local 2026-03-09, the 4-interval day) raised by 0.5 kWh;
 * - offGrid: a copy of meter 20's reading 44 hours in, moved 7 minutes later (no interval starts there).
 * Nothing between hours 6 and 30, so a window there sees none of it.
 */
export function tamperPlan(meterIds: readonly string[], scenario: Scenario) {
  return {
    delete: { meterId: meterIds[3]!, fromMs: at(scenario, 0), toMs: at(scenario, 0, 45), rows: 3 },
    duplicate: { meterId: meterIds[7]!, tsMs: at(scenario, 40) },
    change: { meterId: meterIds[12]!, tsMs: at(scenario, 47), by: 0.5 },
    offGrid: { meterId: meterIds[20]!, tsMs: at(scenario, 44), shiftMinutes: 7 },
  };
}
export type TamperPlan = ReturnType<typeof tamperPlan>;

/** Applies the plan to a DuckDB warehouse file through SQL on its fact table. */
export async function tamperDuckDb(path: string, plan: TamperPlan): Promise<void> {
  await withDuckDb(path, async (w) => {
    const key = `(SELECT meter_key FROM ami_meters WHERE meter_id = $1)`;
    await w.run(`DELETE FROM ami_fact WHERE meter_key = ${key} AND reading_ts_utc >= $2::TIMESTAMPTZ AND reading_ts_utc < $3::TIMESTAMPTZ`, [
      plan.delete.meterId, tsText(plan.delete.fromMs), tsText(plan.delete.toMs),
    ]);
    await w.run(`INSERT INTO ami_fact SELECT * FROM ami_fact WHERE meter_key = ${key} AND reading_ts_utc = $2::TIMESTAMPTZ`, [plan.duplicate.meterId, tsText(plan.duplicate.tsMs)]);
    await w.run(`UPDATE ami_fact SET usage_kwh = usage_kwh + $3 WHERE meter_key = ${key} AND reading_ts_utc = $2::TIMESTAMPTZ`, [
      plan.change.meterId, tsText(plan.change.tsMs), plan.change.by,
    ]);
    await w.run(
      `INSERT INTO ami_fact SELECT * REPLACE (reading_ts_utc + to_minutes(CAST($3 AS BIGINT)) AS reading_ts_utc) FROM ami_fact WHERE meter_key = ${key} AND reading_ts_utc = $2::TIMESTAMPTZ`,
      [plan.offGrid.meterId, tsText(plan.offGrid.tsMs), plan.offGrid.shiftMinutes],
    );
  });
}
