import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { validateOutput } from '../../src/validate/validation-checks.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-usage-ranges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const usageRanges = async (path: string) => (await validateOutput(path)).checks.find((c) => c.name === 'usage_ranges');

describe('validate: usage_ranges', () => {
  it("passes a commercial-heavy fleet's largest buildings, and fails one commercial reading above a 10 MW service", async () => {
    const path = join(dir, 'c.duckdb');
    // 400 commercial meters at 15 minutes: the CBECS size mix puts a few buildings over 200,000 sq ft among them.
    const scenario = resolveScenario({ meters: 400, days: 2, start: '2026-07-14', segment: 'COMMERCIAL', seed: 11 });
    await runBatchJob({ scenario, sinks: [new DuckDbSink({ path })], workers: 0 });
    const before = await usageRanges(path);
    expect(before, before?.detail).toMatchObject({ passed: true });
    const w = await Warehouse.open(path);
    try {
      // 2,700 kWh in 15 minutes is 10.8 MW.
      await w.run(`UPDATE ami_fact SET usage_kwh = 2700 WHERE rowid = (SELECT min(rowid) FROM ami_fact)`);
    } finally {
      w.close();
    }
    const after = await usageRanges(path);
    expect(after).toMatchObject({ passed: false, detail: expect.stringContaining('max 10800.0 kW (<= 10000)') });
  }, 60_000);
});
