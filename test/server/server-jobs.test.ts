import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { duckReadings, useTestServer, waitForJob } from '../support/server-jobs.js';

const t = useTestServer('forge-server-jobs-');
const { dir, stateDir } = t;


const records = (): string[] => {
  try {
    return readdirSync(stateDir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
};

describe('POST /api/jobs: bad bodies', () => {
  const cases: [string, unknown, RegExp][] = [
    ['an unknown top-level key', { kind: 'batch', scenarioo: {} }, /unknown key "scenarioo"/],
    ['an unknown scenario key', { kind: 'batch', scenario: { meterz: 5 } }, /scenario: unknown key "meterz"/],
    ['a wrong type', { kind: 'batch', scenario: { meters: 'many' } }, /scenario\.meters/],
    ['a bad sink', { kind: 'batch', output: { sink: ['kafka'] } }, /^output\.sink: unknown sink "kafka" \(known: duckdb, /],
    ['a bad kind', { kind: 'later' }, /kind/],
    ['a file sink for a stream', { kind: 'stream', output: { sink: ['parquet'] } }, /output\.sink: parquet cannot take a stream/],
    ['a bad speed', { kind: 'stream', stream: { speed: 'fast' } }, /speed "fast"/],
    ['a bad rate', { kind: 'stream', stream: { lateRate: 0.9 } }, /lateRate/],
    ['not JSON', '{"kind":', /Invalid configuration/],
  ];
  for (const [what, payload, field] of cases) {
    it(`answers ${what} 400 with the field named and writes no record`, async () => {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: { 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      expect(res.statusCode).toBe(400);
      const body = res.json<{ code: string; message: string }>();
      expect(body.code).toBe(what === 'a bad sink' ? 'FORGE_ERR_UNKNOWN_SINK' : 'FORGE_ERR_INVALID_CONFIG');
      expect(body.message).toMatch(field);
      expect(records()).toEqual([]);
    });
  }

  it('answers an unknown job 404 and stopping a job that is not running 409', async () => {
    expect((await t.server.inject({ url: '/api/jobs/job-nope' })).json()).toMatchObject({ code: 'FORGE_ERR_JOB_NOT_FOUND' });
    expect((await t.server.inject({ url: '/api/jobs/job-nope' })).statusCode).toBe(404);
    expect((await t.server.inject({ url: '/api/jobs/..%2Fetc' })).statusCode).toBe(400);
  });
});

describe('jobs', () => {
  it('runs a batch job to completed; its record is in the history', async () => {
    const out = join(dir, 'batch.duckdb');
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'batch', scenario: { meters: 20, days: 2, start: '2026-02-01' }, output: { sink: ['duckdb'], out } },
    });
    expect(res.statusCode).toBe(201);
    const { jobId, status } = res.json<JobRecord>();
    expect(status).toBe('running');
    const record = await waitForJob(t.server, jobId);
    expect(record).toMatchObject({ jobId, kind: 'batch', status: 'completed', stats: { delivered: 20 * 2 * 96 } });
    expect((await duckReadings(out)).rows).toBe(20 * 2 * 96);
    const history = (await t.server.inject({ url: '/api/jobs' })).json<JobRecord[]>();
    expect(history.map((r) => r.jobId)).toContain(jobId);
    const stop = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/stop` });
    expect(stop.statusCode).toBe(409);
    expect(stop.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE' });
    const metrics = (await t.server.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^forge_jobs\{status="completed"\} [1-9]/m);
    expect(metrics).toMatch(new RegExp(`^forge_rows_delivered_total [1-9]`, 'm'));
  });

  it('runs a stream job at speed max to completed', async () => {
    const out = join(dir, 'stream-max.duckdb');
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'stream', scenario: { meters: 10 }, output: { sink: ['duckdb'], out }, stream: { from: '2026-02-01T00:00:00Z', duration: '6h', speed: 'max' } },
    });
    expect(res.statusCode).toBe(201);
    const record = await waitForJob(t.server, res.json<JobRecord>().jobId);
    expect(record.status).toBe('completed');
    expect(record.stats.delivered).toBe(10 * 24);
    expect((await duckReadings(out)).rows).toBe(10 * 24);
  });

  it('stops a long stream job gracefully: stopped, with the counts DuckDB holds', async () => {
    const out = join(dir, 'stream-stop.duckdb');
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'stream', scenario: { meters: 50 }, output: { sink: ['duckdb'], out }, stream: { from: '2026-02-01T00:00:00Z', duration: '30d', speed: 7200 } },
    });
    const { jobId } = res.json<JobRecord>();
    expect((await t.server.inject({ url: '/health' })).json()).toMatchObject({ runningJobs: 1 });
    const until = Date.now() + 30_000;
    while ((await t.server.inject({ url: `/api/jobs/${jobId}` })).json<JobRecord>().stats.delivered === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/stop` });
    expect(stop.statusCode).toBe(200);
    const record = stop.json<JobRecord>();
    expect(record.status).toBe('stopped');
    expect(record.stats.delivered).toBeGreaterThan(0);
    expect(record.stats.delivered).toBeLessThan(50 * 30 * 96);
    expect(record.stats.sinks[0]!.committed).toBe(record.stats.delivered);
    expect((await duckReadings(out)).rows).toBe(record.stats.delivered);
    expect((await t.server.inject({ url: `/api/jobs/${jobId}` })).json()).toMatchObject({ status: 'stopped' });
  });

  it('redacts a Postgres password in the records it shows', async () => {
    // A postgres job that cannot connect fails, but its record (with the URL) is kept; the API never shows the password.
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'batch', scenario: { meters: 1, days: 1 }, output: { sink: ['postgres'], pgUrl: 'postgres://forge:hunter2@127.0.0.1:1/none' } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain('hunter2');
    const record = await waitForJob(t.server, res.json<JobRecord>().jobId);
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record)).not.toContain('hunter2');
    expect((await t.server.inject({ url: '/api/jobs' })).body).not.toContain('hunter2');
  });
});
