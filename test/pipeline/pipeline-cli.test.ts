import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerIngestCommand } from '../../src/cli/commands/ingest-command.js';
import { registerPipelineCommand } from '../../src/cli/commands/pipeline-command.js';
import type { PipelineRun } from '../../src/pipeline/pipeline-runner.js';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import type { PipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { S3StageStore } from '../../src/stage/s3-stage-store.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { byHour, engineReadings, HOUR_MS, putStageFiles, usageSum, type EngineReading } from '../support/pipeline.js';

let readings: EngineReading[];
beforeAll(async () => {
  readings = await engineReadings();
});

/** Runs `forge <args>` with the two commands registered on a fresh program; returns what it printed on stdout. */
async function forge(...args: string[]): Promise<string> {
  const program = new Command('forge').exitOverride();
  registerIngestCommand(program);
  registerPipelineCommand(program);
  for (const c of program.commands) c.exitOverride();
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'forge', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe('forge ingest and forge pipeline status (local stage)', () => {
  let dir: string;
  let stageDir: string;
  let db: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-ingest-'));
    stageDir = join(dir, 'stage');
    db = join(dir, 'out', 'pipeline.duckdb');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests once, and the status numbers match the stage and the tables', async () => {
    const stage = new LocalStageStore(stageDir);
    const hours = byHour(readings);
    await putStageFiles(stage, hours.slice(0, 20));
    const bad = stageKey(hours[20]![0]!.tsUtcMs, 'bad', 1, 'json.gz');
    await stage.put(bad, Buffer.from('not gzip'));
    await stage.put('raw/ami/README', Buffer.from('x'));

    const run = JSON.parse(await forge('ingest', '--stage', pathToFileURL(stageDir).href, '--out', db, '--json')) as PipelineRun;
    const loadedReadings = hours.slice(0, 20).flat();
    expect(run.load.loaded).toHaveLength(20);
    expect(run.load.quarantined.map((f) => f.key)).toEqual([bad]);
    expect(run.load.skipped.map((f) => f.key)).toEqual(['raw/ami/README']);
    expect(run.silverRows).toBe(loadedReadings.length);

    const text = await forge('ingest', '--stage', stageDir, '--out', db);
    expect(text).toContain('0 loaded, 0 quarantined, 1 skipped, 21 already in the load history');

    // Four more hours land after the ingest: pending, and the lag counts from the oldest pending file's first emission.
    const late = await putStageFiles(stage, hours.slice(20), 'test', 20);
    const before = Date.now();
    const status = JSON.parse(await forge('pipeline', 'status', '--out', db, '--stage', stageDir, '--json')) as PipelineStatus;
    expect(status.files).toEqual({ landed: 25, loaded: 20, quarantined: 1, pending: late.length, skipped: 1, changed: 0 });
    expect(status.rows.bronze).toBe(loadedReadings.length);
    expect(status.rows.bronzePending).toBe(0);
    expect(status.rows.silver).toBe(loadedReadings.length);
    expect(status.rows.gold.gold_usage_hourly).toBe(20 * 20);
    expect(status.rows.gold.gold_usage_daily).toBe(await goldCount(db, 'gold_usage_daily'));
    expect(status.rows.gold.gold_transformer_hourly).toBe(await goldCount(db, 'gold_transformer_hourly'));
    const oldestPending = hours[20]![0]!.tsUtcMs + HOUR_MS;
    expect(status.lagMs).toBeGreaterThanOrEqual(before - oldestPending);
    expect(status.lagMs).toBeLessThanOrEqual(Date.now() - oldestPending);
    expect(status.lastRefresh).toMatchObject({ refreshId: 1, filesLoaded: 20, filesQuarantined: 1, silverRows: loadedReadings.length, goldHours: 20 });
    expect(status.quarantined).toEqual([{ file: bad, error: expect.stringMatching(/gzip/i) as unknown as string }]);

    await forge('ingest', '--stage', stageDir, '--out', db);
    const after = JSON.parse(await forge('pipeline', 'status', '--out', db, '--stage', stageDir, '--json')) as PipelineStatus;
    expect(after.files).toEqual({ landed: 25, loaded: 24, quarantined: 1, pending: 0, skipped: 1, changed: 0 });
    expect(after.rows.silver).toBe(readings.length);
    expect(after.rows.gold.gold_usage_hourly).toBe(20 * 24);
    expect(after.lagMs).toBe(0);
    expect(after.lastRefresh?.refreshId).toBe(2);

    const text2 = await forge('pipeline', 'status', '--out', db);
    expect(text2).toContain('- landed, 24 loaded, 1 quarantined, - pending');
    expect(text2).toContain(`silver ${readings.length.toLocaleString('en-US')}`);
  });

  it('refuses bad input before touching anything', async () => {
    await expect(forge('ingest', '--out', db)).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    await expect(forge('ingest', '--stage', 'ftp://x/y', '--out', db)).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    await expect(forge('ingest', '--stage', stageDir, '--out', db, '--lag', 'soon')).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    await expect(forge('ingest', '--stage', stageDir, '--out', db, '--s3-endpoint', 'http://x')).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    expect(existsSync(db)).toBe(false);
    await expect(forge('pipeline', 'status', '--out', db)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND' });
    expect(existsSync(db)).toBe(false);
  });
});

async function goldCount(db: string, table: string): Promise<number> {
  const w = await Warehouse.open(db, { access_mode: 'READ_ONLY' });
  try {
    return await w.number(`SELECT count(*) FROM ${table}`);
  } finally {
    w.close();
  }
}

describe('ingest from an S3-compatible stage (s3rver in process)', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-ingest-s3-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3') });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: 'forge-pipeline' }));
    client.destroy();
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads 25 files through a paged listing (pages of 7), exactly once', async () => {
    const store = new S3StageStore('forge-pipeline', 'paged', { endpoint, credentials, pageSize: 7 });
    const groups: EngineReading[][] = [];
    const per = Math.ceil(readings.length / 25);
    for (let i = 0; i < readings.length; i += per) groups.push(readings.slice(i, i + per));
    expect(groups).toHaveLength(25);
    const keys = await putStageFiles(store, groups);
    const db = join(dir, 'paged.duckdb');
    const w = await Warehouse.open(db);
    try {
      const run = await runPipelineOnce(w, store);
      expect(run.load.listed).toBe(25);
      expect(run.load.loaded.map((f) => f.key)).toEqual(keys);
      expect(run.silverRows).toBe(readings.length);
      expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(readings.length);
      expect(Math.abs((await w.number(`SELECT sum(kwh) FROM gold_usage_hourly`)) - usageSum(readings))).toBeLessThan(1e-9);
      const again = await runPipelineOnce(w, store);
      expect(again.load.loaded).toEqual([]);
      expect(again.load.alreadyInHistory).toBe(25);
    } finally {
      w.close();
      store.close();
    }
  });

  it('forge ingest --stage s3://... --s3-endpoint loads, rejects bad lines and reports a changed object (ETag) like a local stage', async () => {
    const store = new S3StageStore('forge-pipeline', 'cli/ami', { endpoint, credentials });
    const hours = byHour(readings);
    await putStageFiles(store, hours.slice(0, 3));
    const badKey = stageKey(hours[3]![0]!.tsUtcMs, 'bad', 1, 'json.gz');
    await store.put(badKey, gzipSync('{"header": 1}\n'));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    try {
      const db = join(dir, 'cli.duckdb');
      const run = JSON.parse(await forge('ingest', '--stage', 's3://forge-pipeline/cli/ami', '--s3-endpoint', endpoint, '--out', db, '--json')) as PipelineRun;
      expect(run.load.loaded).toHaveLength(4);
      expect(run.load.loaded.find((f) => f.key === badKey)).toEqual({ key: badKey, rows: 0, rejected: 1 });
      expect(run.load.quarantined).toHaveLength(0);
      expect(run.silverRows).toBe(hours.slice(0, 3).flat().length);
      const status = JSON.parse(
        await forge('pipeline', 'status', '--out', db, '--stage', 's3://forge-pipeline/cli/ami', '--s3-endpoint', endpoint, '--json'),
      ) as PipelineStatus;
      expect(status.files).toEqual({ landed: 4, loaded: 4, quarantined: 0, pending: 0, skipped: 0, changed: 0 });
      expect(status.rejects.total).toBe(1);
      expect(status.rejects.recent[0]).toMatchObject({ file: badKey, line: 1, reason: expect.stringMatching(/^meter_id: missing; /) as unknown as string });
      // The same key written again with other bytes: a new ETag (and maybe size), reported, not loaded again.
      await store.put(badKey, gzipSync('{"header": 2}\n'));
      const again = JSON.parse(await forge('ingest', '--stage', 's3://forge-pipeline/cli/ami', '--s3-endpoint', endpoint, '--out', db, '--json')) as PipelineRun;
      expect(again.load.loaded).toEqual([]);
      expect(again.load.changed).toEqual([expect.objectContaining({ key: badKey })]);
      expect(again.load.changed[0]!.etag).not.toBe(again.load.changed[0]!.loadedEtag);
      expect(again.load.changed[0]!.loadedEtag).not.toBeNull();
      await expect(forge('ingest', '--stage', 's3://no-such-bucket/x', '--s3-endpoint', endpoint, '--out', db)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT' });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      store.close();
    }
  });
});

