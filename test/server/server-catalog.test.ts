import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server-jobs.js';
import { checkServeHost } from '../../src/cli/commands/serve-command.js';
import { buildServer } from '../../src/server/build-server.js';
import { apiError } from '../../src/server/api-error.js';

const t = useTestServer('forge-server-');
const { dir } = t;


describe('health, metrics and catalog', () => {
  it('GET /health answers ok with the version, uptime, running jobs and whether a pipeline runs (none here)', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: '0.1.0', uptimeSeconds: expect.any(Number), runningJobs: 0, pipeline: false });
  });

  it('GET /metrics is Prometheus text with jobs by status, rows delivered and memory', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^forge_jobs\{status="completed"\} 0$/m);
    expect(res.body).toMatch(/^forge_rows_delivered_total 0$/m);
    expect(res.body).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
  });

  it('lists presets, fleet presets and service areas', async () => {
    const presets = (await t.server.inject({ url: '/api/presets' })).json<{ name: string; meters: number; days: number; rows: number }[]>();
    expect(presets.map((p) => p.name)).toEqual(['quick', 'se', 'enterprise', 'ml']);
    expect(presets[0]).toMatchObject({ name: 'quick', meters: 100, days: 7, rows: 100 * 7 * 96 });
    const fleets = (await t.server.inject({ url: '/api/fleet-presets' })).json<{ name: string; meters: number }[]>();
    expect(fleets.find((f) => f.name === 'substation-10k')?.meters).toBe(10_000);
    const areas = (await t.server.inject({ url: '/api/service-areas' })).json<{ name: string; timeZone: string }[]>();
    expect(areas).toHaveLength(6);
    expect(areas.find((a) => a.name === 'TEXAS_GULF_COAST')?.timeZone).toBe('America/Chicago');
  });

  it('serves the OpenAPI document and the docs UI', async () => {
    const doc = (await t.server.inject({ url: '/docs/json' })).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/api/jobs', '/api/jobs/{id}/events']));
    const ui = await t.server.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
  });

  it('answers an unknown route 404 with a code', async () => {
    const res = await t.server.inject({ url: '/api/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'FORGE_ERR_NOT_FOUND' });
  });
});

describe('token', () => {
  let secured: FastifyInstance;
  beforeAll(async () => {
    secured = await buildServer({ dataDir: dir, stateDir: join(dir, 'secured'), token: 's3cret-token' });
  });
  afterAll(async () => secured.close());

  it('refuses /api and /metrics without the token, or with another, and keeps /health open', async () => {
    for (const url of ['/api/presets', '/api/jobs', '/metrics']) {
      const res = await secured.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toMatchObject({ code: 'FORGE_ERR_UNAUTHORIZED' });
    }
    const wrong = await secured.inject({ url: '/api/presets', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const post = await secured.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch' } });
    expect(post.statusCode).toBe(401);
    expect((await secured.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('answers with the token', async () => {
    const headers = { authorization: 'Bearer s3cret-token' };
    expect((await secured.inject({ url: '/api/presets', headers })).statusCode).toBe(200);
    expect((await secured.inject({ url: '/metrics', headers })).statusCode).toBe(200);
    expect((await secured.inject({ url: '/api/jobs', headers })).json()).toEqual([]);
  });
});

describe('forge serve host check', () => {
  it('refuses a non-loopback host without a token, allows loopback or a token', () => {
    expect(() => checkServeHost('0.0.0.0', undefined)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_API_TOKEN_REQUIRED', exitCode: 2 }));
    expect(() => checkServeHost('192.168.1.5', '')).toThrow(/FORGE_API_TOKEN/);
    expect(() => checkServeHost('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkServeHost('::1', undefined)).not.toThrow();
    expect(() => checkServeHost('localhost', undefined)).not.toThrow();
    expect(() => checkServeHost('0.0.0.0', 'token')).not.toThrow();
  });
});

describe('errors', () => {
  it('answers an unknown error 500 without its message, stack or secrets', async () => {
    const app = await buildServer({ dataDir: dir, stateDir: join(dir, 'boom') });
    app.get('/boom', async () => {
      throw new Error('connect postgres://user:hunter2@db/x failed');
    });
    const res = await app.inject({ url: '/boom' });
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 'FORGE_ERR_INTERNAL', message: expect.any(String) });
    expect(res.body).not.toMatch(/hunter2|postgres:|at .*\.ts|stack/);
  });

  it('maps errors to status and code', () => {
    expect(apiError(Object.assign(new Error('Unexpected token'), { statusCode: 400 }))).toMatchObject({ status: 400, body: { code: 'FORGE_ERR_INVALID_CONFIG' } });
    expect(apiError(new TypeError('x'))).toMatchObject({ status: 500 });
  });
});
