import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { duckReadings, startJob, useTestServer, waitForJob } from '../support/server-jobs.js';
import type { VerifyReport } from '../../src/verify/verify-sink.js';

const t = useTestServer('forge-server-resume-');
const { dir } = t;


describe('POST /api/jobs/:id/resume', () => {
  it('continues a stream stopped over the API to exactly the full window: no reading missing, none twice', async () => {
    const out = join(dir, 'resume.duckdb');
    const meters = 40;
    // DEGRADED_NETWORK: late, backfilled, out-of-order and duplicated sends, so the checkpoint is not a simple cut.
    const { jobId } = await startJob(t.server, {
      kind: 'stream',
      scenario: { meters, seed: 11, emissionPattern: 'DEGRADED_NETWORK' },
      output: { sink: ['duckdb'], out },
      stream: { from: '2026-03-01T00:00:00Z', duration: '12h', speed: 3600, batchRows: 200 },
    });
    await waitForJob(t.server, jobId, (r) => r.stats.delivered > 0);
    const stop = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/stop` });
    expect(stop.statusCode).toBe(200);
    const stopped = stop.json<JobRecord & { stats: { duplicates?: number } }>();
    expect(stopped.status).toBe('stopped');
    const held = await duckReadings(out);
    expect(held.rows).toBeGreaterThan(0);
    expect(held.rows).toBeLessThan(meters * 48);
    // The counts the job reports are what DuckDB holds (second copies are not kept by an exactly-once sink).
    expect(stopped.stats.sinks[0]!.committed).toBe(held.rows);
    expect(stopped.stats.delivered - (stopped.stats.duplicates ?? 0)).toBe(held.rows);

    const resumed = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json<JobRecord>()).toMatchObject({ jobId, status: 'running', output: { append: true } });
    const again = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringMatching(/running/) });

    const record = await waitForJob(t.server, jobId, (r) => r.status !== 'running');
    expect(record.status).toBe('completed');
    expect(await duckReadings(out)).toEqual({ rows: meters * 48, keys: meters * 48 });
    const verify = await t.server.inject({ method: 'POST', url: '/api/verify', payload: { jobId } });
    expect(verify.statusCode).toBe(200);
    const { ok, reports } = verify.json<{ ok: boolean; reports: VerifyReport[] }>();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ expected: meters * 48, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    expect(ok).toBe(true);

    const completed = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(completed.statusCode).toBe(409);
    expect(completed.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringMatching(/completed; there is nothing to resume/) });
  });

  it('completes a batch job stopped over the API: exactly its scenario, the summary counting the whole job', async () => {
    const out = join(dir, 'batch-resume.duckdb');
    const meters = 3_000;
    const days = 12;
    const expected = meters * days * 96;
    const { jobId } = await startJob(t.server, {
      kind: 'batch',
      scenario: { meters, days, start: '2026-06-01', seed: 21 },
      output: { sink: ['duckdb'], out, batchSize: 20_000 },
    });
    // Stopped once it has delivered something: the DuckDB sink commits what it accepted, with its checkpoint.
    await waitForJob(t.server, jobId, (r) => r.stats.delivered > 0 || r.status !== 'running');
    const stop = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/stop` });
    expect(stop.statusCode, stop.body).toBe(200);
    const stopped = stop.json<JobRecord>();
    expect(stopped.status).toBe('stopped');
    const held = await duckReadings(out);
    expect(held.rows).toBeLessThan(expected);
    expect(stopped.stats.checkpoint).toBeGreaterThanOrEqual(0);

    const resumed = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json<JobRecord>()).toMatchObject({ jobId, kind: 'batch', status: 'running' });
    const record = await waitForJob(t.server, jobId, (r) => r.status !== 'running', 120_000);
    expect(record.status).toBe('completed');
    // The summary is the whole job's: the first run's rows and the resumed run's.
    expect(record.stats.delivered).toBe(expected);
    expect(record.stats.sinks[0]).toMatchObject({ sink: 'duckdb', committed: expected });
    expect(await duckReadings(out)).toEqual({ rows: expected, keys: expected });
    const verify = await t.server.inject({ method: 'POST', url: '/api/verify', payload: { jobId } });
    expect(verify.statusCode).toBe(200);
    expect(verify.json<{ ok: boolean; reports: VerifyReport[] }>().reports[0]).toMatchObject({ expected, found: expected, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    const again = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringMatching(/completed; there is nothing to resume/) });
  }, 180_000);

  it('refuses a completed batch job, an unknown job and a bad id, as forge generate --resume does', async () => {
    const { jobId } = await startJob(t.server, { kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-02-01' }, output: { sink: ['duckdb'], out: join(dir, 'batch.duckdb') } });
    await waitForJob(t.server, jobId, (r) => r.status !== 'running');
    const batch = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(batch.statusCode).toBe(409);
    expect(batch.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringMatching(/completed; there is nothing to resume/) });
    const unknown = await t.server.inject({ method: 'POST', url: '/api/jobs/job-nope/resume' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'FORGE_ERR_JOB_NOT_FOUND' });
    expect((await t.server.inject({ method: 'POST', url: '/api/jobs/..%2Fetc/resume' })).statusCode).toBe(400);
  });

  it('documents the route in the OpenAPI document', async () => {
    const doc = (await t.server.inject({ url: '/docs/json' })).json<{ paths: Record<string, { post?: { summary?: string; tags?: string[] } }> }>();
    expect(doc.paths['/api/jobs/{id}/resume']?.post).toMatchObject({ summary: expect.stringMatching(/Resume/), tags: ['jobs'] });
  });
});
