import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { buildServer, type ServerOptions } from '../../src/server/build-server.js';

export interface TestServer {
  /** A fresh temporary directory: the server's data directory. */
  readonly dir: string;
  /** Where the server keeps job records (`<dir>/jobs`). */
  readonly stateDir: string;
  /** The server, built before the file's tests run. */
  readonly server: FastifyInstance;
}

/**
 * A server for a test file on a fresh data directory: built in beforeAll, closed (its jobs stopped) and its directory
 * removed in afterAll. Read `server` inside hooks and tests, not at the file's top level.
 */
export function useTestServer(prefix: string, options: Omit<ServerOptions, 'dataDir' | 'stateDir'> = {}): TestServer {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(dir, 'jobs');
  let server: FastifyInstance | undefined;
  beforeAll(async () => {
    server = await buildServer({ ...options, dataDir: dir, stateDir });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    stateDir,
    get server(): FastifyInstance {
      if (!server) throw new Error('the test server is built in beforeAll: use it inside hooks and tests');
      return server;
    },
  };
}

/** Readings in a DuckDB output's `ami_readings` view, and their distinct keys (meter_id, reading_ts_utc). */
export async function duckReadings(path: string): Promise<{ rows: number; keys: number }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const [rows, keys] = (await connection.runAndReadAll('SELECT count(*), count(DISTINCT (meter_id, reading_ts_utc)) FROM ami_readings')).getRows()[0]!.map(Number);
    connection.closeSync();
    return { rows: rows!, keys: keys! };
  } finally {
    instance.closeSync();
  }
}

/** POST /api/jobs through `inject`, expecting 201; the first record. */
export async function startJob(server: FastifyInstance, payload: unknown): Promise<JobRecord> {
  const res = await server.inject({ method: 'POST', url: '/api/jobs', payload: payload as object });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<JobRecord>();
}

/** Polls a job's record until `done` holds (by default: it is no longer running) or the time is up; the last record. */
export async function waitForJob(server: FastifyInstance, jobId: string, done: (r: JobRecord) => boolean = (r) => r.status !== 'running', timeoutMs = 60_000): Promise<JobRecord> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const record = (await server.inject({ url: `/api/jobs/${jobId}` })).json<JobRecord>();
    if (done(record) || Date.now() > until) return record;
    await sleep(100);
  }
}

/** Reads a server-sent event stream to its end: the events' names and parsed data. */
export async function readEvents(url: string, headers: Record<string, string> = {}): Promise<{ event: string; data: unknown }[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as unknown }));
}
