import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/build-server.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';

let server: FastifyInstance;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forge-server-pipeline-'));
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs'), pipeline: { stage: new LocalStageStore(join(dir, 'stage')), out: join(dir, 'pipeline.duckdb'), targetLagMs: 400 } });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the pipeline inside the server', () => {
  it('auto-ingests what a stream job lands in the stage: silver holds every reading, status comes from the server', async () => {
    const created = await server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: {
        kind: 'stream',
        scenario: { meters: 20, area: 'ERCOT', emissionPattern: 'DEGRADED_NETWORK' },
        output: { sink: ['stage'], stage: join(dir, 'stage'), stageRollRows: 200 },
        stream: { from: '2026-06-01T00:00:00Z', duration: '6h', speed: 'max', duplicateRate: 0.02 },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    let status: { rows: { silver: number; bronze: number }; files: { loaded: number; quarantined: number }; database: string } | undefined;
    for (let i = 0; i < 200 && (status?.rows.silver ?? 0) < 20 * 24; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await server.inject({ method: 'GET', url: '/api/pipeline/status' });
      expect(res.statusCode).toBe(200);
      status = res.json();
    }
    expect(status!.rows.silver).toBe(20 * 24);
    expect(status!.rows.bronze).toBeGreaterThan(20 * 24);
    expect(status!.files.quarantined).toBe(0);
    expect(status!.database).toBe(join(dir, 'pipeline.duckdb'));
  }, 60_000);

  it('a server without a pipeline says so (in /health, so the UI never asks for its status, and in a 404 if asked)', async () => {
    const plain = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs-plain') });
    try {
      expect((await plain.inject({ url: '/health' })).json()).toMatchObject({ pipeline: false });
      expect((await server.inject({ url: '/health' })).json()).toMatchObject({ pipeline: true });
      const res = await plain.inject({ method: 'GET', url: '/api/pipeline/status' });
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toContain('no pipeline runs in this server');
    } finally {
      await plain.close();
    }
  });
});
