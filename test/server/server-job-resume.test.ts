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

  it('refuses a batch job, an unknown job and a bad id, as forge stream --resume does', async () => {
    const { jobId } = await startJob(t.server, { kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-02-01' }, output: { sink: ['duckdb'], out: join(dir, 'batch.duckdb') } });
    await waitForJob(t.server, jobId, (r) => r.status !== 'running');
    const batch = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(batch.statusCode).toBe(409);
    expect(batch.json()).toMatchObject({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringMatching(/is a batch job; only stream jobs resume/) });
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
