import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStreamJob } from '../../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../../src/scenario/scenario.js';
import { SnowpipeStreamingSink, type SnowpipeStreamingSinkOptions } from '../../../src/sinks/snowflake/snowpipe-streaming-sink.js';
import { resolveEmission } from '../../../src/stream/emission-settings.js';
import { isForgeError } from '../../../src/util/forge-error.js';
import { testJob } from '../../support/fixtures.js';
import { FakeSnowflake, type FakeAuth } from '../../support/snowflake/fake-snowflake.js';
import { stoppingAfter } from '../../support/stopping-sink.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const KEYPAIR_FAKE: FakeAuth = { kind: 'keypair', publicKeyPem: keys.publicKey, account: 'MYORG-MYACCOUNT', user: 'FORGE_LOADER' };
const OAUTH_TOKEN = 'oauth-token-abcdef-0123456789';
const PIPE = '/v2/streaming/databases/FORGE/schemas/AMI/pipes/AMI_STREAMING_PIPE';

const fakes: FakeSnowflake[] = [];
const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fake(auth: FakeAuth = KEYPAIR_FAKE): Promise<FakeSnowflake> {
  const f = await FakeSnowflake.start(auth);
  fakes.push(f);
  return f;
}

function sinkFor(f: FakeSnowflake, overrides: Partial<SnowpipeStreamingSinkOptions> = {}): SnowpipeStreamingSink {
  return new SnowpipeStreamingSink({
    account: 'myorg-myaccount', user: 'forge_loader', database: 'FORGE', schema: 'AMI', pipe: 'AMI_STREAMING_PIPE',
    auth: { kind: 'keypair', privateKeyPem: keys.privateKey }, url: f.accountUrl, retryBaseMs: 5, ...overrides,
  });
}

/** A row as the fake holds it, with the reading's snake_case names again. */
const lower = (row: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));

describe('SnowpipeStreamingSink against a documented fake', () => {
  it('runs hostname -> scoped token -> open -> append (NDJSON, offset tokens) -> status -> drop with the documented requests', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-sf-1' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    for (const { batch, info } of job.batches) {
      await sink.write(batch, info);
      await sink.flush();
    }
    const result = await sink.close('completed');
    expect(f.violations).toEqual([]);

    // The sequence of calls, host by host.
    const calls = f.requests.map((r) => `${r.host} ${r.method} ${r.rawPath.replace(PIPE, '{pipe}')}`);
    const appends = job.batches.map(() => [`ingest POST /v2/streaming/data/databases/FORGE/schemas/AMI/pipes/AMI_STREAMING_PIPE/channels/job-sf-1/rows`, `ingest POST {pipe}:bulk-channel-status`]).flat();
    expect(calls).toEqual([
      'account GET /v2/streaming/hostname',
      'account POST /oauth/token',
      'ingest PUT {pipe}/channels/job-sf-1',
      ...appends,
      'ingest DELETE {pipe}/channels/job-sf-1',
    ]);

    // Headers: the JWT typed KEYPAIR_JWT on the account host, the scoped token (untyped) on the ingest host.
    const [hostname, exchange, open] = f.requests;
    expect(hostname!.headers['x-snowflake-authorization-token-type']).toBe('KEYPAIR_JWT');
    expect(hostname!.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(exchange!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(exchange!.body))).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', scope: f.ingestHost });
    expect(f.scopedTokens.has(open!.headers.authorization!.slice('Bearer '.length))).toBe(true);
    expect(open!.headers['x-snowflake-authorization-token-type']).toBeUndefined();
    expect(open!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(open!.body)).toEqual({});

    // Appends: the continuation token of the previous answer, the batch's sequence as offset token, NDJSON rows.
    const rowsRequests = f.requests.filter((r) => r.rawPath.endsWith('/rows'));
    expect(rowsRequests.map((r) => r.query)).toEqual(job.batches.map((b, i) => ({ continuationToken: `ct-1-${i}`, offsetToken: String(b.info.sequence) })));
    expect(rowsRequests.every((r) => r.headers['content-type'] === 'application/x-ndjson')).toBe(true);
    const statusRequest = f.requests.find((r) => r.rawPath.endsWith(':bulk-channel-status'))!;
    expect(JSON.parse(statusRequest.body)).toEqual({ channel_names: ['job-sf-1'] });

    // The rows are the batch's readings, column names upper-cased as the Snowflake table has them.
    const held = rowsRequests.flatMap((r) => r.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
    expect(held).toHaveLength(job.rows);
    expect(Object.keys(held[0]!)).toEqual(Object.keys(job.expected.values().next().value!).map((k) => k.toUpperCase()));
    const byKey = new Map(held.map((r) => [`${r.METER_ID} ${r.READING_TS_UTC}`, lower(r)]));
    expect(byKey.size).toBe(job.rows);
    for (const [key, reading] of job.expected) expect(byKey.get(key)).toEqual(reading);

    expect(result).toMatchObject({ sink: 'snowflake', rows: job.rows, channel: 'job-sf-1', appends: job.batches.length, retries: 0, lastCommittedOffsetToken: String(job.batches.at(-1)!.info.sequence) });
    // The channel was dropped after the completed job.
    expect(f.channel('job-sf-1')).toBeUndefined();
  });

  it('reads JSON or plain-text hostname and token answers alike (the reference and the tutorial differ)', async () => {
    const f = await fake();
    f.plainTextAnswers = true;
    const job = testJob({ jobId: 'job-plain' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    expect(f.channel('job-plain')!.rows).toHaveLength(job.batches[0]!.batch.length);
    expect(f.violations).toEqual([]);
    await sink.close('completed');
  });

  it('uses an ingest host with underscores as hyphens, for the scoped token and every ingest call (the docs\' known issue)', async () => {
    const f = await fake();
    const port = f.ingestHost.split(':')[1]!;
    f.advertisedHost = `my_account.ingest.test:${port}`;
    const hostsSeen: string[] = [];
    // The test's fetch resolves the advertised name to the local fake, as DNS would.
    const viaDns: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      hostsSeen.push(url.host);
      if (url.hostname.endsWith('.ingest.test')) url.hostname = '127.0.0.1';
      return fetch(url, init);
    };
    const job = testJob({ jobId: 'job-dns' });
    const sink = sinkFor(f, { fetch: viaDns });
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    await sink.close('completed');
    expect(f.violations).toEqual([]);
    const accountHost = new URL(f.accountUrl).host;
    expect(hostsSeen.slice(0, 2)).toEqual([accountHost, accountHost]);
    expect(new Set(hostsSeen.slice(2))).toEqual(new Set([`my-account.ingest.test:${port}`]));
  });

  it('sends an OAuth token typed OAUTH to both hosts, without a scoped-token exchange', async () => {
    const f = await fake({ kind: 'oauth', token: OAUTH_TOKEN });
    const job = testJob({ jobId: 'job-oauth' });
    const sink = sinkFor(f, { user: undefined, auth: { kind: 'oauth', token: OAUTH_TOKEN } });
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    await sink.close('completed');
    expect(f.violations).toEqual([]);
    expect(f.requests.map((r) => r.rawPath)).not.toContain('/oauth/token');
    for (const r of f.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
      expect(r.headers['x-snowflake-authorization-token-type']).toBe('OAUTH');
    }
  });

  it('reads the SPCS token file and sends it as an OAuth token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forge-spcs-'));
    tempDirs.push(dir);
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'spcs-session-token-42\n');
    const f = await fake({ kind: 'oauth', token: 'spcs-session-token-42' });
    const job = testJob({ jobId: 'job-spcs' });
    const sink = sinkFor(f, { user: undefined, auth: { kind: 'spcs', tokenFile } });
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    await sink.close('completed');
    expect(f.violations).toEqual([]);
    expect(f.requests.length).toBeGreaterThan(3);
    expect(f.requests.every((r) => r.headers.authorization === 'Bearer spcs-session-token-42' && r.headers['x-snowflake-authorization-token-type'] === 'OAUTH')).toBe(true);
  });

  it('returns the committed offset token as the checkpoint, so a resumed job starts after it', async () => {
    const f = await fake();
    f.seedChannel('job-resume', '3');
    const job = testJob({ jobId: 'job-resume' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    expect(await sink.checkpoint('job-resume')).toBe(3);
    f.channel('job-resume')!.committed = null;
    expect(await sink.checkpoint('job-resume')).toBeNull();
    f.channel('job-resume')!.committed = 'kafka-partition-7';
    await expect(sink.checkpoint('job-resume')).rejects.toMatchObject({ code: 'FORGE_ERR_STREAM_CONFLICT' });
    await sink.abort(new Error('test'));
  });

  it('flush waits until Snowflake commits the last offset token', async () => {
    const f = await fake();
    f.commitAfterPolls = 3;
    const job = testJob({ jobId: 'job-wait' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    const { batch, info } = job.batches[1]!;
    await sink.write(batch, info);
    expect(f.channel('job-wait')!.committed).toBeNull();
    await sink.flush();
    expect(f.channel('job-wait')!.committed).toBe(String(info.sequence));
    expect(f.requests.filter((r) => r.rawPath.endsWith(':bulk-channel-status')).length).toBe(4);
    // A flush with nothing new sent asks nothing.
    const before = f.requests.length;
    await sink.flush();
    expect(f.requests.length).toBe(before);
    await sink.close('stopped');
    // A stopped job keeps its channel (and offset token) for --resume.
    expect(f.channel('job-wait')!.committed).toBe(String(info.sequence));
  });

  it('fails a flush that is not committed in time, and one whose rows Snowflake rejected', async () => {
    const f = await fake();
    f.commitAfterPolls = 1_000_000;
    const job = testJob({ jobId: 'job-slow' });
    const sink = sinkFor(f, { flushTimeoutMs: 300 });
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await expect(sink.flush()).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: /offset token 0 not committed on channel job-slow within 300 ms/ });

    f.commitAfterPolls = 0;
    const ch = f.channel('job-slow')!;
    ch.rowsErrors = 2;
    ch.lastErrorMessage = 'Numeric value out of range';
    await expect(sink.flush()).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: /rejected 2 rows on channel job-slow: Numeric value out of range/ });
    await sink.abort(new Error('test'));
  });

  it('splits a batch over maxRequestBytes into several appends, the offset token only on the last', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-split', batchesPerDate: 1 });
    const sink = sinkFor(f, { maxRequestBytes: 64 * 1024 });
    await sink.open(job.context);
    const { batch, info } = job.batches[0]!;
    await sink.write(batch, info);
    await sink.flush();
    const rows = f.requests.filter((r) => r.rawPath.endsWith('/rows'));
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.every((r) => Buffer.byteLength(r.body) <= 64 * 1024)).toBe(true);
    expect(rows.map((r) => r.query.offsetToken)).toEqual([...rows.slice(1).map(() => undefined), String(info.sequence)]);
    expect(rows.map((r) => r.query.continuationToken)).toEqual(rows.map((_, i) => `ct-1-${i}`));
    expect(f.channel('job-split')!.rows).toHaveLength(batch.length);
    expect(f.violations).toEqual([]);
    await sink.close('completed');
  });

  it('retries a 429 (with a Retry-After) and a 503, then succeeds', async () => {
    const f = await fake();
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 429, body: { code: 'TOO_MANY_REQUESTS', message: 'slow down' }, headers: { 'Retry-After': '0' }, times: 1 });
    f.faults.push({ match: (r) => r.path.endsWith(':bulk-channel-status'), status: 503, body: { code: 'SERVICE_UNAVAILABLE', message: 'try again' }, times: 1 });
    const job = testJob({ jobId: 'job-429' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    const result = await sink.close('completed');
    const rows = f.requests.filter((r) => r.rawPath.endsWith('/rows'));
    expect(rows.map((r) => r.status)).toEqual([429, 200]);
    // The retry is the same request: same continuation and offset tokens.
    expect(rows[1]!.query).toEqual(rows[0]!.query);
    expect(result.retries).toBe(2);
    expect(f.channel('job-429')).toBeUndefined();
    expect(result.rows).toBe(job.batches[0]!.batch.length);
  });

  it('retries a reset connection and a request that times out, with the same tokens', async () => {
    const f = await fake();
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 'reset', times: 1 });
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 'hang', times: 1 });
    const job = testJob({ jobId: 'job-net' });
    const sink = sinkFor(f, { requestTimeoutMs: 300 });
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    const rows = f.requests.filter((r) => r.rawPath.endsWith('/rows'));
    expect(rows.map((r) => r.status)).toEqual([0, 0, 200]);
    expect(new Set(rows.map((r) => JSON.stringify(r.query))).size).toBe(1);
    expect(f.channel('job-net')!.rows).toHaveLength(job.batches[0]!.batch.length);
    expect((await sink.close('completed')).retries).toBe(2);
  });

  it('renews an expired scoped token (new JWT, new exchange) and carries on', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-renew' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await sink.flush();
    f.scopedTokens.clear();
    await sink.write(job.batches[1]!.batch, job.batches[1]!.info);
    await sink.flush();
    const exchanges = f.requests.filter((r) => r.rawPath === '/oauth/token');
    expect(exchanges).toHaveLength(2);
    const rows = f.requests.filter((r) => r.rawPath.endsWith('/rows'));
    expect(rows.map((r) => r.status)).toEqual([200, 401, 200]);
    expect(f.channel('job-renew')!.committed).toBe(String(job.batches[1]!.info.sequence));
    await sink.close('completed');
  });

  it('abort cancels a request under way without throwing; the write fails', async () => {
    const f = await fake();
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 'hang', times: 1 });
    const job = testJob({ jobId: 'job-abort' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    const writing = sink.write(job.batches[0]!.batch, job.batches[0]!.info).then(() => null, (e: unknown) => e);
    while (!f.requests.some((r) => r.rawPath.endsWith('/rows'))) await new Promise((r) => setTimeout(r, 10));
    await expect(sink.abort(new Error('stop'))).resolves.toBeUndefined();
    expect(await writing).toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: /aborted/ });
    // Aborting again, or after a failure, stays quiet.
    await expect(sink.abort(new Error('again'))).resolves.toBeUndefined();
  });

  it('never repeats a token Snowflake echoes in an error message', async () => {
    const f = await fake({ kind: 'oauth', token: OAUTH_TOKEN });
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 400, body: { code: 'INVALID_ROW', message: `bad row sent with Bearer ${OAUTH_TOKEN}` }, times: 1 });
    const job = testJob({ jobId: 'job-echo' });
    const sink = sinkFor(f, { user: undefined, auth: { kind: 'oauth', token: OAUTH_TOKEN } });
    await sink.open(job.context);
    const error = await sink.write(job.batches[0]!.batch, job.batches[0]!.info).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: 'Sink snowflake failed: append rows to channel job-echo: HTTP 400 INVALID_ROW: bad row sent with Bearer ***' });
    await sink.abort(error);
  });

  it('gives up after maxAttempts with FORGE_ERR_SINK_WRITE naming Snowflake\'s code and message', async () => {
    const f = await fake();
    f.faults.push({ match: (r) => r.path.endsWith('/rows'), status: 500, body: { code: 'INTERNAL_ERROR', message: 'ingest backend down' }, times: 10 });
    const job = testJob({ jobId: 'job-500' });
    const sink = sinkFor(f, { maxAttempts: 3 });
    await sink.open(job.context);
    await expect(sink.write(job.batches[0]!.batch, job.batches[0]!.info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_WRITE',
      message: 'Sink snowflake failed: append rows to channel job-500: HTTP 500 INTERNAL_ERROR: ingest backend down',
    });
    expect(f.requests.filter((r) => r.rawPath.endsWith('/rows'))).toHaveLength(3);
    // After a failed write the sink refuses more.
    await expect(sink.write(job.batches[1]!.batch, job.batches[1]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    await sink.abort(new Error('test'));
  });

  it('a stale continuation token (channel reopened elsewhere) is a write error with its documented code', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-stale' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    f.channel('job-stale')!.sequencer++;
    await expect(sink.write(job.batches[0]!.batch, job.batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: /HTTP 400 STALE_CONTINUATION_TOKEN_SEQUENCER/ });
    await sink.abort(new Error('test'));
  });

  it('a 401 with an OAuth token is FORGE_ERR_SINK_CONNECT naming the account URL, never the token', async () => {
    const f = await fake({ kind: 'oauth', token: 'the-right-token-000000' });
    const sink = sinkFor(f, { user: undefined, auth: { kind: 'oauth', token: OAUTH_TOKEN } });
    const error = await sink.open(testJob().context).then(() => null, (e: unknown) => e);
    expect(isForgeError(error) && error.code).toBe('FORGE_ERR_SINK_CONNECT');
    expect((error as Error).message).toContain(f.accountUrl);
    expect((error as Error).message).toContain('HTTP 401 390144');
    expect((error as Error).message).not.toContain(OAUTH_TOKEN);
    expect(f.requests).toHaveLength(1);
  });

  it('a key-pair JWT the account does not accept (wrong key) is FORGE_ERR_SINK_CONNECT, tried twice, no key or JWT in the message', async () => {
    const f = await fake();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const sink = sinkFor(f, { auth: { kind: 'keypair', privateKeyPem: other.privateKey } });
    const error = await sink.open(testJob().context).then(() => null, (e: unknown) => e);
    expect(isForgeError(error) && error.code).toBe('FORGE_ERR_SINK_CONNECT');
    expect((error as Error).message).toMatch(/authentication failed \(get hostname: HTTP 401 390144: JWT token is invalid\. bad signature\)/);
    const jwt = f.requests[0]!.headers.authorization!.slice('Bearer '.length);
    expect((error as Error).message).not.toContain(jwt.split('.')[2]!.slice(0, 16));
    expect((error as Error).message).not.toContain('PRIVATE KEY');
    // One renewal (a fresh JWT), then the failure.
    expect(f.requests).toHaveLength(2);
  });

  it('a missing pipe is a write error with Snowflake\'s code, raised by open before anything is written', async () => {
    const f = await fake();
    const sink = sinkFor(f, { pipe: 'NO_SUCH_PIPE' });
    await expect(sink.open(testJob().context)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: /open channel job-test-1: HTTP 404 ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED/ });
    expect(f.requests.some((r) => r.rawPath.endsWith('/rows'))).toBe(false);
  });

  it('defaults the account URL from the account, or from SNOWFLAKE_HOST inside SPCS', () => {
    const base: SnowpipeStreamingSinkOptions = { account: 'MyOrg-MyAccount', database: 'D', schema: 'S', pipe: 'P', auth: { kind: 'oauth', token: 'tok' } };
    const saved = process.env.SNOWFLAKE_HOST;
    try {
      process.env.SNOWFLAKE_HOST = 'abc123.internal.snowflakecomputing.com';
      expect(new SnowpipeStreamingSink(base).accountUrl).toBe('https://myorg-myaccount.snowflakecomputing.com');
      expect(new SnowpipeStreamingSink({ ...base, auth: { kind: 'spcs' } }).accountUrl).toBe('https://abc123.internal.snowflakecomputing.com');
      expect(new SnowpipeStreamingSink({ ...base, auth: { kind: 'spcs' }, url: 'https://x.example.com/' }).accountUrl).toBe('https://x.example.com');
      delete process.env.SNOWFLAKE_HOST;
      expect(new SnowpipeStreamingSink({ ...base, auth: { kind: 'spcs' } }).accountUrl).toBe('https://myorg-myaccount.snowflakecomputing.com');
    } finally {
      if (saved === undefined) delete process.env.SNOWFLAKE_HOST;
      else process.env.SNOWFLAKE_HOST = saved;
    }
  });

  it('rejects bad options at construction with FORGE_ERR_INVALID_CONFIG', () => {
    const base: SnowpipeStreamingSinkOptions = { account: 'acct', user: 'u', database: 'D', schema: 'S', pipe: 'P', auth: { kind: 'oauth', token: 'tok' } };
    const bad: Partial<SnowpipeStreamingSinkOptions>[] = [
      { account: 'bad account' },
      { database: 'a/b' },
      { pipe: '' },
      { channel: 'x y' },
      { url: 'ftp://host' },
      { url: 'not a url' },
      { auth: { kind: 'keypair', privateKeyPem: 'nope' } },
      { auth: { kind: 'keypair', privateKeyPem: keys.privateKey }, user: undefined },
      { auth: { kind: 'token' } as never },
      { maxRequestBytes: 5_000_000 },
      { flushTimeoutMs: 0 },
    ];
    for (const o of bad) expect(() => new SnowpipeStreamingSink({ ...base, ...o }), JSON.stringify(o)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new SnowpipeStreamingSink(base)).not.toThrow();
  });
});

describe('a stream job into the Snowflake sink', () => {
  it('delivers every reading, each batch committed under its sequence, and resumes from the channel offset token', async () => {
    const f = await fake();
    const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 40, seed: 5, emissionPattern: 'UNIFORM' });
    const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
    const expected = 40 * 96;
    const controller = new AbortController();
    const sink = sinkFor(f);
    const stopping = stoppingAfter(sink, 5, controller);
    const first = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sf', maxBatchRows: 300, sinks: [stopping], signal: controller.signal,
    });
    expect(first.status).toBe('stopped');
    const ch = f.channel('job-stream-sf')!;
    expect(ch.rows.length).toBe(first.stats.delivered);
    expect(ch.rows.length).toBeLessThan(expected);
    expect(ch.committed).toBe(String(first.stats.checkpoint));

    const second = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sf', maxBatchRows: 300, sinks: [sinkFor(f)], resume: true,
    });
    expect(second.status).toBe('completed');
    expect(f.violations).toEqual([]);
    // Every reading once: the first run's rows plus the resumed run's, no batch sent twice.
    const rows = f.requests.filter((r) => r.rawPath.endsWith('/rows')).flatMap((r) => r.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
    const keysSeen = new Set(rows.map((r) => `${r.METER_ID} ${r.READING_TS_UTC}`));
    expect(rows.length).toBe(expected);
    expect(keysSeen.size).toBe(expected);
    expect(rows.every((r) => typeof r.EMITTED_AT === 'string' && Date.parse(r.EMITTED_AT) >= Date.parse(r.READING_TS_UTC as string))).toBe(true);
    // Offset tokens are the batches' sequences, increasing across both runs.
    const tokens = f.requests.filter((r) => r.rawPath.endsWith('/rows')).map((r) => Number(r.query.offsetToken));
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect(new Set(tokens).size).toBe(tokens.length);
    // The completed job dropped its channel.
    expect(f.channel('job-stream-sf')).toBeUndefined();
  });
});
