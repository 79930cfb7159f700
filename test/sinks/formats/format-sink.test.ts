import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExchangeFormat } from '../../../src/sinks/formats/exchange-format.js';
import { formatFiles, readFormatDir } from '../../../src/sinks/formats/format-files.js';
import { FormatSink } from '../../../src/sinks/formats/format-sink.js';
import { ForgeError } from '../../../src/util/forge-error.js';
import { testJob, withTempDir, type TestJob } from '../../support/fixtures.js';
import { linesFormat } from '../../support/lines-format.js';

async function run(format: ExchangeFormat, dir: string, job: TestJob = testJob(), options: { append?: boolean } = {}) {
  const sink = new FormatSink({ format, dir, ...options });
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** Every reading read back, keyed as testJob's `expected`, with how many copies. */
async function readBack(dir: string, format: ExchangeFormat): Promise<Map<string, { usage: number; quality: string | null; copies: number }>> {
  const found = new Map<string, { usage: number; quality: string | null; copies: number }>();
  for await (const r of readFormatDir(dir, format, { scenario: testJob().context.scenario, fleet: testJob().context.fleet })) {
    const key = `${r.meterId} ${new Date(r.startUtcMs).toISOString().replace('.000Z', 'Z')}`;
    const seen = found.get(key);
    if (seen) seen.copies++;
    else found.set(key, { usage: r.usageKwh, quality: r.quality, copies: 1 });
  }
  return found;
}

function expectExactlyOnce(found: Awaited<ReturnType<typeof readBack>>, job: TestJob): void {
  expect(found.size).toBe(job.rows);
  for (const [key, want] of job.expected) {
    const got = found.get(key);
    expect(got, key).toBeDefined();
    expect(got!.copies).toBe(1);
    expect(got!.usage).toBe(want.usage_kwh);
    expect(got!.quality).toBe(want.data_quality);
  }
}

describe('FormatSink (the exchange-format base)', () => {
  it('writes one part per local date and batch range, meter by meter in time order, and reads back every reading once', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      const result = await run(linesFormat('date'), dir, job);
      expect(await listing(dir)).toEqual(['date=2026-03-08/part-000000-000001-job-test-1.txt', 'date=2026-03-09/part-000002-000003-job-test-1.txt']);
      expect(result.rows).toBe(job.rows);
      expect(result.outputs.map((p) => relative(dir, p))).toEqual(await listing(dir));
      const lines = (await readFile(join(dir, 'date=2026-03-08/part-000000-000001-job-test-1.txt'), 'utf8')).trimEnd().split('\n').slice(1);
      const keys = lines.map((l) => l.split(','));
      for (let i = 1; i < keys.length; i++) {
        const [m0, t0] = keys[i - 1]!;
        const [m1, t1] = keys[i]!;
        expect(m0! < m1! || (m0 === m1 && Number(t0) < Number(t1))).toBe(true);
      }
      expectExactlyOnce(await readBack(dir, linesFormat('date')), job);
    });
  });

  it('writes a customer-day part as a directory of one file per meter', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      const format = linesFormat('customer-day');
      const result = await run(format, dir, job);
      const files = await listing(dir);
      expect(files).toHaveLength(40);
      expect(files[0]).toBe('date=2026-03-08/part-000000-000001-job-test-1.customers/MTR-TGC-0000001.txt');
      expect(result.outputs.map((p) => relative(dir, p))).toEqual(files);
      expect((await formatFiles(dir, format)).map((p) => relative(dir, p))).toEqual(files);
      expectExactlyOnce(await readBack(dir, format), job);
    });
  });

  for (const grouping of ['date', 'customer-day'] as const) {
    it(`is deterministic: the same job gives the same bytes whatever the batch split (${grouping})`, async () => {
      await withTempDir(async (a) => {
        await withTempDir(async (b) => {
          await run(linesFormat(grouping), a, testJob({ batchesPerDate: 2 }));
          await run(linesFormat(grouping), b, testJob({ batchesPerDate: 2 }));
          const names = await listing(a);
          expect(await listing(b)).toEqual(names);
          for (const name of names) expect(await readFile(join(b, name))).toEqual(await readFile(join(a, name)));
        });
      });
    });
  }

  it('refuses a directory holding something else, and a second job while the first holds the claim, writing nothing', async () => {
    await withTempDir(async (dir) => {
      await run(linesFormat('date'), dir, testJob({ jobId: 'job-a' }));
      const before = await listing(dir);
      await expect(run(linesFormat('date'), dir, testJob({ jobId: 'job-b' }))).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS' });
      expect(await listing(dir)).toEqual(before);
      // With append, a second job's parts go beside the first's.
      await run(linesFormat('date'), dir, testJob({ jobId: 'job-b' }), { append: true });
      expect((await listing(dir)).length).toBe(4);
    });
    await withTempDir(async (dir) => {
      const job = testJob({ jobId: 'job-a' });
      const first = new FormatSink({ format: linesFormat('date'), dir });
      await first.open(job.context);
      const second = new FormatSink({ format: linesFormat('date'), dir });
      await expect(second.open(testJob({ jobId: 'job-b' }).context)).rejects.toThrow(/claimed by job job-a/);
      await first.abort(new Error('test'));
      expect(await listing(dir)).toEqual([]);
    });
  });

  it("runs the format's check before claiming anything", async () => {
    await withTempDir(async (dir) => {
      const refuse = linesFormat('date', () => {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['the lines format takes 5-minute intervals only']);
      });
      await expect(run(refuse, join(dir, 'out'))).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
      expect(await readdir(dir)).toEqual([]);
    });
  });

  for (const grouping of ['date', 'customer-day'] as const) {
    it(`leaves whole parts or nothing when aborted, and a resume completes the job exactly once (${grouping})`, async () => {
      await withTempDir(async (dir) => {
        const format = linesFormat(grouping);
        const job = testJob({ batchesPerDate: 2 });
        const sink = new FormatSink({ format, dir });
        await sink.open(job.context);
        for (const { batch, info } of job.batches.slice(0, 3)) await sink.write(batch, info);
        await sink.abort(new Error('killed'));
        // Only the first date's part is there (batches 0-1); batch 2 was staged, never written.
        const after = await listing(dir);
        expect(after.every((f) => f.startsWith('date=2026-03-08/part-000000-000001-job-test-1.'))).toBe(true);
        expect(after.some((f) => f.includes('.tmp'))).toBe(false);

        const resumed = new FormatSink({ format, dir });
        await resumed.open({ ...job.context, resume: true });
        const checkpoint = await resumed.checkpoint('job-test-1');
        expect(checkpoint).toBe(1);
        for (const { batch, info } of job.batches) if (info.sequence > checkpoint!) await resumed.write(batch, info);
        await resumed.close();
        expectExactlyOnce(await readBack(dir, format), job);
      });
    });
  }

  it('cuts a part at maxRowsPerFile, at a batch end, and the parts chain', async () => {
    await withTempDir(async (dir) => {
      const job = testJob({ batchesPerDate: 4 });
      const sink = new FormatSink({ format: linesFormat('date'), dir, maxRowsPerFile: 400 });
      await sink.open(job.context);
      for (const { batch, info } of job.batches) await sink.write(batch, info);
      await sink.close();
      const files = await listing(dir);
      expect(files.length).toBeGreaterThan(2);
      const probe = new FormatSink({ format: linesFormat('date'), dir, append: true });
      await probe.open({ ...job.context, resume: true });
      expect(await probe.checkpoint('job-test-1')).toBe(job.batches.length - 1);
      await probe.close();
      expectExactlyOnce(await readBack(dir, linesFormat('date')), job);
    });
  });

  it('refuses write before open and after close (the sink contract)', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      const sink = new FormatSink({ format: linesFormat('date'), dir });
      await expect(sink.write(job.batches[0]!.batch, job.batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      await sink.open(job.context);
      await sink.close();
      await expect(sink.write(job.batches[0]!.batch, job.batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    });
  });
});
