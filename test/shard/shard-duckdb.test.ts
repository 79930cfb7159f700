import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { validateOutput } from '../../src/validate/validation-checks.js';
import { verifySink } from '../../src/verify/verify-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { differingMeterDays, duckDbDigests, SHARD_ROWS, shardScenario } from '../support/shard.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-shard-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scalar(path: string, sql: string): Promise<number> {
  const w = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
  try {
    return await w.number(sql);
  } finally {
    w.close();
  }
}

describe('shards one after another into one DuckDB file', () => {
  it('hold the single-process readings, each meter once in ami_meters; a shard already there is refused', async () => {
    const single = join(dir, 'single.duckdb');
    const shared = join(dir, 'shared.duckdb');
    await runBatchJob({ scenario: shardScenario(), sinks: [new DuckDbSink({ path: single })], workers: 0 });
    // No --append needed: a shard refuses only rows of its own meters.
    for (const i of [2, 0, 1]) await runBatchJob({ scenario: shardScenario(`${i}/3`), sinks: [new DuckDbSink({ path: shared })], workers: 0 });

    expect(await scalar(shared, 'SELECT count(*) FROM ami_readings')).toBe(SHARD_ROWS);
    expect(await scalar(shared, 'SELECT count(*) FROM ami_meters')).toBe(203);
    expect(await scalar(shared, 'SELECT count(DISTINCT meter_id) FROM ami_meters')).toBe(203);
    expect(await scalar(shared, 'SELECT count(*) FROM forge_jobs')).toBe(3);
    expect(differingMeterDays(await duckDbDigests(single), await duckDbDigests(shared))).toBe(0);
    const scenario = shardScenario();
    const report = await verifySink({ scenario, fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario), target: { kind: 'duckdb', path: shared } });
    expect(report).toMatchObject({ ok: true, found: SHARD_ROWS });
    // validate's row count sums the shards' expected rows from forge_jobs.
    const validation = await validateOutput(shared);
    expect(validation.checks.find((c) => c.name === 'row_count')).toMatchObject({ passed: true });

    await expect(runBatchJob({ scenario: shardScenario('1/3'), sinks: [new DuckDbSink({ path: shared })], workers: 0 })).rejects.toMatchObject({
      code: 'FORGE_ERR_TABLE_EXISTS',
      message: expect.stringContaining('shard 1/3'),
    });
    expect(await scalar(shared, 'SELECT count(*) FROM ami_readings')).toBe(SHARD_ROWS);
  }, 60_000);
});
