import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { READING_COLUMNS } from '../../../src/ddl/medallion-model.js';
import { runStreamJob } from '../../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../../src/scenario/scenario.js';
import { INSERT_COLUMNS, SnowflakeInsertSink, type SnowflakeInsertSinkOptions } from '../../../src/sinks/snowflake/snowflake-insert-sink.js';
import { resolveEmission } from '../../../src/stream/emission-settings.js';
import { isForgeError } from '../../../src/util/forge-error.js';
import { testJob, testScenario } from '../../support/fixtures.js';
import { FakeSnowflakeSql, type Binding, type Cell, type FakeSqlAuth } from '../../support/snowflake/fake-snowflake-sql.js';
import { stoppingAfter } from '../../support/stopping-sink.js';

// No network here: the driver's cloud-platform probes (AWS/Azure/GCP metadata endpoints) and its connection-shape
// telemetry are switched off for this process; these variables are read when the driver is loaded and at login,
// and the sink loads the driver lazily on its first open, after this runs.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

beforeAll(async () => {
  // The fake speaks plain HTTP, so there is no certificate whose revocation (OCSP) could be checked; disabled so the
  // driver never tries to reach an OCSP responder from this test process.
  const sdk = (await import('snowflake-sdk')).default;
  sdk.configure({ disableOCSPChecks: true });
});

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const PASSWORD = 'pa55-w0rd-very-secret';
const ACCOUNT = 'myorg-myaccount';
const USER = 'forge_loader';
const TABLE = 'FORGE.AMI.AMI_READINGS';

const fakes: FakeSnowflakeSql[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(auth: FakeSqlAuth = { kind: 'password', password: PASSWORD }, tables?: string[]): Promise<FakeSnowflakeSql> {
  const f = await FakeSnowflakeSql.start({ account: ACCOUNT, user: USER, auth, ...(tables ? { tables } : {}) });
  fakes.push(f);
  return f;
}

function sinkFor(f: FakeSnowflakeSql, overrides: Partial<SnowflakeInsertSinkOptions> = {}): SnowflakeInsertSink {
  return new SnowflakeInsertSink({
    account: ACCOUNT, user: USER, database: 'forge', schema: 'ami', warehouse: 'forge_wh',
    auth: { kind: 'password', password: PASSWORD }, accessUrl: f.url, ...overrides,
  });
}

/** A reading as the fake's table holds it, back in the flat reading's snake_case shape (EMITTED_AT dropped). */
function asFlat(row: Record<string, Cell>): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const [k, v] of Object.entries(row)) if (k !== 'EMITTED_AT') out[k.toLowerCase()] = v;
  return out;
}

/** The flat reading with UTC instants normalised as the fake stores TIMESTAMP_TZ (toISOString). */
function expectedFlat(r: Record<string, unknown>): Record<string, unknown> {
  return { ...r, reading_ts_utc: new Date(r.reading_ts_utc as string).toISOString() };
}

async function expectForgeError(p: Promise<unknown>, code: string): Promise<Error & { code: string; message: string }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isForgeError(e), String(e)).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  return e as Error & { code: string; message: string };
}

describe('SnowflakeInsertSink login', () => {
  it('logs in with the password through login-request (account, user, warehouse, database, schema) and ends the session on close', async () => {
    const f = await fake();
    const job = testJob();
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.close('completed');
    const login = f.requests.find((r) => r.path === '/session/v1/login-request')!;
    expect(login.query).toMatchObject({ warehouse: 'forge_wh', databaseName: 'forge', schemaName: 'ami' });
    expect(f.logins).toHaveLength(1);
    expect(f.logins[0]).toMatchObject({ ACCOUNT_NAME: ACCOUNT, LOGIN_NAME: USER, AUTHENTICATOR: 'SNOWFLAKE', PASSWORD });
    expect(typeof f.logins[0]!.CLIENT_APP_ID).toBe('string');
    expect(f.requests.some((r) => r.path === '/session' && r.query.delete === 'true')).toBe(true);
    expect(f.openSessions).toBe(0);
    // Telemetry is off for the fake (see the top of this file): nothing but login, queries and the session's end.
    expect(f.requests.map((r) => r.path).filter((p) => p !== '/queries/v1/query-request')).toEqual(['/session/v1/login-request', '/session']);
    expect(f.violations).toEqual([]);
  });

  it('logs in with an encrypted private key and its passphrase', async () => {
    const passphrase = 'key-passphrase-123';
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const f = await fake({ kind: 'keypair', publicKeyPem: encrypted.publicKey });
    const sink = sinkFor(f, { auth: { kind: 'keypair', privateKeyPem: encrypted.privateKey, passphrase } });
    await sink.open(testJob().context);
    await sink.close();
    expect(f.logins[0]).toMatchObject({ AUTHENTICATOR: 'SNOWFLAKE_JWT' });
    expect(f.violations).toEqual([]);
    expect(() => sinkFor(f, { auth: { kind: 'keypair', privateKeyPem: encrypted.privateKey, passphrase: 'wrong' } })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
  });

  it('logs in with a key-pair JWT that the fake verifies against the public key', async () => {
    const f = await fake({ kind: 'keypair', publicKeyPem: keys.publicKey });
    const sink = sinkFor(f, { auth: { kind: 'keypair', privateKeyPem: keys.privateKey } });
    await sink.open(testJob().context);
    await sink.close();
    expect(f.logins[0]).toMatchObject({ AUTHENTICATOR: 'SNOWFLAKE_JWT', LOGIN_NAME: USER });
    expect(f.logins[0]!.PASSWORD).toBeUndefined();
    expect(String(f.logins[0]!.TOKEN).split('.')).toHaveLength(3);
    expect(f.violations).toEqual([]);
  });

  it('refuses a JWT signed with another key (FORGE_ERR_SINK_CONNECT naming the account)', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const f = await fake({ kind: 'keypair', publicKeyPem: keys.publicKey });
    const sink = sinkFor(f, { auth: { kind: 'keypair', privateKeyPem: other.privateKey } });
    const e = await expectForgeError(sink.open(testJob().context), 'FORGE_ERR_SINK_CONNECT');
    expect(e.message).toContain(ACCOUNT);
    expect(e.message).toContain('390144');
    expect(e.message).not.toContain('PRIVATE KEY');
    expect(f.violations.some((v) => v.includes('bad signature'))).toBe(true);
  });

  it('a wrong password gives FORGE_ERR_SINK_CONNECT with Snowflake\'s code, naming the account, without the password', async () => {
    const f = await fake({ kind: 'password', password: 'the-real-one' });
    f.echoSecretsInLoginErrors = true;
    const e = await expectForgeError(sinkFor(f).open(testJob().context), 'FORGE_ERR_SINK_CONNECT');
    expect(e.message).toContain(ACCOUNT);
    expect(e.message).toContain('390100');
    expect(e.message).toContain('Incorrect username or password');
    // The fake quoted the password back; the sink's message does not.
    expect(e.message).toContain('(received ***)');
    expect(e.message).not.toContain(PASSWORD);
    expect(JSON.stringify(e)).not.toContain(PASSWORD);
    expect(f.sql('')).toHaveLength(0);
  });

  it('a 401 answer to the login gives FORGE_ERR_SINK_CONNECT without the secret', async () => {
    const f = await fake();
    f.loginStatus = 401;
    f.echoSecretsInLoginErrors = true;
    const e = await expectForgeError(sinkFor(f).open(testJob().context), 'FORGE_ERR_SINK_CONNECT');
    expect(e.message).toContain(ACCOUNT);
    expect(e.message).not.toContain(PASSWORD);
    expect(f.sql('')).toHaveLength(0);
  });

  it('an OAuth token is sent as TOKEN with the OAUTH authenticator and never shown in errors', async () => {
    const token = 'oauth-token-abcdef-0123456789';
    const f = await fake({ kind: 'oauth', token: 'another-token-xyz-0000' });
    f.echoSecretsInLoginErrors = true;
    const e = await expectForgeError(sinkFor(f, { auth: { kind: 'oauth', token } }).open(testJob().context), 'FORGE_ERR_SINK_CONNECT');
    expect(f.logins[0]).toMatchObject({ AUTHENTICATOR: 'OAUTH', TOKEN: token });
    expect(e.message).not.toContain(token);
  });
});

describe('SnowflakeInsertSink open', () => {
  it('fails with FORGE_ERR_SINK_WRITE naming the table when it does not exist, and closes the session', async () => {
    const f = await fake(undefined, []);
    const e = await expectForgeError(sinkFor(f).open(testJob().context), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain('"FORGE"."AMI"."AMI_READINGS"');
    expect(e.message).toContain('forge ddl --target snowflake');
    expect(f.sql('INSERT')).toHaveLength(0);
    expect(f.openSessions).toBe(0);
  });

  it('creates the checkpoint table if absent and reads the job\'s checkpoint by job and table', async () => {
    const f = await fake();
    const sink = sinkFor(f);
    await sink.open(testJob({ jobId: 'job-a' }).context);
    expect(f.checkpointTable).toBe('FORGE.AMI.FORGE_CHECKPOINTS');
    const select = f.sql('SELECT "SEQUENCE"')[0]!;
    expect(select.bindings).toEqual({ '1': { type: 'TEXT', value: 'job-a' }, '2': { type: 'TEXT', value: TABLE } });
    expect(await sink.checkpoint('job-a')).toBeNull();
    await sink.close();
  });
});

describe('SnowflakeInsertSink write', () => {
  it('inserts each batch with one array bind per column holding exactly the batch\'s values', async () => {
    const f = await fake();
    const job = testJob();
    const sink = sinkFor(f);
    await sink.open(job.context);
    for (const { batch, info } of job.batches) await sink.write(batch, info);
    const result = await sink.close('completed');
    expect(f.violations).toEqual([]);
    expect(result.rows).toBe(job.rows);

    const inserts = f.sql('INSERT');
    expect(inserts).toHaveLength(job.batches.length);
    // Quoted table and columns, one ? per column, the columns of READING_COLUMNS in order.
    expect(INSERT_COLUMNS).toEqual(READING_COLUMNS.map((c) => c.toUpperCase()));
    const columns = INSERT_COLUMNS.map((c) => `"${c}"`).join(', ');
    expect(inserts[0]!.sqlText).toBe(`INSERT INTO "FORGE"."AMI"."AMI_READINGS" (${columns}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
    expect(inserts[0]!.asyncExec).toBeUndefined();

    // Bindings: "1".."20", each an array of the batch's values in row order, as text (the driver's wire form).
    for (let b = 0; b < job.batches.length; b++) {
      const { batch } = job.batches[b]!;
      const bindings = inserts[b]!.bindings!;
      expect(Object.keys(bindings).sort((x, y) => Number(x) - Number(y))).toEqual(INSERT_COLUMNS.map((_, i) => String(i + 1)));
      for (const bind of Object.values(bindings)) expect((bind.value as unknown[]).length).toBe(batch.length);
    }
    const first = job.batches[0]!.batch;
    const b0 = inserts[0]!.bindings!;
    const col = (name: string): Binding => b0[String(INSERT_COLUMNS.indexOf(name) + 1)]!;
    // Values of the first batch, row by row, against the fixture's flat readings.
    const flatOf = (row: number) => job.expected.get(`${job.context.fleet.meterIds[first.meterIndex[row]!]} ${new Date(first.tsUtcMs[row]!).toISOString().replace('.000Z', 'Z')}`)!;
    for (let row = 0; row < first.length; row++) {
      const r = flatOf(row);
      expect((col('METER_ID').value as string[])[row]).toBe(r.meter_id);
      expect((col('READING_TS').value as string[])[row]).toBe(r.reading_ts);
      expect((col('READING_TS_UTC').value as string[])[row]).toBe(r.reading_ts_utc);
      expect(Number((col('USAGE_KWH').value as string[])[row])).toBe(r.usage_kwh);
      expect(Number((col('LATITUDE').value as string[])[row])).toBe(r.latitude);
      expect((col('IS_OUTAGE').value as string[])[row]).toBe(String(r.is_outage));
      expect((col('EVENT_TYPE').value as (string | null)[])[row]).toBe(r.event_type);
      expect((col('EMITTED_AT').value as (string | null)[])[row]).toBeNull();
    }
    expect(col('IS_OUTAGE').type).toBe('BOOLEAN');
    expect((col('EVENT_TYPE').value as (string | null)[]).some((v) => v === null)).toBe(true);
    expect((col('EVENT_TYPE').value as (string | null)[])).not.toContain('null');

    // The table holds every reading once, equal to the fixture.
    const table = f.tables.get(TABLE)!;
    expect(table).toHaveLength(job.rows);
    const byKey = new Map(table.map((r) => [`${r.METER_ID} ${String(r.READING_TS_UTC)}`, asFlat(r)]));
    expect(byKey.size).toBe(job.rows);
    for (const r of job.expected.values()) expect(byKey.get(`${r.meter_id} ${new Date(r.reading_ts_utc).toISOString()}`)).toEqual(expectedFlat(r as unknown as Record<string, unknown>));
  });

  it('runs BEGIN, INSERT, MERGE of the checkpoint, COMMIT for each batch, in that order', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-order' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    for (const { batch, info } of job.batches) await sink.write(batch, info);
    await sink.close();
    const kinds = f.statements.map((s) => s.sqlText.split(' ', 1)[0]).filter((k) => ['BEGIN', 'INSERT', 'MERGE', 'COMMIT'].includes(k!));
    expect(kinds).toEqual(job.batches.flatMap(() => ['BEGIN', 'INSERT', 'MERGE', 'COMMIT']));
    const merges = f.sql('MERGE');
    expect(merges.map((m) => m.bindings!['3']!.value)).toEqual(job.batches.map((b) => String(b.info.sequence)));
    expect(merges[0]!.bindings!['1']!.value).toBe('job-order');
    expect(merges[0]!.bindings!['4']!.value).toBe(String(job.batches[0]!.batch.length));
    const cp = f.checkpoints.get(`job-order|${TABLE}`)!;
    expect(cp.sequence).toBe(job.batches.at(-1)!.info.sequence);
    expect(cp.rows).toBe(job.rows);
    // Every statement ran in the one session.
    expect(new Set(f.statements.map((s) => s.sessionId)).size).toBe(1);
  });

  it('splits a batch into INSERTs of batchRows rows inside its one transaction', async () => {
    const f = await fake();
    const job = testJob();
    const sink = sinkFor(f, { batchRows: 100 });
    await sink.open(job.context);
    const { batch, info } = job.batches[0]!;
    await sink.write(batch, info);
    await sink.close();
    const sizes = f.sql('INSERT').map((s) => (s.bindings!['1']!.value as string[]).length);
    const expected: number[] = [];
    for (let n = batch.length; n > 0; n -= 100) expected.push(Math.min(100, n));
    expect(sizes).toEqual(expected);
    expect(expected.length).toBeGreaterThan(2);
    const kinds = f.statements.map((s) => s.sqlText.split(' ', 1)[0]).filter((k) => ['BEGIN', 'INSERT', 'MERGE', 'COMMIT'].includes(k!));
    expect(kinds).toEqual(['BEGIN', ...expected.map(() => 'INSERT'), 'MERGE', 'COMMIT']);
    expect(f.tables.get(TABLE)).toHaveLength(batch.length);
    expect(f.violations).toEqual([]);
  });

  it('keeps a default-sized INSERT\'s binds inline (no stage binding), above the server\'s stage threshold', async () => {
    const f = await fake();
    const job = testJob({ scenario: testScenario({ meters: 40 }), batchesPerDate: 1 });
    const { batch, info } = job.batches[0]!;
    expect(batch.length * INSERT_COLUMNS.length).toBeGreaterThan(65_280);
    expect(batch.length).toBeLessThanOrEqual(10_000);
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(batch, info);
    await sink.close();
    expect(f.sql('INSERT')).toHaveLength(1);
    expect((f.sql('INSERT')[0]!.bindings!['1']!.value as string[]).length).toBe(batch.length);
    expect(f.violations).toEqual([]);
    expect(f.tables.get(TABLE)).toHaveLength(batch.length);
  });

  it('an INSERT reporting fewer rows than sent fails the batch and rolls it back', async () => {
    const f = await fake();
    const job = testJob();
    const sink = sinkFor(f);
    await sink.open(job.context);
    f.reportInserted = 1;
    const e = await expectForgeError(sink.write(job.batches[0]!.batch, job.batches[0]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain(`reported 1 rows inserted for ${job.batches[0]!.batch.length} sent`);
    expect(f.sql('ROLLBACK')).toHaveLength(1);
    expect(f.tables.get(TABLE)).toHaveLength(0);
    await sink.abort(e);
  });

  it('skips batches at or below the checkpoint read at open (a resumed job inserts nothing twice)', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-resume' });
    const first = sinkFor(f);
    await first.open(job.context);
    await first.write(job.batches[0]!.batch, job.batches[0]!.info);
    await first.write(job.batches[1]!.batch, job.batches[1]!.info);
    await first.close('stopped');

    const second = sinkFor(f);
    await second.open(job.context);
    expect(await second.checkpoint('job-resume')).toBe(job.batches[1]!.info.sequence);
    const insertsBefore = f.sql('INSERT').length;
    for (const { batch, info } of job.batches) await second.write(batch, info);
    const result = await second.close('completed');
    expect(result.skippedBatches).toBe(2);
    expect(f.sql('INSERT').length - insertsBefore).toBe(job.batches.length - 2);
    expect(f.tables.get(TABLE)).toHaveLength(job.rows);
    expect(await Promise.resolve(result.checkpoint)).toBe(job.batches.at(-1)!.info.sequence);
  });

  it('a failing INSERT gives FORGE_ERR_SINK_WRITE with Snowflake\'s code and message, sends ROLLBACK, and leaves nothing behind', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-fail' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    f.faults.push({ match: /^INSERT/, code: '100038', message: "Numeric value 'abc' is not recognized", sqlState: '22018', times: 1 });
    const e = await expectForgeError(sink.write(job.batches[1]!.batch, job.batches[1]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain('100038');
    expect(e.message).toContain("Numeric value 'abc' is not recognized");
    expect(e.message).toContain('"FORGE"."AMI"."AMI_READINGS"');
    expect(e.message).not.toContain(PASSWORD);
    const kinds = f.statements.slice(-3).map((s) => s.sqlText.split(' ', 1)[0]);
    expect(kinds).toEqual(['BEGIN', 'INSERT', 'ROLLBACK']);
    // Only the first batch was committed, with its checkpoint.
    expect(f.tables.get(TABLE)).toHaveLength(job.batches[0]!.batch.length);
    expect(f.checkpoints.get(`job-fail|${TABLE}`)!.sequence).toBe(job.batches[0]!.info.sequence);
    await expectForgeError(sink.write(job.batches[2]!.batch, job.batches[2]!.info), 'FORGE_ERR_SINK_STATE');
    await sink.abort(e);
    expect(f.openSessions).toBe(0);
  });

  it('a failing MERGE rolls back the batch\'s INSERT too', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-merge-fail' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    f.faults.push({ match: /^MERGE/, code: '000630', message: 'Statement reached its statement or warehouse timeout', sqlState: '57014', times: 1 });
    const e = await expectForgeError(sink.write(job.batches[0]!.batch, job.batches[0]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain('000630');
    expect(f.sql('ROLLBACK')).toHaveLength(1);
    expect(f.tables.get(TABLE)).toHaveLength(0);
    expect(f.checkpoints.size).toBe(0);
    await sink.abort(e);
  });

  it('abort never throws, even when the fake is gone', async () => {
    const f = await fake();
    const sink = sinkFor(f);
    await sink.open(testJob().context);
    await f.close();
    fakes.splice(fakes.indexOf(f), 1);
    await expect(sink.abort(new Error('x'))).resolves.toBeUndefined();
  });
});

describe('SnowflakeInsertSink options', () => {
  it('rejects bad options with FORGE_ERR_INVALID_CONFIG, without quoting secrets', () => {
    const base: SnowflakeInsertSinkOptions = { account: ACCOUNT, user: USER, database: 'FORGE', schema: 'AMI', auth: { kind: 'password', password: PASSWORD } };
    const bad: Partial<SnowflakeInsertSinkOptions>[] = [
      { account: 'my org' },
      { account: 'myorg--x' },
      { account: 'xy12345.' },
      { user: 'a b' },
      { database: 'FORGE"; DROP TABLE X; --' },
      { schema: 'a.b' },
      { table: 'AMI-READINGS' },
      { warehouse: '' },
      { batchRows: 0 },
      { batchRows: 100_001 },
      { batchRows: 1.5 },
      { accessUrl: 'ftp://x' },
      { accessUrl: 'http://user:pw@127.0.0.1:1' },
      { auth: { kind: 'password', password: '' } },
      { auth: { kind: 'oauth', token: ' ' } },
      { auth: { kind: 'keypair', privateKeyPem: 'not a key' } },
      { auth: { kind: 'token' } as never },
    ];
    for (const o of bad) {
      let error: unknown = null;
      try {
        new SnowflakeInsertSink({ ...base, ...o });
      } catch (e) {
        error = e;
      }
      expect(isForgeError(error), JSON.stringify(o)).toBe(true);
      expect((error as { code: string }).code).toBe('FORGE_ERR_INVALID_CONFIG');
      expect((error as Error).message).not.toContain(PASSWORD);
    }
    expect(() => new SnowflakeInsertSink(base)).not.toThrow();
    expect(() => new SnowflakeInsertSink({ ...base, account: 'xy12345.us-east-1' })).not.toThrow();
    expect(new SnowflakeInsertSink({ ...base, table: 'readings$2' }).target).toBe('"FORGE"."AMI"."READINGS$2"');
  });
});

describe('a stream job into the insert sink', () => {
  it('stopped and resumed, inserts every reading exactly once', async () => {
    const f = await fake();
    const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 40, seed: 5, emissionPattern: 'UNIFORM' });
    const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
    const expected = 40 * 96;
    const controller = new AbortController();
    const sink = sinkFor(f);
    const stopping = stoppingAfter(sink, 5, controller);
    const first = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sfi', maxBatchRows: 300, sinks: [stopping], signal: controller.signal,
    });
    expect(first.status).toBe('stopped');
    const table = f.tables.get(TABLE)!;
    expect(table.length).toBe(first.stats.delivered);
    expect(table.length).toBeLessThan(expected);
    expect(f.checkpoints.get(`job-stream-sfi|${TABLE}`)!.sequence).toBe(first.stats.checkpoint);

    const second = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sfi', maxBatchRows: 300, sinks: [sinkFor(f)], resume: true,
    });
    expect(second.status).toBe('completed');
    expect(f.violations).toEqual([]);
    const keysSeen = new Set(table.map((r) => `${r.METER_ID} ${String(r.READING_TS_UTC)}`));
    expect(table.length).toBe(expected);
    expect(keysSeen.size).toBe(expected);
    expect(table.every((r) => typeof r.EMITTED_AT === 'string' && Date.parse(r.EMITTED_AT) >= Date.parse(String(r.READING_TS_UTC)))).toBe(true);
    expect(f.checkpoints.get(`job-stream-sfi|${TABLE}`)!.rows).toBe(expected);
    expect(f.openSessions).toBe(0);
  });
});
