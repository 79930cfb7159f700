import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAT_COLUMNS } from '../../src/generator/reading-records.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { createSinks } from '../../src/jobs/sink-factory.js';
import { parsePgTableName, quotePgIdentifier, redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { isConnectionError, PostgresSink, type PostgresSinkOptions, type PostgresSinkStatus } from '../../src/sinks/postgres/postgres-sink.js';
import { runForge } from '../support/run-forge.js';
import { closedPort } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { testJob, testScenario, type TestJob } from '../support/fixtures.js';

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

/** A fresh table name per test, unique to this run; every one is dropped (with its checkpoints) after the file. */
let tableCount = 0;
const tables: string[] = [];
const schemas: string[] = [];
const freshTable = (): string => {
  const name = `ami_test_${process.pid}_${++tableCount}`;
  tables.push(name);
  return name;
};

async function runJob(sink: PostgresSink, job: TestJob): Promise<Awaited<ReturnType<PostgresSink['close']>>> {
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

const lastSequence = (job: TestJob): number => job.batches.at(-1)!.info.sequence;

describe('Postgres sink options (no server needed)', () => {
  it('accepts plain lower-case names and quotes them; refuses anything else', () => {
    expect(quotePgIdentifier('ami_readings')).toBe('"ami_readings"');
    expect(parsePgTableName('forge.ami_2026')).toEqual({ schema: 'forge', table: 'ami_2026' });
    expect(parsePgTableName('_t')).toEqual({ schema: undefined, table: '_t' });
    for (const bad of ['Ami', 'ami-readings', '1ami', 'a"b', 'a b', `x${'y'.repeat(63)}`, '', 'a;drop table x', 'a.b.c', '.t', 's.']) {
      expect(() => parsePgTableName(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    }
  });

  it('refuses a bad table name or URL when the sink is built, before any connection', async () => {
    // A closed port: had the sink tried to connect, the error would be FORGE_ERR_SINK_CONNECT.
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
    expect(() => new PostgresSink({ url, table: 'Bad-Name' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    expect(() => new PostgresSink({ url, table: 'ok', schema: 'public; drop' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    expect(() => PostgresSink.fromTableName('a.b.c', { url })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    expect(() => new PostgresSink({ url: 'mysql://x@127.0.0.1/db' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
  });

  it('validates --pg-url and --pg-table at the boundary, only with the postgres sink', async () => {
    expect(parseOutputOptions({ sink: 'postgres', pgUrl: 'postgres://u@h/db', pgTable: 's.t' })).toMatchObject({ sink: ['postgres'], pgTable: 's.t' });
    expect(() => parseOutputOptions({ sink: 'postgres', pgTable: 'Bad' })).toThrow(/pgTable: Invalid identifier "Bad"/);
    expect(() => parseOutputOptions({ sink: 'postgres', pgUrl: 'http://h/db' })).toThrow(/pgUrl: expected a postgres:\/\//);
    expect(() => parseOutputOptions({ sink: 'duckdb', pgTable: 't' })).toThrow(/pgTable: --pg-table applies to the postgres sink only; add postgres to --sink/);
    expect(() => parseOutputOptions({ sink: 'duckdb', pgUrl: 'postgres://u@h/db' })).toThrow(/pgUrl: --pg-url applies to the postgres sink only/);
    // postgres writes to no path, so --out still names the one duckdb file in a dual write.
    expect(parseOutputOptions({ sink: 'duckdb,postgres', out: 'x.duckdb' }).sink).toEqual(['duckdb', 'postgres']);
    const [sink] = await createSinks(parseOutputOptions({ sink: 'postgres', pgUrl: 'postgres://u@h/db', pgTable: 't' }));
    expect(sink).toBeInstanceOf(PostgresSink);
  });

  it('shows URLs without their password', () => {
    expect(redactPgUrl('postgres://forge:s3cret@db.example:5433/ami?sslmode=require')).toBe('postgres://forge:***@db.example:5433/ami?sslmode=require');
    expect(redactPgUrl('postgresql://db/ami?user=forge&password=s3cret')).not.toContain('s3cret');
    expect(redactPgUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  it('tells a lost connection (retry) from a bad statement (fail fast)', () => {
    const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
    expect(isConnectionError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isConnectionError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionError(withCode('08006'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isConnectionError(withCode('42703', 'column "event_type" does not exist'))).toBe(false);
    expect(isConnectionError(withCode('23505'))).toBe(false);
    expect(isConnectionError(withCode('28P01', 'password authentication failed'))).toBe(false);
  });

  it('reports an unreachable server clearly, naming the URL without its password', async () => {
    const port = await closedPort();
    const sink = new PostgresSink({ url: `postgres://forge:s3cret@127.0.0.1:${port}/test`, table: 'never_created' });
    const error = await sink.open(testJob().context).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: expect.stringContaining(`Sink postgres cannot reach postgres://forge:***@127.0.0.1:${port}/test: `),
    });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as Error).message).not.toContain('s3cret');
    await expect(sink.write(testJob().batches[0]!.batch, testJob().batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
  });

  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service.available, service.reason).toBe(true);
  });
});

describe.runIf(gate.run)(`PostgresSink against ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    await admin.query(`SET TIME ZONE 'UTC'`);
  });

  afterAll(async () => {
    if (!admin) return;
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS ${quotePgIdentifier(table)}`);
    const hasCheckpoints = await admin.query(`SELECT to_regclass('forge_checkpoints') IS NOT NULL AS ok`);
    if (hasCheckpoints.rows[0].ok) await admin.query(`DELETE FROM forge_checkpoints WHERE table_name = ANY ($1)`, [tables.map((t) => `public.${t}`)]);
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quotePgIdentifier(schema)} CASCADE`);
    await admin.end();
  });

  const sinkFor = (table: string, options: Omit<PostgresSinkOptions, 'table'> = {}): PostgresSink => new PostgresSink({ url: PG_TEST_URL, table, ...options });
  const count = async (table: string): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM ${quotePgIdentifier(table)}`)).rows[0].n);
  const checkpoint = async (jobId: string, table: string): Promise<{ sequence: string; rows: string } | undefined> =>
    (await admin.query(`SELECT sequence, rows FROM forge_checkpoints WHERE job_id = $1 AND table_name = $2`, [jobId, `public.${table}`])).rows[0];

  it('round-trips every reading exactly: ids, local and UTC time stamps, doubles bit for bit, NULL events', async () => {
    const table = freshTable();
    const job = testJob();
    const sink = sinkFor(table);
    const result = await runJob(sink, job);
    expect(result).toEqual({ sink: 'postgres', rows: 1920, outputs: [`${redactPgUrl(PG_TEST_URL)}#public.${table}`] });
    expect(sink.insertedRows).toBe(1920);

    const columns = await admin.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    // The reading schema, then the stream's emission time (NULL for a batch job).
    expect(columns.rows.map((c) => c.column_name)).toEqual([...FLAT_COLUMNS, 'emitted_at']);
    expect(Object.fromEntries(columns.rows.map((c) => [c.column_name, c.data_type]))).toMatchObject({
      meter_id: 'text', reading_ts: 'timestamp without time zone', reading_ts_utc: 'timestamp with time zone', interval_minutes: 'smallint',
      usage_kwh: 'double precision', is_outage: 'boolean', event_type: 'text', latitude: 'double precision', emitted_at: 'timestamp with time zone',
    });
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${quotePgIdentifier(table)} WHERE emitted_at IS NOT NULL`)).rows[0].n).toBe(0);

    // Time stamps as text in the shapes of reading-records.ts; doubles as their exact bits (float8send).
    const rows = await admin.query(
      `SELECT *, to_char(reading_ts, 'YYYY-MM-DD HH24:MI:SS') AS local_text, to_char(reading_ts_utc, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS utc_text, ` +
        `encode(float8send(usage_kwh), 'hex') || encode(float8send(voltage), 'hex') || encode(float8send(power_factor), 'hex') || ` +
        `encode(float8send(temperature_c), 'hex') || encode(float8send(latitude), 'hex') || encode(float8send(longitude), 'hex') AS bits ` +
        `FROM ${quotePgIdentifier(table)}`,
    );
    expect(rows.rows).toHaveLength(job.rows);
    const hex = (x: number): string => Buffer.from(new Float64Array([x]).buffer).reverse().toString('hex');
    let nullEvents = 0;
    for (const row of rows.rows) {
      const want = job.expected.get(`${row.meter_id} ${row.utc_text}`);
      expect(want, `${row.meter_id} ${row.utc_text}`).toBeDefined();
      const { local_text, utc_text: _u, bits, reading_ts: _l, reading_ts_utc: _t, emitted_at: _e, ...got } = row;
      const { reading_ts, reading_ts_utc: _r, ...rest } = want!;
      expect(local_text).toBe(reading_ts);
      expect(got).toEqual(rest);
      expect(bits).toBe([rest.usage_kwh, rest.voltage, rest.power_factor, rest.temperature_c, rest.latitude, rest.longitude].map(hex).join(''));
      if (row.event_type === null) nullEvents++;
    }
    expect(nullEvents).toBe([...job.expected.values()].filter((r) => r.event_type === null).length);
    expect(nullEvents).toBeGreaterThan(0);
    const first = await admin.query(`SELECT min(reading_ts_utc)::text AS t, min(reading_ts)::text AS l FROM ${quotePgIdentifier(table)}`);
    expect(first.rows).toEqual([{ t: '2026-03-08 06:00:00+00', l: '2026-03-08 00:00:00' }]);
    expect(await checkpoint('job-test-1', table)).toEqual({ sequence: String(lastSequence(job)), rows: '1920' });
  });

  it('a batch delivered twice adds nothing and leaves the checkpoint at the latest sequence', async () => {
    const table = freshTable();
    const job = testJob({ jobId: 'job-twice' });
    const sink = sinkFor(table);
    await sink.open(job.context);
    expect(await sink.committedSequence('job-twice')).toBeNull();
    const [a, b] = job.batches;
    await sink.write(a!.batch, a!.info);
    await sink.write(a!.batch, a!.info);
    await sink.write(b!.batch, b!.info);
    await sink.write(a!.batch, a!.info);
    expect(await count(table)).toBe(a!.batch.length + b!.batch.length);
    expect(await sink.committedSequence('job-twice')).toBe(b!.info.sequence);
    expect(await checkpoint('job-twice', table)).toEqual({ sequence: String(b!.info.sequence), rows: String(a!.batch.length + b!.batch.length) });
    for (const { batch, info } of job.batches.slice(2)) await sink.write(batch, info);
    for (const { batch, info } of job.batches) await sink.write(batch, info);
    const result = await sink.close();
    expect(await count(table)).toBe(1920);
    expect(sink.insertedRows).toBe(1920);
    // The sink reports what it added; the readings it was sent again are skipped, not counted twice.
    expect(result).toMatchObject({ rows: 1920, skipped: sink.acceptedRows - 1920 });
    expect(await checkpoint('job-twice', table)).toEqual({ sequence: String(lastSequence(job)), rows: '1920' });

    // A resumed job (same id, append) that sends everything again: still every reading exactly once.
    await runJob(sinkFor(table, { append: true }), testJob({ jobId: 'job-twice' }));
    expect(await count(table)).toBe(1920);
    expect(await checkpoint('job-twice', table)).toEqual({ sequence: String(lastSequence(job)), rows: '1920' });
  });

  it('refuses a table that holds rows without append, writing nothing', async () => {
    const table = freshTable();
    await runJob(sinkFor(table), testJob());
    const second = sinkFor(table);
    await expect(second.open(testJob({ jobId: 'job-2' }).context)).rejects.toMatchObject({
      code: 'FORGE_ERR_TABLE_EXISTS',
      message: expect.stringContaining(`Table "${table}" already holds 1920 rows in ${redactPgUrl(PG_TEST_URL)}`),
    });
    await expect(second.write(testJob().batches[0]!.batch, testJob().batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    expect(await count(table)).toBe(1920);
    expect(await checkpoint('job-2', table)).toBeUndefined();
  });

  it('accepts an existing empty table without append, and refuses one of another shape', async () => {
    const empty = freshTable();
    const created = sinkFor(empty);
    await created.open(testJob().context);
    await created.close();
    expect((await runJob(sinkFor(empty), testJob())).rows).toBe(1920);

    const other = freshTable();
    await admin.query(`CREATE TABLE ${quotePgIdentifier(other)} (meter_id text, reading_ts_utc text, usage_kwh real)`);
    await expect(sinkFor(other, { append: true }).open(testJob().context)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_WRITE',
      message: expect.stringMatching(/does not have the reading schema: .*reading_ts_utc is text, expected timestamp with time zone.*no column interval_minutes.*no primary key/),
    });
    expect(await count(other)).toBe(0);
  });

  it('appends a bigger fleet with append: keys held with other values are refused unless onConflict says skip or replace', async () => {
    const table = freshTable();
    await runJob(sinkFor(table), testJob());
    // The 25-meter fleet starts with the same 20 meter ids, but a bigger fleet is another scenario: their readings
    // differ (topology, events), so by default the first batch is refused and nothing of it written.
    const refused = sinkFor(table, { append: true });
    await expect(runJob(refused, testJob({ scenario: testScenario({ meters: 25 }), jobId: 'job-25' }))).rejects.toMatchObject({
      code: 'FORGE_ERR_CONFLICTING_ROWS',
      message: expect.stringMatching(/already holds [\d,]+ of these readings with different values/),
    });
    await refused.abort(new Error('refused'));
    expect(await count(table)).toBe(1920);
    expect(await checkpoint('job-25', table)).toBeUndefined();
    const bigger = sinkFor(table, { append: true, onConflict: 'skip' });
    const result = await runJob(bigger, testJob({ scenario: testScenario({ meters: 25 }), jobId: 'job-25' }));
    expect(result).toMatchObject({ rows: 480, skipped: 1920 });
    expect(bigger.insertedRows).toBe(480);
    expect(await count(table)).toBe(2400);
    expect(await checkpoint('job-25', table)).toMatchObject({ rows: '2400' });
  });

  it('creates a schema named with the table, and keeps its checkpoints there', async () => {
    const schema = `forge_test_${process.pid}`;
    schemas.push(schema);
    const sink = PostgresSink.fromTableName(`${schema}.readings`, { url: PG_TEST_URL });
    const result = await runJob(sink, testJob());
    expect(result.outputs).toEqual([`${redactPgUrl(PG_TEST_URL)}#${schema}.readings`]);
    const n = await admin.query(`SELECT (SELECT count(*) FROM ${schema}.readings) AS rows, (SELECT rows FROM ${schema}.forge_checkpoints) AS checkpoint`);
    expect(n.rows).toEqual([{ rows: '1920', checkpoint: '1920' }]);
  });

  it('retries a connection killed between writes on a new one: degraded, recovered, every reading once', async () => {
    const table = freshTable();
    const app = `forge-test-${process.pid}-kill-between`;
    const statuses: PostgresSinkStatus['state'][] = [];
    const sink = sinkFor(table, { applicationName: app, onStatus: (s) => statuses.push(s.state) });
    const job = testJob({ batchesPerDate: 4 });
    await sink.open(job.context);
    for (const [i, { batch, info }] of job.batches.entries()) {
      if (i === 1 || i === 3) {
        const killed = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`, [app]);
        expect(killed.rows).toEqual([{ ok: true }]);
      }
      await sink.write(batch, info);
      expect(sink.degraded).toBe(false);
    }
    await sink.close();
    expect(statuses).toEqual(['degraded', 'recovered', 'degraded', 'recovered']);
    expect(await count(table)).toBe(1920);
    expect(sink.insertedRows).toBe(1920);
    expect(await checkpoint('job-test-1', table)).toEqual({ sequence: String(lastSequence(job)), rows: '1920' });
  });

  it('retries a connection killed in the middle of a write, inside its transaction', async () => {
    const table = freshTable();
    const app = `forge-test-${process.pid}-kill-during`;
    const statuses: PostgresSinkStatus[] = [];
    const sink = sinkFor(table, { applicationName: app, onStatus: (s) => statuses.push(s) });
    const job = testJob();
    await sink.open(job.context);
    const [a, b] = job.batches;
    await sink.write(a!.batch, a!.info);

    // Hold the table so the next write stops inside its transaction (its COPY waits for the lock), kill it there,
    // then let go: the retry on a new connection must find the table as before and write the batch once.
    const locker = new pg.Client({ connectionString: PG_TEST_URL });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${quotePgIdentifier(table)} IN ACCESS EXCLUSIVE MODE`);
    const writing = sink.write(b!.batch, b!.info);
    // The sink's session, waiting for the lock inside its open transaction (polled: under load the session's
    // activity row can show the wait a moment before its transaction start).
    let waiting: { pid: number } | undefined;
    for (let i = 0; i < 250 && !waiting; i++) {
      const r = await admin.query(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND xact_start IS NOT NULL`,
        [app],
      );
      waiting = r.rows[0];
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(waiting).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [waiting!.pid]);
    await locker.query('COMMIT');
    await locker.end();
    await writing;
    for (const { batch, info } of job.batches.slice(2)) await sink.write(batch, info);
    await sink.close();

    expect(statuses.map((s) => s.state)).toEqual(['degraded', 'recovered']);
    expect(statuses[0]).toMatchObject({ error: expect.stringMatching(/terminating connection due to administrator command/) });
    expect(await count(table)).toBe(1920);
    expect(await checkpoint('job-test-1', table)).toEqual({ sequence: String(lastSequence(job)), rows: '1920' });
  });

  it('rides out a server that goes away and comes back, and gives up clearly when it stays away', async () => {
    const relay = await pgRelay(PG_TEST_URL);
    try {
      const table = freshTable();
      const statuses: PostgresSinkStatus['state'][] = [];
      const sink = sinkFor(table, { url: relay.url, retry: { initialDelayMs: 20, maxDelayMs: 100, maxRetryMs: 2_000 }, onStatus: (s) => statuses.push(s.state) });
      const job = testJob({ batchesPerDate: 3 });
      await sink.open(job.context);
      const [a, b, c] = job.batches;
      await sink.write(a!.batch, a!.info);
      relay.down();
      const writing = sink.write(b!.batch, b!.info);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sink.degraded).toBe(true);
      relay.up();
      await writing;
      expect(sink.degraded).toBe(false);
      await sink.write(c!.batch, c!.info);

      relay.down();
      const [d] = job.batches.slice(3);
      const failure = await sink.write(d!.batch, d!.info).then(() => null, (e: unknown) => e);
      expect(failure).toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT', message: expect.stringContaining(`could not write batch ${d!.info.sequence} within`) });
      await sink.abort(failure);
      expect(statuses).toEqual(['degraded', 'recovered', 'degraded']);
      // Everything acknowledged is there, once; the batch that failed is not.
      expect(await count(table)).toBe(a!.batch.length + b!.batch.length + c!.batch.length);
      expect(await checkpoint('job-test-1', table)).toMatchObject({ sequence: String(c!.info.sequence) });
    } finally {
      await relay.close();
    }
  });

  it('abort stops a write that is waiting for the server', async () => {
    const relay = await pgRelay(PG_TEST_URL);
    try {
      const sink = sinkFor(freshTable(), { url: relay.url, retry: { initialDelayMs: 50, maxDelayMs: 50, maxRetryMs: 60_000 } });
      const job = testJob();
      await sink.open(job.context);
      relay.down();
      const writing = sink.write(job.batches[0]!.batch, job.batches[0]!.info).then(() => null, (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sink.abort(new Error('stop'));
      expect(await writing).toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink postgres: write interrupted by abort' });
    } finally {
      await relay.close();
    }
  });

  it('fails fast, without retrying, when the table changes under the job', async () => {
    const table = freshTable();
    const statuses: PostgresSinkStatus[] = [];
    const sink = sinkFor(table, { onStatus: (s) => statuses.push(s) });
    const job = testJob();
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    await admin.query(`ALTER TABLE ${quotePgIdentifier(table)} DROP COLUMN event_type`);
    await expect(sink.write(job.batches[1]!.batch, job.batches[1]!.info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_WRITE',
      message: expect.stringContaining('column "event_type" of relation'),
    });
    await sink.abort(new Error('failed'));
    expect(statuses).toEqual([]);
    expect(await count(table)).toBe(job.batches[0]!.batch.length);
  });

  it('fails clearly when used before open or after close', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = sinkFor(freshTable());
    await expect(sink.write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink postgres: write called before open' });
    await expect(sink.committedSequence('x')).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    await runJob(sink, job);
    await expect(sink.write(batch, info)).rejects.toMatchObject({ message: 'Sink postgres: write called after close' });
    await expect(sink.open(job.context)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
  });

  it('forge generate --sink postgres writes the scenario, and refuses to write it twice', async () => {
    const table = freshTable();
    const cwd = await mkdtemp(join(tmpdir(), 'forge-pg-cli-'));
    try {
      const args = ['generate', '--sink', 'postgres', '--pg-url', PG_TEST_URL, '--pg-table', table, '--meters', '20', '--days', '1', '--json'];
      const run = runForge(args, cwd);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary).toMatchObject({ rows: 1920, expectedRows: 1920, files: [`${redactPgUrl(PG_TEST_URL)}#public.${table}`] });
      expect(await count(table)).toBe(1920);
      expect(await checkpoint(summary.jobId, table)).toMatchObject({ rows: '1920' });

      const again = runForge(args, cwd);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('[FORGE_ERR_TABLE_EXISTS]');
      const bad = runForge(['generate', '--sink', 'postgres', '--pg-url', PG_TEST_URL, '--pg-table', 'Bad-Name', '--meters', '2', '--days', '1'], cwd);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('pgTable: Invalid identifier "Bad-Name"');
      expect(await count(table)).toBe(1920);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

interface PgRelay {
  readonly url: string;
  /** The server "goes away": open connections are cut and new ones closed at once. */
  down(): void;
  /** The server is back: new connections are relayed again. */
  up(): void;
  close(): Promise<void>;
}

/** A TCP relay in front of the test server that can play a server going down and coming back (a restart). */
async function pgRelay(url: string): Promise<PgRelay> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let isDown = false;
  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as AddressInfo).port);
  return {
    url: relayed.toString(),
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        isDown = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
