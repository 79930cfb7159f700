import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startedRecord, type JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { rerunRequest } from '../../src/server/rerun-request.js';
import { duckReadings, useTestServer, waitForJob } from '../support/server-jobs.js';

const t = useTestServer('forge-server-rerun-');
const { dir } = t;


describe('POST /api/jobs/:id/rerun', () => {
  it('starts a new job with the same configuration into a fresh file beside the first, with the same rows', async () => {
    const first = await t.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'batch', scenario: { meters: 30, days: 2, start: '2026-03-01', seed: 4 }, output: { sink: ['duckdb'], out: 'first.duckdb' } },
    });
    expect(first.statusCode).toBe(201);
    const original = await waitForJob(t.server, first.json<JobRecord>().jobId);
    expect(original.status).toBe('completed');
    // A relative path is taken under the data directory.
    expect(original.output.out).toBe(join(dir, 'first.duckdb'));

    const again = await t.server.inject({ method: 'POST', url: `/api/jobs/${original.jobId}/rerun` });
    expect(again.statusCode).toBe(201);
    const rerun = await waitForJob(t.server, again.json<JobRecord>().jobId);
    expect(rerun.jobId).not.toBe(original.jobId);
    expect(rerun.status).toBe('completed');
    expect(rerun.scenario).toEqual(original.scenario);
    expect(rerun.output.out).toMatch(new RegExp(`^${join(dir, 'first')}-rerun-\\d{8}-\\d{6}\\.duckdb$`));
    expect((await duckReadings(rerun.output.out as string)).rows).toBe(30 * 2 * 96);
    expect((await duckReadings(original.output.out as string)).rows).toBe(30 * 2 * 96);
  });

  it('writes a job with no out to its sink\'s default file inside the data directory', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 5, days: 1, start: '2026-03-01' }, output: { sink: ['parquet'] } } });
    expect(res.statusCode).toBe(201);
    const record = await waitForJob(t.server, res.json<JobRecord>().jobId);
    expect(record.status).toBe('completed');
    expect(record.output.out).toBe(join(dir, 'parquet'));
  });

  it('answers 404 for an unknown job and 400 for a bad id, starting nothing', async () => {
    const before = (await t.server.inject({ url: '/api/jobs' })).json<JobRecord[]>().length;
    expect((await t.server.inject({ method: 'POST', url: '/api/jobs/job-nope/rerun' })).statusCode).toBe(404);
    expect((await t.server.inject({ method: 'POST', url: '/api/jobs/..%2Fetc/rerun' })).statusCode).toBe(400);
    expect((await t.server.inject({ url: '/api/jobs' })).json<JobRecord[]>().length).toBe(before);
  });
});

describe('rerunRequest', () => {
  const stream = (fromNow: boolean, toUtc: string | null): JobRecord =>
    startedRecord({
      jobId: 'job-1',
      kind: 'stream',
      scenario: { meters: 10, start: '2026-06-01', days: 2, area: 'ERCOT', seed: 3, emissionPattern: 'DEGRADED_NETWORK' },
      output: parseOutputOptions({ sink: ['duckdb', 'postgres'], out: '/data/live.duckdb' }),
      stream: { fromUtc: '2026-06-01T05:00:00.000Z', toUtc, speed: null, fromNow },
      emission: { missingRate: 0.1, lateRate: 0.05, outOfOrderRate: 0.01, duplicateRate: 0.005, batchRows: 500 },
    });

  it('keeps a fixed window and the emission settings, and renames the output', () => {
    const body = rerunRequest(stream(false, '2026-06-01T11:00:00.000Z'), new Date('2026-11-29T10:15:00Z'));
    expect(body).toMatchObject({
      kind: 'stream',
      stream: { from: '2026-06-01T05:00:00.000Z', duration: `${6 * 3_600_000}ms`, speed: 'max', missingRate: 0.1, lateRate: 0.05, outOfOrderRate: 0.01, duplicateRate: 0.005, batchRows: 500 },
      output: { sink: ['duckdb', 'postgres'], out: '/data/live-rerun-20261129-101500.duckdb', append: false },
    });
    // The window decides the days: start and days of the first window are not carried over.
    expect(body.scenario).not.toHaveProperty('start');
    expect(body.scenario).not.toHaveProperty('days');
    expect(body.scenario).toMatchObject({ meters: 10, area: 'ERCOT', seed: 3 });
  });

  it('starts a stream that ran from "now" from now again, and one without an end without a duration', () => {
    const body = rerunRequest(stream(true, null));
    expect(body.stream).toMatchObject({ from: 'now' });
    expect(body.stream).not.toHaveProperty('duration');
    // A re-run of a re-run does not pile up suffixes.
    const twice = rerunRequest({ ...stream(true, null), output: parseOutputOptions({ sink: ['duckdb'], out: '/d/x-rerun-20260101-000000.duckdb' }) }, new Date('2026-11-29T10:15:00Z'));
    expect(twice.output.out).toBe('/d/x-rerun-20261129-101500.duckdb');
  });
});
