import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/build-server.js';
import { runId } from '../support/brokers.js';

/**
 * Path confinement of the API (src/server/output-policy.ts, confineOutputPaths): a job body's `output.out` and
 * `output.stage` are written inside the server's data directory (default ./forge-data) only. These tests run against
 * the server as a client sees it, so they pass once JobManager plans jobs through confineOutputPaths; the policy
 * itself is tested directly in output-policy.test.ts. Each body is small (2 meters, 1 day) so that, before the policy
 * is wired, a job that is wrongly accepted writes little, and it is removed afterwards.
 */

const dir = mkdtempSync(join(tmpdir(), 'forge-confine-'));
const stateDir = join(dir, 'jobs');
const id = runId();
const escapes = [
  join(dir, 'outside.duckdb'),
  resolve(`../forge-traversal-${id}.duckdb`),
  resolve(`forge-data/../forge-traversal-${id}.duckdb`),
  join(dir, 'stage-outside'),
  resolve(`../forge-stage-escape-${id}`),
];
let server: FastifyInstance;

beforeAll(async () => {
  server = await buildServer({ stateDir });
});
afterAll(async () => {
  await server.close();
  for (const path of escapes) rmSync(path, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const scenario = { meters: 2, days: 1, start: '2026-06-01' };
const stream = { from: '2026-06-01T00:00:00Z', duration: '1h', speed: 'max' };

const cases: [string, Record<string, unknown>, RegExp][] = [
  ['an absolute out outside the data directory', { kind: 'batch', scenario, output: { sink: ['duckdb'], out: escapes[0] } }, /output\.out: .* is outside the server's data directory/],
  ['an out climbing out with ..', { kind: 'batch', scenario, output: { sink: ['duckdb'], out: `../forge-traversal-${id}.duckdb` } }, /output\.out: .* has a "\.\." segment/],
  ['an out climbing out of forge-data with ..', { kind: 'batch', scenario, output: { sink: ['duckdb'], out: `forge-data/../forge-traversal-${id}.duckdb` } }, /output\.out: .* has a "\.\." segment/],
  ['a file sink directory outside', { kind: 'batch', scenario, output: { sink: ['parquet'], out: '/tmp' } }, /output\.out: .* is outside/],
  ['a file:// stage outside', { kind: 'stream', scenario, output: { sink: ['stage'], stage: `file://${escapes[3]}` }, stream }, /output\.stage: .* is outside/],
  ['a stage path climbing out with ..', { kind: 'stream', scenario, output: { sink: ['stage'], stage: `../forge-stage-escape-${id}` }, stream }, /output\.stage: .* has a "\.\." segment/],
  ['a private key file the server would read', { kind: 'stream', scenario, output: { sink: ['snowflake'], snowflakeAccount: 'acct', snowflakePrivateKey: '/etc/shadow' }, stream }, /output\.snowflakePrivateKey/],
];

describe('API path confinement (passes once output-policy.ts is wired into JobManager)', () => {
  it.each(cases)('refuses %s: 400 naming the field, nothing written', async (_what, body, message) => {
    const res = await server.inject({ method: 'POST', url: '/api/jobs', payload: body });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(message) });
    expect(existsSync(stateDir) ? readdirSync(stateDir) : []).toEqual([]);
    for (const path of escapes) expect(existsSync(path), path).toBe(false);
  });
});
