import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
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
import { isWriterOf, parseStageKey, RAW_PREFIX } from '../../src/stage/stage-keys.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import type { StageFile, StageStore } from '../../src/stage/stage-store.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { testJob, testScenario, withTempDir } from '../support/fixtures.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 60, seed: 8, emissionPattern: 'DEGRADED_NETWORK' });
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const EXPECTED = 60 * 96;

/** The readings files (raw/ami), not the transformer file the sink lands beside them. */
const readingFiles = (store: StageStore): Promise<StageFile[]> => store.list(`${RAW_PREFIX}/`);

async function lines(store: StageStore): Promise<{ keys: string[]; messages: NestedReading[] }> {
  const files = await readingFiles(store);
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
        // The writer is the job, then a random run tag; the key ends with the batch range the file holds.
        expect(parsed!.writer).toMatch(/^job-stage-1-[0-9a-z]{6}$/);
        expect(isWriterOf(parsed!.writer, 'job-stage-1')).toBe(true);
        expect(parsed!.batches!.first).toBeLessThanOrEqual(parsed!.batches!.last);
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
      const files = await readingFiles(store);
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

  it('gzips at the level asked: the same lines at every level, smaller files at higher levels; a level outside 1-9 is refused', async () => {
    const landed = async (gzipLevel: number | undefined): Promise<{ text: string; bytes: number }> =>
      withTempDir(async (dir) => {
        const job = testJob();
        const sink = new StageSink({ location: parseStageLocation(dir), ...(gzipLevel === undefined ? {} : { gzipLevel }) });
        await sink.open(job.context);
        for (const { batch, info } of job.batches) await sink.write(batch, info);
        await sink.close();
        const store = new LocalStageStore(dir);
        const files = await readingFiles(store);
        const bodies = await Promise.all(files.map((f) => store.get(f.key)));
        // Each file is the level's own deflate of its lines: compressing the lines again at that level gives the same bytes.
        for (const body of bodies) expect(gzipSync(gunzipSync(body), { level: gzipLevel ?? 6 }).equals(body)).toBe(true);
        return { text: bodies.map((b) => gunzipSync(b).toString('utf8')).join(''), bytes: bodies.reduce((n, b) => n + b.length, 0) };
      });
    const [fastest, standard, smallest] = [await landed(1), await landed(undefined), await landed(9)];
    expect(fastest.text.length).toBeGreaterThan(0);
    expect(fastest.text).toBe(standard.text);
    expect(smallest.text).toBe(standard.text);
    expect(fastest.bytes).toBeGreaterThan(standard.bytes);
    expect(standard.bytes).toBeGreaterThanOrEqual(smallest.bytes);
    for (const bad of [0, 10, 2.5]) {
      expect(() => new StageSink({ location: parseStageLocation('/tmp/x'), gzipLevel: bad }), String(bad)).toThrow(/gzipLevel/);
    }
    expect(() => parseOutputOptions({ sink: 'stage', stage: '/tmp/x', stageGzipLevel: '0' })).toThrow(/stageGzipLevel|stage-gzip-level/);
    expect(parseOutputOptions({ sink: 'stage', stage: '/tmp/x', stageGzipLevel: '1' })).toMatchObject({ stageGzipLevel: 1 });
  });

  it('refuses bad stage locations and settings before writing anything', async () => {
    for (const bad of ['s3://A_b/x', 's3://bucket/../etc', 'http://example.com/x', 's3://bucket/a//b']) {
      expect(() => parseStageLocation(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    }
    expect(() => parseOutputOptions({ sink: 'stage' })).toThrow(/needs --stage/);
    expect(() => parseOutputOptions({ sink: 'duckdb', stage: '/tmp/x' })).toThrow(/--stage applies to the stage sink only/);
    expect(() => parseOutputOptions({ sink: 'stage', stage: 's3://ab' })).toThrow(/bucket "ab" is not a valid/);
    expect(parseOutputOptions({ sink: 'stage', stage: 's3://forge-stage/raw', stageRollSeconds: '2.5' })).toMatchObject({ stageRollSeconds: 2.5 });
    // A setting's default is the sink's to apply (the stage plugin's): values equal to it pass for any sink, as old records hold them.
    expect(parseOutputOptions({ sink: 'duckdb', stageGzip: true, stageFormat: 'ndjson' })).toMatchObject({ sink: ['duckdb'] });
    expect(() => parseOutputOptions({ sink: 'duckdb', stageGzip: false })).toThrow(/stageGzip: --stage-gzip applies to the stage sink only/);
    expect(() => new StageSink({ location: parseStageLocation('/tmp/x'), rollRows: 0 })).toThrow(/rollRows must be a positive integer/);
    await expect(new LocalStageStore('/tmp/x').get('../etc/passwd')).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_IDENTIFIER' });
  });
});

describe('stage sink checkpoint and resume', () => {
  /** Every line of every stage file (gzip NDJSON), sorted: what a clean run and a resumed one must both hold. */
  async function stageLines(store: StageStore): Promise<string[]> {
    const out: string[] = [];
    for (const f of await readingFiles(store)) out.push(...gunzipSync(await store.get(f.key)).toString('utf8').trimEnd().split('\n'));
    return out.sort();
  }

  it('a killed job resumes after its last landed file and lands every reading exactly once, as a clean run does', async () => {
    await withTempDir(async (clean) => {
      await withTempDir(async (dir) => {
        const JOB = 'job-stage-resume';
        const job = testJob({ scenario: testScenario({ days: 3 }), batchesPerDate: 3, jobId: JOB });
        const reference = new StageSink({ location: parseStageLocation(clean), rollRows: 1_000 });
        await reference.open(job.context);
        for (const { batch, info } of job.batches) await reference.write(batch, info);
        await reference.close();

        // The first run lands its full files and is killed with one open (never landed) and a temporary left over.
        const killed = new StageSink({ location: parseStageLocation(dir), rollRows: 1_000 });
        await killed.open(job.context);
        const cut = Math.floor(job.batches.length / 2) + 1;
        for (const { batch, info } of job.batches.slice(0, cut)) await killed.write(batch, info);
        // Killed once the file it rolled last has landed (checkpoint waits for a landing under way).
        await killed.checkpoint(JOB);
        const store = new LocalStageStore(dir);
        const landed = (await readingFiles(store)).map((f) => parseStageKey(f.key)!);
        expect(landed.length).toBeGreaterThan(0);
        const reached = Math.max(...landed.map((k) => k.batches!.last));
        expect(reached).toBeLessThan(cut - 1);
        const ownKey = (await readingFiles(store))[0]!.key.replace(/_\d{6}_\d+-\d+\.json\.gz$/, '_000099_90-91.json.gz');
        const temporary = join(dir, `${ownKey}.k3x9q2.partial`);
        await writeFile(temporary, 'half a file');
        // Files of another shard of this job, or of another job, are not this job's progress.
        await store.put(`raw/ami/date=2026-03-08/hour=00/ami_stream_1772928000000_${JOB}-shard-0-of-2-aaaaaa_000000_0-40.json.gz`, gzipSync('{}\n'));
        await store.put(`raw/ami/date=2026-03-08/hour=00/ami_stream_1772928000000_job-other-bbbbbb_000000_0-40.json.gz`, gzipSync('{}\n'));

        const resumed = new StageSink({ location: parseStageLocation(dir), rollRows: 1_000 });
        await resumed.open({ ...job.context, resume: true });
        expect(await resumed.checkpoint(JOB)).toBe(reached);
        expect(await resumed.checkpoint('job-never-ran')).toBeNull();
        expect((await readdir(dir, { recursive: true })).filter((n) => String(n).endsWith('.partial'))).toEqual([]);
        for (const { batch, info } of job.batches) if (info.sequence > reached) await resumed.write(batch, info);
        await resumed.close();
        expect(await new StageSink({ location: parseStageLocation(dir) }).checkpoint(JOB)).toBe(job.batches.length - 1);

        for (const f of await readingFiles(store)) if (!parseStageKey(f.key)!.writer.startsWith(`${JOB}-`) || f.key.includes('shard')) await rm(join(dir, f.key));
        const lines = await stageLines(store);
        expect(lines.length).toBe(job.rows);
        expect(lines).toEqual(await stageLines(new LocalStageStore(clean)));
      });
    });
  });

  it('a batch larger than a file is split; the checkpoint counts a batch only once the file ending it has landed', async () => {
    await withTempDir(async (dir) => {
      // Batches of about 614 rows into files of at most 400: batch 0 -> 400 + 214 rows, batch 1 -> 400 + 213, ...
      const job = testJob({ batchesPerDate: 3, jobId: 'job-split' });
      for (const b of job.batches.slice(0, 2)) expect(b.batch.length > 400 && b.batch.length < 800).toBe(true);
      const sink = new StageSink({ location: parseStageLocation(dir), rollRows: 400 });
      await sink.open(job.context);
      for (const { batch, info } of job.batches.slice(0, 2)) await sink.write(batch, info);
      // A rolled file lands while the next one fills; checkpoint waits for it, then reads the stage.
      expect(await sink.checkpoint('job-split')).toBe(0);
      const store = new LocalStageStore(dir);
      const ranges = (await readingFiles(store)).map((f) => parseStageKey(f.key)!).sort((a, b) => a.sequence - b.sequence).map((k) => k.batches);
      // Landed: 400 rows of batch 0 (ends inside it), the rest of it (rolled before batch 1, which did not fit), 400 of batch 1.
      expect(ranges).toEqual([{ first: 0, last: 0, partial: true }, { first: 0, last: 0, partial: false }, { first: 1, last: 1, partial: true }]);
      await sink.close();
      expect(await sink.checkpoint('job-split')).toBe(1);
    });
  });

  it('a second file of the same key is refused, never replaced (local: link, not rename)', async () => {
    await withTempDir(async (dir) => {
      const store = new LocalStageStore(dir);
      const key = 'raw/ami/date=2026-03-08/hour=00/ami_stream_1772928000000_job-x-aaaaaa_000000_0-1.json.gz';
      await store.put(key, Buffer.from('first'));
      await expect(store.put(key, Buffer.from('second'))).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS' });
      expect((await store.get(key)).toString()).toBe('first');
      expect((await readdir(dir, { recursive: true })).filter((n) => String(n).endsWith('.partial'))).toEqual([]);
    });
  });

  it('tells a run of a job and shard from every other writer', () => {
    expect(isWriterOf('job-a-k3x9q2', 'job-a')).toBe(true);
    expect(isWriterOf('job-a-shard-1-of-2-k3x9q2', 'job-a')).toBe(false);
    expect(isWriterOf('job-a-shard-1-of-2-k3x9q2', 'job-a-shard-1-of-2')).toBe(true);
    expect(isWriterOf('job-ab-k3x9q2', 'job-a')).toBe(false);
    expect(isWriterOf('stage-1', 'stage')).toBe(false);
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
    // Files of at most 150 rows; their batch ranges follow each other (a batch of up to 200 rows split across two).
    expect(keys.length).toBeGreaterThanOrEqual(Math.ceil(EXPECTED / 150));
    const ranges = keys.map((k) => parseStageKey(k)!).sort((a, b) => a.sequence - b.sequence).map((k) => k.batches!);
    ranges.forEach((r, i) => expect(i === 0 || r.first > ranges[i - 1]!.last || (ranges[i - 1]!.partial === true && r.first === ranges[i - 1]!.last)).toBe(true));
    expect(messages.length).toBe(summary.stats.delivered);
    expect(new Set(messages.map((m) => m.header.message_id)).size).toBe(EXPECTED);
    store.close();
  });

  it('PUTs are conditional (If-None-Match: *): a 412 is refused, never an overwrite; a server without them gets plain PUTs', async () => {
    // s3rver ignores If-None-Match on PUT, so a minimal S3 endpoint plays AWS's part: 412 for a key it holds.
    const seen: { key: string; ifNoneMatch: string | undefined }[] = [];
    const held = new Set<string>();
    let implemented = true;
    const endpointServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = req.url!.split('?')[0]!;
        const ifNoneMatch = req.headers['if-none-match'] as string | undefined;
        seen.push({ key, ifNoneMatch });
        if (ifNoneMatch && !implemented) {
          res.writeHead(501, { 'content-type': 'application/xml' }).end('<Error><Code>NotImplemented</Code><Message>no</Message></Error>');
        } else if (ifNoneMatch === '*' && held.has(key)) {
          res.writeHead(412, { 'content-type': 'application/xml' }).end('<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        } else {
          held.add(key);
          res.writeHead(200, { etag: '"x"' }).end();
        }
      });
    });
    await new Promise<void>((resolve) => endpointServer.listen(0, '127.0.0.1', resolve));
    const port = (endpointServer.address() as AddressInfo).port;
    try {
      const store = new S3StageStore('forge-stage', 'p', { endpoint: `http://127.0.0.1:${port}`, credentials });
      await store.put('raw/a.json.gz', Buffer.from('first'));
      await expect(store.put('raw/a.json.gz', Buffer.from('second'))).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS', message: expect.stringContaining('nothing was replaced') });
      expect(seen.map((s) => s.ifNoneMatch)).toEqual(['*', '*']);
      store.close();
      implemented = false;
      seen.length = 0;
      const plain = new S3StageStore('forge-stage', 'p', { endpoint: `http://127.0.0.1:${port}`, credentials });
      await plain.put('raw/b.json.gz', Buffer.from('b'));
      await plain.put('raw/c.json.gz', Buffer.from('c'));
      expect(seen.map((s) => s.ifNoneMatch)).toEqual(['*', undefined, undefined]);
      plain.close();
    } finally {
      endpointServer.close();
    }
  });

  it('a bucket that does not exist is refused at open', async () => {
    const sink = new StageSink({ location: parseStageLocation('s3://no-such-bucket/x'), s3: { endpoint, credentials } });
    await expect(sink.open(testJob().context)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT', message: expect.stringContaining('s3://no-such-bucket/x') });
  });
});
