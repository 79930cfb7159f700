import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runStreamJob } from '../../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../../src/scenario/scenario.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { SnowflakeStageSink, STAGE_COLUMNS, type SnowflakeStageSinkOptions } from '../../../src/sinks/snowflake/snowflake-stage-sink.js';
import { resolveEmission } from '../../../src/stream/emission-settings.js';
import { isForgeError } from '../../../src/util/forge-error.js';
import { testJob } from '../../support/fixtures.js';
import { FakeSnowflakeStage, type Cell, type FakeStageStore } from '../../support/snowflake/fake-snowflake-stage.js';
import { startStageStore, STAGE_S3_CREDS as S3_CREDS, type LocalStageStore } from '../../support/snowflake/fake-stage-store.js';

// No network: the driver's cloud-platform probes and connection-shape telemetry are off (see the insert sink's test).
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

const PASSWORD = 'pa55-w0rd-very-secret';
const ACCOUNT = 'myorg-myaccount';
const USER = 'forge_loader';
const TABLE = 'FORGE.AMI.AMI_READINGS';
const STAGE = 'FORGE.AMI.AMI_INTERNAL_STAGE';

// The S3-compatible server PUT answers point the driver at (fake-stage-store.ts: TLS, and why its checks are off here).
let stageStore: LocalStageStore;
let store: FakeStageStore;

beforeAll(async () => {
  const sdk = (await import('snowflake-sdk')).default;
  sdk.configure({ disableOCSPChecks: true });
  stageStore = await startStageStore();
  store = stageStore.store;
});

afterAll(async () => {
  await stageStore?.close();
});

const fakes: FakeSnowflakeStage[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(): Promise<FakeSnowflakeStage> {
  const f = await FakeSnowflakeStage.start({ account: ACCOUNT, user: USER, auth: { kind: 'password', password: PASSWORD } });
  f.store = store;
  fakes.push(f);
  return f;
}

function sinkFor(f: FakeSnowflakeStage, overrides: Partial<SnowflakeStageSinkOptions> = {}): SnowflakeStageSink {
  return new SnowflakeStageSink({
    account: ACCOUNT, user: USER, database: 'forge', schema: 'ami', warehouse: 'forge_wh',
    auth: { kind: 'password', password: PASSWORD }, accessUrl: f.url, ...overrides,
  });
}

/** The object the driver uploaded for a stage-relative path, gunzipped and parsed as NDJSON. */
async function stagedRecords(f: FakeSnowflakeStage, path: string): Promise<Record<string, unknown>[]> {
  const raw = await store.getObject(`${f.stagePrefix(STAGE)}${path}`);
  expect(raw, `object for ${path}`).not.toBeNull();
  expect(raw![0]).toBe(0x1f); // gzip magic: uploaded as written, AUTO_COMPRESS=FALSE
  return gunzipSync(raw!).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function asFlat(row: Record<string, Cell>): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const [k, v] of Object.entries(row)) if (k !== 'EMITTED_AT') out[k.toLowerCase()] = v;
  return out;
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

const kindsOf = (f: FakeSnowflakeStage): string[] =>
  f.statements.map((s) => s.sqlText.split(' ', 1)[0]!).filter((k) => ['PUT', 'BEGIN', 'COPY', 'MERGE', 'COMMIT', 'ROLLBACK'].includes(k));

describe('SnowflakeStageSink', () => {
  it('PUTs each batch as a gzipped NDJSON file to @stage/<job>/ through the driver, the object holding exactly the batch', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-put' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    const { batch, info } = job.batches[0]!;
    await sink.write(batch, info);
    const puts = f.sql('PUT');
    expect(puts).toHaveLength(1);
    const file = 'job-put-000000000000.json.gz';
    expect(puts[0]!.sqlText).toMatch(new RegExp(`^PUT file://\\S+/${file.replace(/\./g, '\\.')} @"FORGE"\\."AMI"\\."AMI_INTERNAL_STAGE"/job-put/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE$`));
    // The driver answered the PUT by uploading to the stageInfo the fake returned (s3rver), under the stage's prefix.
    expect(f.putResponses[0]!.stageInfo).toMatchObject({ locationType: 'S3', endPoint: store.endPoint });
    const records = await stagedRecords(f, `job-put/${file}`);
    expect(records).toHaveLength(batch.length);
    expect(Object.keys(records[0]!)).toEqual([...STAGE_COLUMNS]);
    const expected = [...job.expected.values()].slice(0, batch.length);
    expect(records.map((r) => { const { EMITTED_AT: emitted, ...rest } = r; expect(emitted).toBeNull(); return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k.toLowerCase(), v])); })).toEqual(expected);
    // The temporary file is gone once the batch is written.
    const tmp = String(puts[0]!.sqlText.split(' ')[1]).slice('file://'.length);
    await expect(readdir(join(tmp, '..'))).resolves.toEqual([]);
    await sink.close('completed');
    expect(f.violations).toEqual([]);
  });

  it('COPY INTO names the table, the staged file and the JSON file format; COPY, MERGE, COMMIT per batch after its PUT', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-copy' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    for (const { batch, info } of job.batches) await sink.write(batch, info);
    const result = await sink.close('completed');
    const copies = f.sql('COPY');
    expect(copies).toHaveLength(job.batches.length);
    expect(copies[1]!.sqlText).toBe(
      'COPY INTO "FORGE"."AMI"."AMI_READINGS" FROM @"FORGE"."AMI"."AMI_INTERNAL_STAGE"/job-copy/job-copy-000000000001.json.gz FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE',
    );
    expect(kindsOf(f)).toEqual(job.batches.flatMap(() => ['PUT', 'BEGIN', 'COPY', 'MERGE', 'COMMIT']));
    const table = f.tables.get(TABLE)!;
    expect(table).toHaveLength(job.rows);
    const byKey = new Map(table.map((r) => [`${String(r.METER_ID)} ${String(r.READING_TS_UTC)}`, asFlat(r)]));
    expect(byKey.size).toBe(job.rows);
    for (const r of job.expected.values()) {
      expect(byKey.get(`${r.meter_id} ${new Date(r.reading_ts_utc).toISOString()}`)).toEqual({ ...r, reading_ts_utc: new Date(r.reading_ts_utc).toISOString() });
    }
    expect(f.checkpoints.get(`job-copy|${TABLE}`)).toMatchObject({ sequence: job.batches.at(-1)!.info.sequence, rows: job.rows });
    expect(result).toMatchObject({ sink: 'snowflake-stage', rows: job.rows, files: job.batches.length, checkpoint: job.batches.at(-1)!.info.sequence });
    expect(f.violations).toEqual([]);
    expect(f.openSessions).toBe(0);
  });

  it('splits a batch over fileRows into several files, all loaded in the batch\'s one transaction', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-split' });
    const { batch, info } = job.batches[0]!;
    const fileRows = Math.ceil(batch.length / 3);
    const sink = sinkFor(f, { fileRows });
    await sink.open(job.context);
    await sink.write(batch, info);
    await sink.close();
    expect(kindsOf(f)).toEqual(['PUT', 'PUT', 'PUT', 'BEGIN', 'COPY', 'COPY', 'COPY', 'MERGE', 'COMMIT']);
    expect(f.tables.get(TABLE)).toHaveLength(batch.length);
    expect((await stagedRecords(f, 'job-split/job-split-000000000000-2.json.gz')).length).toBe(batch.length - 2 * fileRows);
  });

  it('a resumed sink skips the batches its checkpoint holds', async () => {
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
    const putsBefore = f.sql('PUT').length;
    for (const { batch, info } of job.batches) await second.write(batch, info);
    const result = await second.close('completed');
    expect(result.skippedBatches).toBe(2);
    expect(f.sql('PUT').length - putsBefore).toBe(job.batches.length - 2);
    expect(f.tables.get(TABLE)).toHaveLength(job.rows);
    expect(f.violations).toEqual([]);
  });

  it('a failing COPY gives FORGE_ERR_SINK_WRITE, rolls back, and keeps the batch and its checkpoint out', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-fail' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
    f.faults.push({ match: /^COPY/, code: '100069', message: 'Error parsing JSON: incomplete object value', sqlState: '22000', times: 1 });
    const e = await expectForgeError(sink.write(job.batches[1]!.batch, job.batches[1]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain('100069');
    expect(e.message).toContain('"FORGE"."AMI"."AMI_READINGS"');
    expect(e.message).not.toContain(PASSWORD);
    expect(kindsOf(f).slice(-4)).toEqual(['PUT', 'BEGIN', 'COPY', 'ROLLBACK']);
    expect(f.tables.get(TABLE)).toHaveLength(job.batches[0]!.batch.length);
    expect(f.checkpoints.get(`job-fail|${TABLE}`)!.sequence).toBe(job.batches[0]!.info.sequence);
    await expectForgeError(sink.write(job.batches[2]!.batch, job.batches[2]!.info), 'FORGE_ERR_SINK_STATE');
    await sink.abort(e);
    expect(f.openSessions).toBe(0);
  });

  it('a file already in the table\'s load history (COPY loads 0 rows) fails the batch instead of counting it', async () => {
    const f = await fake();
    const job = testJob({ jobId: 'job-again' });
    const first = sinkFor(f);
    await first.open(job.context);
    await first.write(job.batches[0]!.batch, job.batches[0]!.info);
    await first.close();
    f.checkpoints.clear(); // as if the job id were reused without resume
    const second = sinkFor(f);
    await second.open(job.context);
    const e = await expectForgeError(second.write(job.batches[0]!.batch, job.batches[0]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain(`loaded 0 rows of ${job.batches[0]!.batch.length}`);
    expect(f.tables.get(TABLE)).toHaveLength(job.batches[0]!.batch.length);
    await second.abort(e);
  });

  it('a failed upload (no such bucket) gives FORGE_ERR_SINK_WRITE without the stage credentials or the password', async () => {
    const f = await fake();
    f.store = { ...store, bucket: 'no-such-bucket' };
    const job = testJob({ jobId: 'job-nobucket' });
    const sink = sinkFor(f);
    await sink.open(job.context);
    const e = await expectForgeError(sink.write(job.batches[0]!.batch, job.batches[0]!.info), 'FORGE_ERR_SINK_WRITE');
    expect(e.message).toContain('PUT');
    expect(e.message).not.toContain(S3_CREDS.AWS_TOKEN);
    expect(e.message).not.toContain(PASSWORD);
    expect(f.sql('COPY')).toHaveLength(0);
    await sink.abort(e);
  });

  it('rejects bad options with FORGE_ERR_INVALID_CONFIG', () => {
    const base: SnowflakeStageSinkOptions = { account: ACCOUNT, user: USER, database: 'FORGE', schema: 'AMI', auth: { kind: 'password', password: PASSWORD } };
    for (const o of [{ stage: 'a.b' }, { stage: '@x' }, { table: 'x-y' }, { fileRows: 0 }, { fileRows: 1.5 }, { tmpDir: '/tmp/a b' }, { auth: { kind: 'password', password: '' } }] as Partial<SnowflakeStageSinkOptions>[]) {
      expect(() => new SnowflakeStageSink({ ...base, ...o }), JSON.stringify(o)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    }
    const sink = new SnowflakeStageSink(base);
    expect(sink.stageName).toBe('"FORGE"."AMI"."AMI_INTERNAL_STAGE"');
    expect(sink.target).toBe('"FORGE"."AMI"."AMI_READINGS"');
  });
});

describe('a stream job into the stage sink', () => {
  it('stopped and resumed, loads every reading exactly once', async () => {
    const f = await fake();
    const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 40, seed: 5, emissionPattern: 'UNIFORM' });
    const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
    const expected = 40 * 96;
    const controller = new AbortController();
    const sink = sinkFor(f);
    let writes = 0;
    const stopping: Sink = {
      name: sink.name,
      open: (c) => sink.open(c),
      write: async (b, i) => {
        await sink.write(b, i);
        if (++writes === 5) controller.abort();
      },
      flush: () => sink.flush(),
      close: (o) => sink.close(o),
      abort: (r) => sink.abort(r),
      checkpoint: (j) => sink.checkpoint(j),
    };
    const first = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sfs', maxBatchRows: 300, sinks: [stopping], signal: controller.signal,
    });
    expect(first.status).toBe('stopped');
    const table = f.tables.get(TABLE)!;
    expect(table.length).toBe(first.stats.delivered);
    expect(table.length).toBeLessThan(expected);
    const second = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('UNIFORM'), jobId: 'job-stream-sfs', maxBatchRows: 300, sinks: [sinkFor(f)], resume: true,
    });
    expect(second.status).toBe('completed');
    expect(f.violations).toEqual([]);
    expect(table.length).toBe(expected);
    expect(new Set(table.map((r) => `${String(r.METER_ID)} ${String(r.READING_TS_UTC)}`)).size).toBe(expected);
    expect(table.every((r) => typeof r.EMITTED_AT === 'string' && Date.parse(r.EMITTED_AT) >= Date.parse(String(r.READING_TS_UTC)))).toBe(true);
    expect(f.checkpoints.get(`job-stream-sfs|${TABLE}`)!.rows).toBe(expected);
    expect(f.openSessions).toBe(0);
  });
});
