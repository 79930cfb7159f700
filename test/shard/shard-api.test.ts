import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { useTestServer, waitForJob } from '../support/server-jobs.js';

const t = useTestServer('forge-shard-api-');
const { dir, stateDir } = t;


const post = (body: unknown): Promise<LightMyRequestResponse> =>
  t.server.inject({ method: 'POST', url: '/api/jobs', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

describe('the shard in an API body (the scenario schema the CLI uses)', () => {
  it.each([['4/4'], ['a/b'], [{ index: 1, count: 0 }]])('answers shard %j 400 naming scenario.shard, and writes no record', async (shard) => {
    const res = await post({ kind: 'batch', scenario: { meters: 10, days: 1, start: '2026-03-01', shard }, output: { sink: ['parquet'], out: join(dir, 'bad') } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/scenario\.?shard|shard:/) });
    expect(readdirSync(dir)).not.toContain('bad');
  });

  it('refuses a sharded batch job without an explicit start, writing no record', async () => {
    const res = await post({ kind: 'batch', scenario: { meters: 10, days: 1, shard: '1/2' }, output: { sink: ['parquet'], out: join(dir, 'no-start') } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/scenario\.start: a sharded job needs an explicit start/);
    expect(existsSync(stateDir) ? readdirSync(stateDir).filter((n) => n.endsWith('.json')) : []).toEqual([]);
  });

  it('runs a batch job of one shard: its rows only, its files named by shard, the shard kept in the record', async () => {
    const out = join(dir, 'parquet');
    const res = await post({ kind: 'batch', scenario: { meters: 21, days: 1, start: '2026-03-01', interval: 60, shard: { index: 1, count: 2 } }, output: { sink: ['parquet'], out } });
    expect(res.statusCode, res.body).toBeLessThan(300);
    const { jobId } = res.json<{ jobId: string }>();
    const record = await waitForJob(t.server, jobId);
    expect(record.status).toBe('completed');
    expect(record.scenario.shard).toBe('1/2');
    expect(record.stats.delivered).toBe(11 * 24);
    expect(readdirSync(join(out, 'date=2026-03-01'))).toEqual([`part-000000-000000-${jobId}_shard-1-of-2.parquet`]);
  });
});
