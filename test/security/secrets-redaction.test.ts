import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { environmentSecrets, redactSecrets, redactText, redactUrl } from '../../src/util/redact-secrets.js';
import { MQTT_URL, NATS_URL, closedPort, mqttBroker, natsBroker, runForgeAsync, runId } from '../support/brokers.js';
import { readEvents, useTestServer, waitForJob } from '../support/server-jobs.js';
import { PG_TEST_URL, postgresService } from '../support/services.js';

/**
 * Secrets from one place (issue 12 case 3, src/util/redact-secrets.ts): every sink's URL with a password or a token,
 * table-driven, through the CLI (the run's output and errors, `forge jobs`, `forge jobs --json`, `forge jobs show`)
 * and the API (the created record, GET /api/jobs, /api/jobs/:id, its events, /metrics): the secret never appears, the
 * host does. Against the machine's brokers and Postgres when they are there (each case says why it is skipped), and
 * against a closed port always (the connect error must not echo the secret either).
 */

const dir = mkdtempSync(join(tmpdir(), 'forge-secrets-'));

const [mqtt, nats, pg] = await Promise.all([mqttBroker(), natsBroker(), postgresService(PG_TEST_URL)]);
const id = runId();

/** A URL of the service with credentials put in (the local services ignore them: anonymous or trust). */
function withCredentials(serviceUrl: string, user: string, password: string | null): string {
  const url = new URL(serviceUrl);
  url.username = user;
  url.password = password ?? '';
  return url.toString().replace(/\/$/, '');
}

interface SecretCase {
  readonly name: string;
  readonly secret: string;
  readonly flags: (url: string) => string[];
  readonly output: (url: string) => Record<string, unknown>;
  readonly url: string;
  readonly available: boolean;
  readonly reason?: string;
}

const pgTable = `secrets_${id}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!pg.available) return;
  const client = new pgClient.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    for (const table of [pgTable, `${pgTable}_api`]) await client.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await client.end();
  }
});
const cases: SecretCase[] = [
  {
    name: 'postgres user:password',
    secret: `pgpw-${id}`,
    url: withCredentials(PG_TEST_URL, 'postgres', `pgpw-${id}`),
    flags: (url) => ['--sink', 'postgres', '--pg-url', url, '--pg-table', pgTable],
    output: (url) => ({ sink: ['postgres'], pgUrl: url, pgTable: `${pgTable}_api` }),
    available: pg.available,
    reason: pg.reason,
  },
  {
    name: 'mqtt user:password',
    secret: `mqttpw-${id}`,
    url: withCredentials(MQTT_URL, 'u', `mqttpw-${id}`),
    flags: (url) => ['--sink', 'mqtt', '--mqtt-url', url],
    output: (url) => ({ sink: ['mqtt'], mqttUrl: url }),
    available: mqtt.available,
    reason: mqtt.reason,
  },
  {
    name: 'nats user:password',
    secret: `natspw-${id}`,
    url: withCredentials(NATS_URL, 'u', `natspw-${id}`),
    flags: (url) => ['--sink', 'nats', '--nats-url', url],
    output: (url) => ({ sink: ['nats'], natsUrl: url }),
    available: nats.available,
    reason: nats.reason,
  },
  {
    name: 'nats token (nats://token@host)',
    secret: `natstoken${id}`,
    url: withCredentials(NATS_URL, `natstoken${id}`, null),
    flags: (url) => ['--sink', 'nats', '--nats-url', url],
    output: (url) => ({ sink: ['nats'], natsUrl: url }),
    available: nats.available,
    reason: nats.reason,
  },
];

const batchFlags = (idPrefix: string): string[] => ['--meters', '2', '--days', '1', '--start', '2026-06-01', '--id-prefix', idPrefix];

/** The CLI's record views of a state directory: `forge jobs`, `--json`, and `show` of each job. */
async function cliViews(stateDir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const args of [['jobs'], ['jobs', '--json']]) {
    const run = await runForgeAsync([...args, '--state-dir', stateDir], dir);
    expect(run.code, run.stderr).toBe(0);
    texts.push(run.stdout, run.stderr);
  }
  for (const name of readdirSync(stateDir).filter((n) => n.endsWith('.json'))) {
    const show = await runForgeAsync(['jobs', 'show', name.replace(/\.json$/, ''), '--state-dir', stateDir], dir);
    expect(show.code, show.stderr).toBe(0);
    texts.push(show.stdout, show.stderr);
  }
  return texts;
}

describe('secrets through the CLI: generate\'s summary, stream\'s errors, forge jobs, --json and show', () => {
  it.each(cases)('$name: a job against the service shows the host, never the secret', async (c) => {
    if (!c.available) {
      console.warn(`secrets-redaction: ${c.name} against the service skipped (${c.reason ?? 'unavailable'}); the closed-port case still runs`);
      return;
    }
    const stateDir = join(dir, `cli-${c.name.replace(/\W+/g, '-')}`);
    const generate = await runForgeAsync(['generate', ...batchFlags(`G${cases.indexOf(c)}${id.slice(0, 4).toUpperCase()}`), ...c.flags(c.url), '--state-dir', stateDir], dir);
    expect(generate.code, generate.stderr).toBe(0);
    const views = await cliViews(stateDir);
    for (const text of [generate.stdout, generate.stderr, ...views]) expect(text).not.toContain(c.secret);
    // The host and the sink stay visible: what an operator needs to tell jobs apart.
    expect(generate.stdout).toContain('127.0.0.1');
    expect(views.join('\n')).toContain('127.0.0.1');
    // The record file keeps the URL as given, to resume the job (0600, SECURITY.md).
    expect(readdirSync(stateDir).map((n) => readFileSync(join(stateDir, n), 'utf8')).join('')).toContain(c.secret);
  }, 120_000);

  it.each(cases)('$name: a connect error to an unreachable service names the host, never the secret', async (c) => {
    const url = new URL(c.url);
    url.port = String(await closedPort());
    const stateDir = join(dir, `down-${c.name.replace(/\W+/g, '-')}`);
    const run = await runForgeAsync(['stream', '--meters', '2', '--from', '2026-06-01T00:00:00Z', '--duration', '1h', '--speed', 'max', ...c.flags(url.toString()), '--state-dir', stateDir], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/127\.0\.0\.1.*\[FORGE_ERR_SINK_CONNECT\]/);
    for (const text of [run.stdout, run.stderr, ...(await cliViews(stateDir))]) expect(text).not.toContain(c.secret);
  }, 120_000);
});

describe('secrets through the API: records, history, events and metrics', () => {
  const t = useTestServer('forge-secrets-api-');
  let address = '';
  beforeAll(async () => {
    address = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });

  it.each(cases)('$name', async (c) => {
    const port = c.available ? undefined : await closedPort();
    const url = new URL(c.url);
    if (port !== undefined) url.port = String(port);
    const created = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01', idPrefix: `A${cases.indexOf(c)}${id.slice(0, 4).toUpperCase()}` }, output: c.output(url.toString()) } });
    expect(created.statusCode, created.body).toBe(201);
    const jobId = created.json<JobRecord>().jobId;
    const record = await waitForJob(t.server, jobId);
    expect(record.status, record.errors.join('; ')).toBe(c.available ? 'completed' : 'failed');
    const texts = [
      created.body,
      (await t.server.inject({ url: '/api/jobs' })).body,
      (await t.server.inject({ url: `/api/jobs/${jobId}` })).body,
      (await t.server.inject({ url: '/metrics' })).body,
      JSON.stringify(await readEvents(`${address}/api/jobs/${jobId}/events`)),
    ];
    for (const text of texts) expect(text).not.toContain(c.secret);
    expect(texts[2]).toContain('127.0.0.1');
  }, 120_000);
});

describe('redact-secrets.ts: every URL form of every sink', () => {
  it.each([
    ['postgres://forge:pw-1@db.example:5432/ami', 'postgres://forge:***@db.example:5432/ami', 'pw-1'],
    ['postgresql://forge@db.example/ami?password=pw-2&sslmode=require', 'postgresql://forge@db.example/ami?password=***&sslmode=require', 'pw-2'],
    ['mqtt://meter:pw-3@broker.example:1883', 'mqtt://meter:***@broker.example:1883', 'pw-3'],
    ['mqtts://meter:pw%2F4@broker.example:8883', 'mqtts://meter:***@broker.example:8883', 'pw%2F4'],
    ['wss://meter:pw-5@broker.example/mqtt', 'wss://meter:***@broker.example/mqtt', 'pw-5'],
    ['nats://u:pw-6@nats.example:4222', 'nats://u:***@nats.example:4222', 'pw-6'],
    ['nats://tok-7@nats.example:4222', 'nats://***@nats.example:4222', 'tok-7'],
    ['tls://tok-8@nats.example:4222', 'tls://***@nats.example:4222', 'tok-8'],
    ['https://s3.example/bucket/key?X-Amz-Signature=sig-9&X-Amz-Credential=AKIA1', 'https://s3.example/bucket/key?X-Amz-Signature=***&X-Amz-Credential=***', 'sig-9'],
    ['https://acct.snowflakecomputing.com/?token=tok-10', 'https://acct.snowflakecomputing.com/?token=***', 'tok-10'],
  ])('redactUrl(%s)', (url, shown, secret) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain(secret);
    expect(redactText(`cannot reach ${url}: refused`, [])).toBe(`cannot reach ${shown}: refused`);
  });

  it('keeps what holds no credential as it is, and a user alone (not a token scheme) visible', () => {
    for (const url of ['postgres://forge@db/ami', 'mqtt://127.0.0.1:1883', 'file:///data/stage', 's3://bucket/raw', 'not a url']) expect(redactUrl(url)).toBe(url);
    expect(redactUrl('postgres://a:b@[::1/d')).toBe('<unparseable URL>');
  });

  it('takes secret-named keys, known environment secrets and URLs inside any string out of a structured value', () => {
    const env = { SNOWFLAKE_PASSWORD: 'sf-pw-11', AWS_SECRET_ACCESS_KEY: 'aws-12', FORGE_NATS_URL: 'nats://tok13@n:4222', FORGE_PG_URL: 'postgres://a:pg%2314@h/d' };
    const secrets = environmentSecrets(env);
    expect(secrets).toEqual(expect.arrayContaining(['sf-pw-11', 'aws-12', 'tok13', 'pg#14', 'pg%2314']));
    const value = {
      output: { pgUrl: 'postgres://a:x1@h/d', mqttUrl: 'mqtt://u:x2@h', natsUrl: 'nats://x3@h', stage: 's3://bucket/raw' },
      errors: ['login failed with sf-pw-11', 'aws-12 rejected', 'reached nats://x4@h:4222.'],
      auth: { kind: 'password', password: 'x5', passphrase: 'x6', privateKeyPem: '-----BEGIN PRIVATE KEY-----' },
      stats: { sinks: [{ sink: 'pg', lastError: 'pg#14 wrong' }] },
      count: 3,
    };
    const shown = JSON.stringify(redactSecrets(value, secrets));
    for (const secret of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'sf-pw-11', 'aws-12', 'pg#14', 'PRIVATE KEY']) expect(shown).not.toContain(secret);
    expect(redactSecrets(value, secrets)).toMatchObject({ output: { pgUrl: 'postgres://a:***@h/d', stage: 's3://bucket/raw' }, count: 3, errors: ['login failed with ***', '*** rejected', 'reached nats://***@h:4222.'] });
  });
});
