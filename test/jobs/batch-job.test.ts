import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function jobRow(path: string): Promise<{ status: string; rows: number; readings: number }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const job = (await connection.runAndReadAll('SELECT status, rows FROM forge_jobs')).getRowObjectsJson()[0]!;
  const readings = Number((await connection.runAndReadAll('SELECT count(*) FROM ami_readings')).getRows()[0]![0]);
  connection.closeSync();
  instance.closeSync();
  return { status: String(job.status), rows: Number(job.rows), readings };
}

describe('runBatchJob', () => {
  const scenario = resolveScenario({ meters: 30, days: 4, start: '2026-02-01' });

  it('records a job that ran to its end as completed, with every row', async () => {
    const path = join(dir, 'complete.duckdb');
    const summary = await runBatchJob({ scenario, sinks: [new DuckDbSink({ path })], workers: 0, unitRows: 1_000 });
    expect(summary).toMatchObject({ status: 'completed', rows: 30 * 4 * 96 });
    expect(await jobRow(path)).toEqual({ status: 'completed', rows: 30 * 4 * 96, readings: 30 * 4 * 96 });
  });

  it('stops on the signal: what was delivered is kept and counted, and the job is recorded as stopped', async () => {
    const path = join(dir, 'stopped.duckdb');
    const controller = new AbortController();
    const summary = await runBatchJob({
      scenario,
      sinks: [new DuckDbSink({ path })],
      workers: 0,
      unitRows: 1_000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.rows >= 2_000) controller.abort();
      },
    });
    expect(summary.status).toBe('stopped');
    expect(summary.rows).toBeGreaterThanOrEqual(2_000);
    expect(summary.rows).toBeLessThan(30 * 4 * 96);
    expect(await jobRow(path)).toEqual({ status: 'stopped', rows: summary.rows, readings: summary.rows });
  });

  it('hands its progress the last readings of the batch just delivered, as flat records', async () => {
    const seen: { rows: number; meterIds: string[]; utc: string[] }[] = [];
    await runBatchJob({
      scenario,
      sinks: [],
      workers: 0,
      unitRows: 1_000,
      onProgress: (p, recent) => {
        const records = recent();
        seen.push({ rows: p.rows, meterIds: records.map((r) => r.meter_id), utc: records.map((r) => r.reading_ts_utc) });
      },
    });
    expect(seen.length).toBeGreaterThan(1);
    for (const s of seen) expect(s.meterIds).toHaveLength(20);
    // The last progress holds the scenario's very last readings: the last meter's final interval among them.
    const last = seen.at(-1)!;
    expect(last.rows).toBe(30 * 4 * 96);
    expect(last.meterIds).toContain('MTR-TGC-0000030');
    expect(last.utc).toContain(new Date(Date.parse('2026-02-05T06:00:00Z') - 15 * 60_000).toISOString().replace('.000Z', 'Z'));
  });
});
