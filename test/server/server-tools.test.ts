import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { buildServer } from '../../src/server/build-server.js';

let server: FastifyInstance;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forge-server-tools-'));
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function finished(jobId: string): Promise<JobRecord> {
  for (let i = 0; i < 300; i++) {
    const record = (await server.inject({ method: 'GET', url: `/api/jobs/${jobId}` })).json() as JobRecord;
    if (record.status !== 'running') return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('tool routes', () => {
  it('previews records in either shape, and refuses bad bodies naming the field', async () => {
    const flat = await server.inject({ method: 'POST', url: '/api/preview', payload: { scenario: { meters: 4, seed: 3 }, n: 6 } });
    expect(flat.statusCode).toBe(200);
    const records = flat.json().records as Record<string, unknown>[];
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.meter_id)).size).toBe(4);
    const nested = (await server.inject({ method: 'POST', url: '/api/preview', payload: { scenario: { meters: 2 }, n: 1, shape: 'nested' } })).json();
    expect(nested.records[0].header.source_system).toBe('AMI_HEAD_END');
    const bad = await server.inject({ method: 'POST', url: '/api/preview', payload: { scenario: { meters: -1 }, n: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    expect(bad.json().message).toMatch(/n: /);
  });

  it('computes fleet metrics from the interval and the measured size of the scenario\'s own rows', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/fleet-metrics', payload: { scenario: { meters: 10_000, interval: 15 } } });
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m.readingsPerMinute).toBeCloseTo(10_000 / 15, 6);
    expect(m.rowsPerHour).toBeCloseTo(40_000, 6);
    expect(m.bytesPerRow).toBeGreaterThan(200);
    expect(m.bytesPerRow).toBeLessThan(600);
    expect(m.mbPerHour).toBeCloseTo((40_000 * m.bytesPerRow) / 1e6, 1);
    expect(m.gbPerDay).toBeCloseTo((m.mbPerHour * 24) / 1000, 2);
    expect(m.eventsPerMinute).toBeGreaterThanOrEqual(0);
    expect(m.eventsPerMinute).toBeLessThan(m.readingsPerMinute);
  });

  it('validates and verifies a batch job run through the API; a missing output is a 404 with its code', async () => {
    const out = join(dir, 'batch.duckdb');
    const created = await server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 6, days: 1, start: '2026-05-01' }, output: { sink: ['duckdb'], out } } });
    expect(created.statusCode).toBe(201);
    const record = await finished(created.json().jobId);
    expect(record.status).toBe('completed');
    const validation = await server.inject({ method: 'POST', url: '/api/validate', payload: { out } });
    expect(validation.statusCode).toBe(200);
    expect(validation.json().passed).toBe(true);
    const verify = await server.inject({ method: 'POST', url: '/api/verify', payload: { jobId: record.jobId } });
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true, reports: [{ expected: 6 * 96, found: 6 * 96, missing: 0, duplicates: 0 }] });
    const missing = await server.inject({ method: 'POST', url: '/api/validate', payload: { out: join(dir, 'none.duckdb') } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('FORGE_ERR_OUTPUT_NOT_FOUND');
    const status = await server.inject({ method: 'GET', url: `/api/pipeline/status?out=${encodeURIComponent(join(dir, 'none.duckdb'))}` });
    expect(status.statusCode).toBe(404);
  });

  it('prints the DDL of a target as text, and refuses a bad name', async () => {
    const sf = await server.inject({ method: 'GET', url: '/api/ddl?target=snowflake&schema=meters' });
    expect(sf.statusCode).toBe(200);
    expect(sf.headers['content-type']).toMatch(/text\/plain/);
    expect(sf.body).toContain('CREATE SCHEMA IF NOT EXISTS "FORGE"."METERS";');
    const pg = await server.inject({ method: 'GET', url: '/api/ddl?target=postgres' });
    expect(pg.body).toContain('CREATE TABLE IF NOT EXISTS "ami"."bronze_ami"');
    const bad = await server.inject({ method: 'GET', url: `/api/ddl?schema=${encodeURIComponent('x; DROP TABLE y')}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('CREATE');
  });
});
