import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { expectedRows, resolveScenario } from '../../src/scenario/scenario.js';
import { FileSink, type FileFormat } from '../../src/sinks/files/file-sink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { S3StageStore } from '../../src/stage/s3-stage-store.js';
import { isWriterOf, parseStageKey } from '../../src/stage/stage-keys.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { jobTag } from '../../src/util/job-tag.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { startJob, useTestServer, waitForJob } from '../support/server-jobs.js';
import { startForge } from '../support/faults.js';

/**
 * Many writers, one destination (issue 12, case 4): any number of processes, server jobs or in-process jobs writing
 * one file-sink directory or one stage either all complete with every row on disk, or the later ones are refused
 * before they write (FORGE_ERR_OUTPUT_EXISTS); never a success with rows missing, never a temporary left behind.
 * Rows are counted per job on disk from the part names (each carries its job's tag) or the stage keys (writer).
 */

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});
async function tempRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  roots.push(root);
  return root;
}

/** Every file under dir, relative ('/'-separated), hidden ones included. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** Temporaries and claims: none may be left once every writer has ended. */
const leftovers = async (dir: string): Promise<string[]> => (await allFiles(dir)).filter((f) => /\.tmp$|\.partial$|(^|\/)\.forge-claim/.test(f));

/** The rows a job holds on disk in a file-sink directory: its parts (named by its tag) of the format, read by DuckDB. */
async function fileRowsOf(dir: string, jobId: string, format: FileFormat): Promise<number> {
  const mine = (await allFiles(dir)).filter((f) => /^date=[\d-]+\/part-\d+-\d+-/.test(f) && f.endsWith(`-${jobTag(jobId)}.${format}`));
  if (mine.length === 0) return 0;
  const list = `[${mine.map((f) => quoteLiteral(join(dir, f))).join(', ')}]`;
  const reader = format === 'parquet' ? `read_parquet(${list})` : format === 'csv' ? `read_csv(${list}, header = true)` : `read_json(${list}, format = 'newline_delimited')`;
  const w = await Warehouse.open(':memory:');
  try {
    return Number((await w.rows(`SELECT count(*) AS n FROM ${reader}`))[0]!.n);
  } finally {
    w.close();
  }
}

/** The rows a job holds in a local stage: lines of the gzip NDJSON files its runs wrote. */
async function stageRowsOf(dir: string, jobId: string): Promise<number> {
  let rows = 0;
  for (const f of await allFiles(dir)) {
    const key = parseStageKey(f);
    if (!key || !isWriterOf(key.writer, jobTag(jobId))) continue;
    rows += gunzipSync(await readFile(join(dir, f))).toString('utf8').trimEnd().split('\n').length;
  }
  return rows;
}

describe('two forge generate processes into one Parquet directory', () => {
  const scenario = ['--meters', '60', '--days', '2', '--start', '2026-03-01', '--seed', '5'];
  const rows = 60 * 96 * 2;

  for (const append of [false, true]) {
    it(`${append ? 'with --append both complete, each with every row on disk' : 'without --append one completes, the other is refused before writing'}`, async () => {
      const root = await tempRoot('forge-cw-cli-');
      const out = join(root, 'pq');
      const run = (prefix: string) =>
        startForge(['generate', ...scenario, '--id-prefix', prefix, '--sink', 'parquet', '--out', out, '--state-dir', join(root, 'state'), '--json', ...(append ? ['--append'] : [])], root).done;
      const results = await Promise.all([run('AAA'), run('BBB')]);
      const ok = results.filter((r) => r.code === 0);
      expect(ok.length, results.map((r) => r.stderr).join('\n')).toBe(append ? 2 : 1);
      for (const r of results.filter((x) => x.code !== 0)) {
        expect(r.stderr).toContain('FORGE_ERR_OUTPUT_EXISTS');
        expect(r.stderr).toContain(out);
      }
      // Counted per job on disk (by part names) and per meter-id prefix (by content): each equals what it reported.
      let onDisk = 0;
      for (const r of ok) {
        const summary = JSON.parse(r.stdout) as { jobId: string; rows: number };
        expect(summary.rows).toBe(rows);
        expect(await fileRowsOf(out, summary.jobId, 'parquet')).toBe(rows);
        onDisk += rows;
      }
      const w = await Warehouse.open(':memory:');
      try {
        const byPrefix = await w.rows(`SELECT substr(meter_id, 1, 3) AS prefix, count(*) AS n FROM read_parquet(${quoteLiteral(join(out, '*', '*.parquet'))}) GROUP BY ALL ORDER BY ALL`);
        expect(byPrefix.reduce((n, r) => n + Number(r.n), 0)).toBe(onDisk);
        for (const r of byPrefix) expect(Number(r.n)).toBe(rows);
      } finally {
        w.close();
      }
      expect(await leftovers(out)).toEqual([]);
    });
  }
});

describe('20 concurrent API jobs into the default Parquet directory', () => {
  const t = useTestServer('forge-cw-api-');
  const scenario = { meters: 10, days: 1, start: '2026-03-01', interval: 60 };
  const ROWS = 10 * 24;

  async function twenty(output: Record<string, unknown>): Promise<JobRecord[]> {
    const started = await Promise.all(Array.from({ length: 20 }, () => startJob(t.server, { kind: 'batch', scenario, output })));
    return Promise.all(started.map((r) => waitForJob(t.server, r.jobId, (x) => x.status !== 'running', 120_000)));
  }

  it('without append: one completes with every row on disk; the other 19 are refused with a clear error and wrote nothing', async () => {
    const records = await twenty({ sink: 'parquet' });
    const dir = join(t.dir, 'parquet');
    const completed = records.filter((r) => r.status === 'completed');
    expect(completed.length, JSON.stringify(records.map((r) => [r.status, r.errors]))).toBe(1);
    for (const r of records) {
      if (r.status === 'completed') {
        expect(r.stats.delivered).toBe(ROWS);
      } else {
        expect(r.status).toBe('failed');
        expect(r.errors.join(' ')).toMatch(/FORGE_ERR_OUTPUT_EXISTS|already exists/);
        expect(r.errors.join(' ')).not.toMatch(/ENOENT|rename/);
      }
      expect(await fileRowsOf(dir, r.jobId, 'parquet')).toBe(r.status === 'completed' ? ROWS : 0);
    }
    expect(await leftovers(dir)).toEqual([]);
  }, 180_000);

  it('with append: all 20 complete, each with exactly its rows on disk', async () => {
    const records = await twenty({ sink: 'parquet', append: true });
    const dir = join(t.dir, 'parquet');
    expect(records.map((r) => r.status)).toEqual(Array(20).fill('completed'));
    for (const r of records) {
      expect(r.stats.delivered).toBe(ROWS);
      expect(await fileRowsOf(dir, r.jobId, 'parquet')).toBe(ROWS);
    }
    expect(await leftovers(dir)).toEqual([]);
  }, 180_000);
});

describe('concurrent stage writers into one S3 bucket (s3rver in process)', () => {
  let server: S3rver | undefined;
  let endpoint = '';
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  beforeAll(async () => {
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: await tempRoot('forge-cw-s3-') });
    endpoint = `http://127.0.0.1:${(await server.run()).port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: 'forge-cw' }));
    client.destroy();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('six writers (two runs of one job among them) all land every row under keys that never collide', async () => {
    const jobs = ['job-s3-a', 'job-s3-b', 'job-s3-c', 'job-s3-d', 'job-s3-same', 'job-s3-same'];
    const scenario = resolveScenario({ meters: 8, days: 1, start: '2026-03-01', interval: 60, seed: 3 });
    const summaries = await Promise.all(
      jobs.map((jobId) =>
        runBatchJob({ scenario, jobId, workers: 0, unitRows: 24, sinks: [new StageSink({ location: parseStageLocation('s3://forge-cw/landing'), rollRows: 40, s3: { endpoint, credentials } })] }),
      ),
    );
    expect(summaries.map((x) => x.rows)).toEqual(Array(jobs.length).fill(8 * 24));
    const store = new S3StageStore('forge-cw', 'landing', { endpoint, credentials });
    try {
      const rows = new Map<string, number>();
      const writers = new Set<string>();
      // The readings (raw/ami); beside them each job's transformer file, once per job however many runs.
      expect((await store.list('raw/transformers/')).length).toBe(new Set(jobs).size);
      for (const f of await store.list('raw/ami/')) {
        const key = parseStageKey(f.key)!;
        writers.add(key.writer);
        const job = jobs.find((j) => isWriterOf(key.writer, jobTag(j)))!;
        rows.set(job, (rows.get(job) ?? 0) + gunzipSync(await store.get(f.key)).toString('utf8').trimEnd().split('\n').length);
      }
      expect(writers.size).toBe(jobs.length);
      expect(Object.fromEntries(rows)).toEqual({ 'job-s3-a': 192, 'job-s3-b': 192, 'job-s3-c': 192, 'job-s3-d': 192, 'job-s3-same': 2 * 192 });
    } finally {
      store.close();
    }
  });
});

describe('random concurrent writers (fast-check)', () => {
  type Kind = FileFormat | 'stage';
  interface Writer {
    readonly kind: Kind;
    readonly dir: number;
    readonly append: boolean;
    readonly meters: number;
    readonly days: number;
    readonly unitRows: number;
  }
  const writer = fc.record({
    kind: fc.constantFrom<Kind>('parquet', 'csv', 'ndjson', 'stage'),
    dir: fc.integer({ min: 0, max: 1 }),
    append: fc.boolean(),
    meters: fc.integer({ min: 2, max: 12 }),
    days: fc.integer({ min: 1, max: 3 }),
    unitRows: fc.constantFrom(24, 100, 1_000, 100_000),
  });
  const counts = { runs: 0, writers: 0, completed: 0, refused: 0 };

  it('every writer either completes with all its rows on disk or is refused before writing; nothing is left half-written', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(writer, { minLength: 2, maxLength: 5 }), async (writers) => {
        const root = await tempRoot('forge-cw-prop-');
        const tag = run++;
        const outcomes = await Promise.all(
          writers.map(async (w: Writer, i) => {
            const jobId = `job-cw-${tag}-${i}`;
            const scenario = resolveScenario({ meters: w.meters, days: w.days, start: '2026-03-01', interval: 60, seed: i + 1 });
            const dir = join(root, `d${w.dir}`);
            const sink: Sink = w.kind === 'stage' ? new StageSink({ location: parseStageLocation(dir), rollRows: 50 }) : new FileSink({ format: w.kind, dir, append: w.append });
            try {
              const summary = await runBatchJob({ scenario, sinks: [sink], workers: 0, unitRows: w.unitRows, jobId });
              return { w, jobId, dir, expected: expectedRows(scenario), rows: summary.rows, error: null as unknown };
            } catch (error) {
              return { w, jobId, dir, expected: expectedRows(scenario), rows: 0, error };
            }
          }),
        );
        for (const o of outcomes) {
          counts.writers++;
          const onDisk = o.w.kind === 'stage' ? await stageRowsOf(o.dir, o.jobId) : await fileRowsOf(o.dir, o.jobId, o.w.kind);
          if (o.error === null) {
            counts.completed++;
            expect(o.rows).toBe(o.expected);
            expect(onDisk).toBe(o.expected);
          } else {
            counts.refused++;
            // Only a file sink without append is ever refused, and only as "output exists", before writing a row.
            expect(o.w.kind !== 'stage' && !o.w.append).toBe(true);
            expect(o.error).toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS' });
            expect(onDisk).toBe(0);
          }
        }
        // Of the file-sink writers of one directory where none appends, exactly one completes.
        for (const d of [0, 1]) {
          const here = outcomes.filter((o) => o.w.dir === d && o.w.kind !== 'stage');
          if (here.length > 0 && here.every((o) => !o.w.append) && outcomes.every((o) => o.w.dir !== d || o.w.kind !== 'stage')) {
            expect(here.filter((o) => o.error === null).length).toBe(1);
          }
        }
        for (const d of [0, 1]) expect(await leftovers(join(root, `d${d}`))).toEqual([]);
        counts.runs++;
        await rm(root, { recursive: true, force: true });
      }),
      { seed: 20261206, numRuns: 25, endOnFailure: true },
    );
    // The figures docs/RELIABILITY.md reports.
    console.log(`concurrent writers: ${counts.runs} scenarios, ${counts.writers} writers, ${counts.completed} completed, ${counts.refused} refused`);
  }, 300_000);
});
