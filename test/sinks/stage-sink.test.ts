import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import S3rver from 's3rver';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAT_COLUMNS, type NestedReading } from '../../src/generator/reading-records.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { runStreamJob } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { S3StageStore } from '../../src/stage/s3-stage-store.js';
import { parseStageKey } from '../../src/stage/stage-keys.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import type { StageStore } from '../../src/stage/stage-store.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { testJob, withTempDir } from '../warehouse/fixtures.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 60, seed: 8, emissionPattern: 'DEGRADED_NETWORK' });
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const EXPECTED = 60 * 96;

async function lines(store: StageStore): Promise<{ keys: string[]; messages: NestedReading[] }> {
  const files = await store.list();
  const messages: NestedReading[] = [];
  for (const f of files) {
    const text = gunzipSync(await store.get(f.key)).toString('utf8');
    for (const line of text.trimEnd().split('\n')) messages.push(JSON.parse(line) as NestedReading);
  }
  return { keys: files.map((f) => f.key), messages };
}

describe('stage sink into a local directory', () => {
  it('lands a stream as gzip NDJSON head-end messages under time-sorted, date/hour-partitioned keys, rolling over by rows', async () => {
    await withTempDir(async (dir) => {
      const summary = await runStreamJob({
        scenario, window, speed: null, emission: resolveEmission('DEGRADED_NETWORK', { duplicateRate: 0.01 }), jobId: 'job-stage-1', maxBatchRows: 500,
        sinks: [new StageSink({ location: parseStageLocation(`file://${dir}`), rollRows: 1_000 })],
      });
      const store = new LocalStageStore(dir);
      const { keys, messages } = await lines(store);
      // Every copy the head end received, each reading at least once, files of at most 1,000 rows.
      expect(messages.length).toBe(summary.stats.delivered);
      expect(new Set(messages.map((m) => m.header.message_id)).size).toBe(EXPECTED);
      expect(keys.length).toBeGreaterThanOrEqual(Math.ceil(summary.stats.delivered / 1_000));
      for (const key of keys) {
        const parsed = parseStageKey(key);
        expect(parsed, key).not.toBeNull();
        expect(parsed!.writer).toBe('stage-1');
        expect(key.startsWith(`raw/ami/date=${new Date(parsed!.firstEmittedMs).toISOString().slice(0, 10)}/hour=${new Date(parsed!.firstEmittedMs).toISOString().slice(11, 13)}/`)).toBe(true);
      }
      // Keys sort by landing time: each file's first emission is no earlier than the previous file's.
      const firsts = keys.map((k) => parseStageKey(k)!.firstEmittedMs);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      expect(messages.every((m) => m.header.emitted_at !== undefined)).toBe(true);
      // No temporary file is left behind.
      const all = await readdir(dir, { recursive: true });
      expect(all.filter((n) => String(n).includes('partial'))).toEqual([]);
    });
  });

  it('writes flat CSV too, uncompressed when asked, and rolls over by time at flush', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      const sink = new StageSink({ location: parseStageLocation(dir), format: 'csv', gzip: false, rollMs: 1 });
      await sink.open(job.context);
      for (const { batch, info } of job.batches) {
        await sink.write(batch, info);
        await new Promise((resolve) => setTimeout(resolve, 3));
        await sink.flush();
      }
      const result = await sink.close();
      expect(result.rows).toBe(job.rows);
      const store = new LocalStageStore(dir);
      const files = await store.list();
      expect(files.length).toBe(job.batches.length);
      let rows = 0;
      for (const f of files) {
        expect(f.key).toMatch(/\.csv$/);
        const [header, ...body] = (await store.get(f.key)).toString('utf8').trimEnd().split('\n');
        expect(header).toBe(FLAT_COLUMNS.join(','));
        rows += body.length;
      }
      expect(rows).toBe(job.rows);
    });
  });

  it('refuses bad stage locations and settings before writing anything', async () => {
    for (const bad of ['s3://A_b/x', 's3://bucket/../etc', 'http://example.com/x', 's3://bucket/a//b']) {
      expect(() => parseStageLocation(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    }
    expect(() => parseOutputOptions({ sink: 'stage' })).toThrow(/needs --stage/);
    expect(() => parseOutputOptions({ sink: 'duckdb', stage: '/tmp/x' })).toThrow(/--stage applies to the stage sink only/);
    expect(() => parseOutputOptions({ sink: 'stage', stage: 's3://ab' })).toThrow(/bucket "ab" is not a valid/);
    expect(parseOutputOptions({ sink: 'stage', stage: 's3://forge-stage/raw', stageRollSeconds: '2.5' })).toMatchObject({ stageRollSeconds: 2.5, stageGzip: true, stageFormat: 'ndjson' });
    expect(() => new StageSink({ location: parseStageLocation('/tmp/x'), rollRows: 0 })).toThrow(/rollRows must be a positive integer/);
    await expect(new LocalStageStore('/tmp/x').get('../etc/passwd')).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_IDENTIFIER' });
  });
});

describe('stage sink into an S3-compatible bucket (s3rver in process)', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-s3rver-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: 'forge-stage' }));
    client.destroy();
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts each file whole under the prefix; a paged listing finds them all', async () => {
    const summary = await runStreamJob({
      scenario, window, speed: null, emission: resolveEmission('STAGGERED_REALISTIC'), jobId: 'job-s3', maxBatchRows: 200,
      sinks: [new StageSink({ location: parseStageLocation('s3://forge-stage/landing/ami'), rollRows: 150, s3: { endpoint, credentials } })],
    });
    // Pages of 7 keys: the listing follows continuation tokens to the end.
    const store = new S3StageStore('forge-stage', 'landing/ami', { endpoint, credentials, pageSize: 7 });
    const { keys, messages } = await lines(store);
    expect(keys.length).toBe(Math.ceil(EXPECTED / 150));
    expect(messages.length).toBe(summary.stats.delivered);
    expect(new Set(messages.map((m) => m.header.message_id)).size).toBe(EXPECTED);
    store.close();
  });

  it('a bucket that does not exist is refused at open', async () => {
    const sink = new StageSink({ location: parseStageLocation('s3://no-such-bucket/x'), s3: { endpoint, credentials } });
    await expect(sink.open(testJob().context)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT', message: expect.stringContaining('s3://no-such-bucket/x') });
  });
});
