import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { checkServeHost } from '../../src/cli/commands/serve-command.js';
import { closedPort, runForgeAsync } from '../support/brokers.js';
import { startForge } from '../support/faults.js';

/**
 * The server's access rules and the secrets rule: a non-loopback server needs FORGE_API_TOKEN; with a token every
 * /api and /metrics call needs it; secrets (a Postgres password in a URL, the API token, Snowflake's password, private
 * key and passphrase) never appear in output, errors, logs or the records the API and `forge jobs` show.
 */

const dir = mkdtempSync(join(tmpdir(), 'forge-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PG_PASSWORD = 'pg-pw-7f3e9a';
const API_TOKEN = 'api-token-5c1d8b2e9f';
const SF_PASSWORD = 'sf-pw-0b6a4c';
const SF_PASSPHRASE = 'sf-passphrase-91d2';

describe('serving beyond loopback needs a token', () => {
  it.each([
    ['0.0.0.0', false], ['::', false], ['192.168.1.5', false], ['10.0.0.1', false], ['example.com', false], ['127.0.0.1.evil.example', false], ['localhost.evil.example', false],
    ['127.0.0.1', true], ['127.4.5.6', true], ['::1', true], ['[::1]', true], ['localhost', true],
  ])('checkServeHost(%s) without a token: allowed %s', (host, allowed) => {
    if (allowed) expect(() => checkServeHost(host, undefined)).not.toThrow();
    else expect(() => checkServeHost(host, undefined)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_API_TOKEN_REQUIRED', exitCode: 2 }));
    expect(() => checkServeHost(host, API_TOKEN)).not.toThrow();
  });

  it('forge serve --host 0.0.0.0 (and ::) without FORGE_API_TOKEN exits 2 with a clear message, serving nothing', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const run = await runForgeAsync(['serve', '--host', host, '--port', '0', '--state-dir', join(dir, 'refused')], dir, { FORGE_API_TOKEN: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`forge: Serving on ${host.replace(/[.:]/g, '\\$&')} reaches beyond this machine; set FORGE_API_TOKEN .* \\[FORGE_ERR_API_TOKEN_REQUIRED\\]`));
      expect(run.stdout).not.toMatch(/serving on/);
    }
  }, 60_000);
});

describe('forge serve with a token (a real process on a port)', () => {
  it('answers 401 without the token or with another; 200 with it; secrets never in answers, records or logs', async () => {
    const port = await closedPort();
    const stateDir = join(dir, 'served');
    const server = startForge(['serve', '--host', '127.0.0.1', '--port', String(port), '--state-dir', stateDir], dir, { FORGE_API_TOKEN: API_TOKEN });
    const base = `http://127.0.0.1:${port}`;
    try {
      for (let i = 0; i < 200; i++) {
        if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
        await sleep(50);
      }
      const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
      const routes: [string, RequestInit][] = [
        ['/api/jobs', {}], ['/api/presets', {}], ['/metrics', {}], ['/api/ddl', {}], ['/api/jobs/job-x/events', {}],
        ['/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"batch"}' }],
        ['/api/jobs/job-x/stop', { method: 'POST' }],
        ['/api/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ];
      for (const [path, init] of routes) {
        for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${API_TOKEN}x`, `Basic ${Buffer.from(`u:${API_TOKEN}`).toString('base64')}`, API_TOKEN]) {
          const res = await call(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) } });
          expect(res.status, `${path} ${authorization ?? 'no header'}`).toBe(401);
          const body = (await res.json()) as Record<string, unknown>;
          expect(body).toEqual({ code: 'FORGE_ERR_UNAUTHORIZED', message: expect.stringMatching(/^Unauthorized: /) });
          expect(JSON.stringify(body)).not.toContain(API_TOKEN);
        }
      }
      expect((await call('/health')).status).toBe(200);
      const auth = { authorization: `Bearer ${API_TOKEN}` };
      expect((await call('/api/presets', { headers: auth })).status).toBe(200);

      // A job whose Postgres URL carries a password (nothing listens there: it fails).
      const pgUrl = `postgres://forge:${PG_PASSWORD}@127.0.0.1:${await closedPort()}/test`;
      const created = await call('/api/jobs', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01' }, output: { sink: ['postgres'], pgUrl } }) });
      const createdText = await created.text();
      expect(created.status, createdText).toBe(201);
      const jobId = (JSON.parse(createdText) as { jobId: string }).jobId;
      let record: { status: string; errors: string[] } = { status: 'running', errors: [] };
      const seen: string[] = [createdText];
      for (let i = 0; i < 200 && record.status === 'running'; i++) {
        await sleep(50);
        const text = await (await call(`/api/jobs/${jobId}`, { headers: auth })).text();
        seen.push(text);
        record = JSON.parse(text);
      }
      expect(record.status).toBe('failed');
      expect(record.errors.join(' ')).toMatch(/cannot reach postgres:\/\/forge:\*\*\*@127\.0\.0\.1/);
      for (const path of ['/api/jobs', `/api/jobs/${jobId}/events`, '/metrics', '/docs/json']) seen.push(await (await call(path, { headers: auth })).text());
      for (const text of seen) {
        expect(text).not.toContain(PG_PASSWORD);
        expect(text).not.toContain(API_TOKEN);
      }
      // The record on disk keeps the URL as given, to resume a job: readable by its owner only.
      const file = join(stateDir, `${jobId}.json`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      server.child.kill('SIGTERM');
    }
    const { stdout, stderr } = await server.done;
    expect(stdout).toMatch(/serving on http:\/\/127\.0\.0\.1/);
    expect(stdout + stderr).not.toContain(API_TOKEN);
    expect(stdout + stderr).not.toContain(PG_PASSWORD);
  }, 90_000);
});

describe('secrets in CLI output, errors and job records', () => {
  it('a Postgres password never shows in errors, forge jobs or forge jobs show', async () => {
    const stateDir = join(dir, 'cli-pg');
    const pgUrl = `postgres://forge:${PG_PASSWORD}@127.0.0.1:${await closedPort()}/test`;
    const run = await runForgeAsync(['stream', '--meters', '2', '--from', '2026-06-01T00:00:00Z', '--duration', '1h', '--speed', 'max', '--sink', 'postgres', '--pg-url', pgUrl, '--state-dir', stateDir], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/postgres:\/\/forge:\*\*\*@127\.0\.0\.1.*\[FORGE_ERR_SINK_CONNECT\]/);
    const [name] = readdirSync(stateDir);
    const jobId = name!.replace(/\.json$/, '');
    const list = await runForgeAsync(['jobs', '--json', '--state-dir', stateDir], dir);
    const show = await runForgeAsync(['jobs', 'show', jobId, '--state-dir', stateDir], dir);
    expect(JSON.parse(show.stdout)).toMatchObject({ jobId, status: 'failed', output: { pgUrl: expect.stringContaining('forge:***@') } });
    for (const text of [run.stdout, run.stderr, list.stdout, list.stderr, show.stdout, show.stderr]) expect(text).not.toContain(PG_PASSWORD);
    expect(statSync(join(stateDir, name!)).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("Snowflake's password, private key and passphrase (from the environment) never show, nor reach the job record", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: SF_PASSPHRASE }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const keyFile = join(dir, 'rsa_key.p8');
    writeFileSync(keyFile, privateKey, { mode: 0o600 });
    const keyBody = privateKey.split('\n')[1]!;
    // A stand-in for the account that refuses every login at once (the driver retries an unreachable host for long).
    const refuser = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, code: '390100', message: 'Incorrect username or password was specified.', data: null })));
    });
    await new Promise<void>((resolve) => refuser.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(refuser.address() as AddressInfo).port}`;
    const streamArgs = ['stream', '--meters', '2', '--from', '2026-06-01T00:00:00Z', '--duration', '1h', '--speed', 'max', '--snowflake-account', 'myorg-acct', '--snowflake-url', url];
    const runs: { stateDir: string; args: string[]; env: Record<string, string> }[] = [
      { stateDir: join(dir, 'sf-insert'), args: [...streamArgs, '--sink', 'snowflake-insert', '--snowflake-user', 'FORGE'], env: { SNOWFLAKE_PASSWORD: SF_PASSWORD } },
      { stateDir: join(dir, 'sf-stream'), args: [...streamArgs, '--sink', 'snowflake', '--snowflake-user', 'FORGE'], env: { SNOWFLAKE_PRIVATE_KEY_PATH: keyFile, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: SF_PASSPHRASE } },
    ];
    const results = await Promise.all(runs.map(({ stateDir, args, env }) => runForgeAsync([...args, '--state-dir', stateDir], dir, env))).finally(() => refuser.close());
    for (const [i, { stateDir }] of runs.entries()) {
      const run = results[i]!;
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^forge: .*\[FORGE_ERR_[A-Z_]+\]$/m);
      const records = readdirSync(stateDir).map((n) => readFileSync(join(stateDir, n), 'utf8'));
      expect(records).toHaveLength(1);
      for (const text of [run.stdout, run.stderr, ...records]) {
        expect(text).not.toContain(SF_PASSWORD);
        expect(text).not.toContain(SF_PASSPHRASE);
        expect(text).not.toContain(keyBody);
        expect(text).not.toContain('PRIVATE KEY');
      }
    }
  }, 90_000);
});
