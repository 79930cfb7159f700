import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, startedRecord, type JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { buildServer } from '../../src/server/build-server.js';
import { readEvents } from '../support/server-jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-server-sse-'));
const stateDir = join(dir, 'jobs');
let server: FastifyInstance;
let base: string;

beforeAll(async () => {
  server = await buildServer({ dataDir: dir, stateDir, token: 'tkn' });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: 'Bearer tkn' };

describe('GET /api/jobs/:id/events', () => {
  it('streams stats about once a second and an end event, then closes', async () => {
    const out = join(dir, 'sse.duckdb');
    const res = await fetch(`${base}/api/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'stream', scenario: { meters: 20 }, output: { sink: ['duckdb'], out }, stream: { from: '2026-02-01T00:00:00Z', duration: '3h', speed: 3600 } }),
    });
    expect(res.status).toBe(201);
    const { jobId } = (await res.json()) as JobRecord;
    const events = await readEvents(`${base}/api/jobs/${jobId}/events`, auth);
    const stats = events.filter((e) => e.event === 'stats');
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.event).toBe('end');
    const end = events.at(-1)!.data as JobRecord;
    expect(end).toMatchObject({ jobId, status: 'completed', stats: { delivered: 20 * 12 } });
    expect(stats.at(-1)!.data).toMatchObject({ delivered: 20 * 12 });
  });

  it('answers a finished job with its stats and end at once, and an unknown job 404', async () => {
    const jobs = (await (await fetch(`${base}/api/jobs`, { headers: auth })).json()) as JobRecord[];
    const events = await readEvents(`${base}/api/jobs/${jobs[0]!.jobId}/events`, auth);
    expect(events.map((e) => e.event)).toEqual(['stats', 'end']);
    expect((await fetch(`${base}/api/jobs/job-unknown/events`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/api/jobs/${jobs[0]!.jobId}/events`)).status).toBe(401);
  });
});

describe('job history across restarts', () => {
  it('shows a record left running by a dead process as interrupted', async () => {
    const store = new JobStore(stateDir);
    const record = startedRecord({ jobId: 'job-dead-1', kind: 'batch', scenario: {}, output: parseOutputOptions({}), stream: null, emission: null });
    // As the dead process left it: written, then never beaten or updated again (a save here would make this process its live owner).
    await mkdir(store.dir, { recursive: true });
    await writeFile(join(store.dir, 'job-dead-1.json'), JSON.stringify({ ...record, pid: 2 ** 22 + 12_345, updatedAt: new Date(Date.now() - 60_000).toISOString() }));
    const res = await fetch(`${base}/api/jobs/job-dead-1`, { headers: auth });
    expect(((await res.json()) as JobRecord).status).toBe('interrupted');
  });

  it('stops running jobs gracefully when the server closes; a new server lists them as stopped', async () => {
    const own = join(dir, 'restart');
    const first = await buildServer({ dataDir: dir, stateDir: own });
    const res = await first.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'stream', scenario: { meters: 5 }, output: { sink: ['duckdb'], out: join(dir, 'restart.duckdb') }, stream: { from: '2026-02-01T00:00:00Z', duration: '30d', speed: 60 } },
    });
    const { jobId } = res.json<JobRecord>();
    await first.close();
    const second = await buildServer({ dataDir: dir, stateDir: own });
    const history = (await second.inject({ url: '/api/jobs' })).json<JobRecord[]>();
    await second.close();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ jobId, status: 'stopped' });
  });
});
