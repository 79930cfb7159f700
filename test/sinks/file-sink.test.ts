import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAT_COLUMNS, nestedReading, type FlatReading } from '../../src/generator/reading-records.js';
import { FileSink, type FileSinkOptions } from '../../src/sinks/files/file-sink.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob, testScenario, withTempDir, type TestJob } from '../support/fixtures.js';

async function runJob(options: FileSinkOptions, job: TestJob = testJob()): Promise<Awaited<ReturnType<FileSink['close']>>> {
  const sink = new FileSink(options);
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const w = await Warehouse.open(':memory:');
  try {
    return await w.rows(sql);
  } finally {
    w.close();
  }
}

/** Every file under dir, relative, sorted (hidden temporaries included, so a leftover shows). */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

const utcMs = (r: FlatReading): number => Date.parse(r.reading_ts_utc);

describe('FileSink', () => {
  for (const overlap of [true, false]) {
    it(`writes one parquet file per local date with the flat schema and exact values (overlap ${overlap})`, async () => {
      await withTempDir(async (dir) => {
        const job = testJob();
        const result = await runJob({ format: 'parquet', dir, overlap }, job);
        expect(await listing(dir)).toEqual(['date=2026-03-08/part-000000-000001-job-test-1.parquet', 'date=2026-03-09/part-000002-000003-job-test-1.parquet']);
        expect(result.rows).toBe(1920);
        expect(result.outputs.map((p) => relative(dir, p))).toEqual(['date=2026-03-08/part-000000-000001-job-test-1.parquet', 'date=2026-03-09/part-000002-000003-job-test-1.parquet']);
        const sizes = await Promise.all(result.outputs.map(async (p) => (await stat(p)).size));
        expect(result.bytes).toBe(sizes.reduce((a, b) => a + b, 0));

        const files = quoteLiteral(join(dir, 'date=2026-03-08', 'part-000000-000001-job-test-1.parquet'));
        expect(await query(`SELECT count(*) AS n FROM read_parquet(${files})`)).toEqual([{ n: '1840' }]);
        const schema = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${files}, hive_partitioning = false))`);
        expect(schema.map((c) => c.column_name)).toEqual([...FLAT_COLUMNS]);
        expect(Object.fromEntries(schema.map((c) => [c.column_name, c.column_type]))).toMatchObject({
          reading_ts: 'TIMESTAMP', reading_ts_utc: 'TIMESTAMP WITH TIME ZONE', interval_minutes: 'INTEGER', event_type: 'VARCHAR', is_outage: 'BOOLEAN',
          meter_id: 'VARCHAR', customer_segment: 'VARCHAR', service_area: 'VARCHAR', data_quality: 'VARCHAR', latitude: 'DOUBLE',
        });

        const all = quoteLiteral(join(dir, '*', '*.parquet'));
        const rows = await query(`SELECT * EXCLUDE (reading_ts, reading_ts_utc, date), epoch_ms(reading_ts) AS local_ms, epoch_ms(reading_ts_utc) AS utc_ms, date FROM read_parquet(${all}, hive_partitioning = true)`);
        expect(rows).toHaveLength(1920);
        for (const row of rows) {
          const { local_ms, utc_ms, date, ...got } = row;
          const want = job.expected.get(`${String(got.meter_id)} ${new Date(Number(utc_ms)).toISOString().replace('.000Z', 'Z')}`)!;
          const { reading_ts, reading_ts_utc: _u, ...rest } = want;
          expect(got).toEqual(rest);
          expect(Number(local_ms)).toBe(Date.parse(`${reading_ts.replace(' ', 'T')}Z`));
          expect(date).toBe(reading_ts.slice(0, 10));
        }
      });
    });
  }

  it('writes flat NDJSON whose lines equal reading-records.ts records exactly', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      await runJob({ format: 'ndjson', dir }, job);
      expect(await listing(dir)).toEqual(['date=2026-03-08/part-000000-000001-job-test-1.ndjson', 'date=2026-03-09/part-000002-000003-job-test-1.ndjson']);
      const lines = (await readFile(join(dir, 'date=2026-03-09', 'part-000002-000003-job-test-1.ndjson'), 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(80);
      for (const line of lines) {
        const record = JSON.parse(line) as FlatReading;
        expect(Object.keys(record)).toEqual([...FLAT_COLUMNS]);
        expect(record).toEqual(job.expected.get(`${record.meter_id} ${record.reading_ts_utc}`));
      }
    });
  });

  it('writes nested NDJSON in the AMI head-end message shape', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      await runJob({ format: 'ndjson', dir, shape: 'nested' }, job);
      const lines = (await readFile(join(dir, 'date=2026-03-08', 'part-000000-000001-job-test-1.ndjson'), 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(1840);
      let nullEvents = 0;
      for (const line of lines) {
        const record = JSON.parse(line) as ReturnType<typeof nestedReading>;
        expect(Object.keys(record)).toEqual(['header', 'meter', 'reading', 'quality', 'metadata']);
        const flat = job.expected.get(`${record.meter.meter_id} ${record.reading.reading_ts_utc}`)!;
        expect(record).toEqual(nestedReading(flat, utcMs(flat)));
        if (record.quality.event_type === null) nullEvents++;
      }
      expect(nullEvents).toBeGreaterThan(0);
    });
  });

  it('writes nested parquet as five STRUCT columns', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      await runJob({ format: 'parquet', dir, shape: 'nested', compression: 'snappy' }, job);
      const file = quoteLiteral(join(dir, 'date=2026-03-09', 'part-000002-000003-job-test-1.parquet'));
      const schema = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${file}, hive_partitioning = false))`);
      expect(schema.map((c) => c.column_name)).toEqual(['header', 'meter', 'reading', 'quality', 'metadata']);
      expect(String(schema[2]!.column_type)).toMatch(/^STRUCT\(reading_ts TIMESTAMP, reading_ts_utc TIMESTAMP WITH TIME ZONE, interval_minutes INTEGER/);
      expect(schema[3]!.column_type).toBe('STRUCT(is_outage BOOLEAN, data_quality VARCHAR, event_type VARCHAR)');
      expect(String(schema[1]!.column_type)).toMatch(/^STRUCT\(meter_id VARCHAR, transformer_id VARCHAR, circuit_id VARCHAR, substation_id VARCHAR, service_area VARCHAR, customer_segment VARCHAR/);
      const rows = await query(`SELECT header, meter.meter_id AS id, epoch_ms(reading.reading_ts_utc) AS utc, quality FROM read_parquet(${file})`);
      expect(rows).toHaveLength(80);
      for (const row of rows) {
        const flat = job.expected.get(`${String(row.id)} ${new Date(Number(row.utc)).toISOString().replace('.000Z', 'Z')}`)!;
        const nested = nestedReading(flat, utcMs(flat));
        expect(row.header).toEqual(nested.header);
        expect(row.quality).toEqual(nested.quality);
      }
    });
  });

  it('writes CSV with a header and the text forms of reading-records.ts', async () => {
    await withTempDir(async (dir) => {
      const job = testJob();
      await runJob({ format: 'csv', dir }, job);
      const text = await readFile(join(dir, 'date=2026-03-09', 'part-000002-000003-job-test-1.csv'), 'utf8');
      const [header, ...lines] = text.trimEnd().split('\n');
      expect(header).toBe(FLAT_COLUMNS.join(','));
      expect(lines).toHaveLength(80);
      for (const line of lines) {
        const cells = line.split(',');
        const want = job.expected.get(`${cells[0]} ${cells[2]}`)!;
        expect(want).toBeDefined();
        const got = Object.fromEntries(FLAT_COLUMNS.map((c, i) => [c, cells[i]]));
        expect(got.reading_ts).toBe(want.reading_ts);
        expect(got.event_type).toBe(want.event_type ?? '');
        expect(got.is_outage).toBe(String(want.is_outage));
        for (const c of ['usage_kwh', 'voltage', 'power_factor', 'temperature_c', 'latitude', 'longitude', 'interval_minutes'] as const) {
          expect(Number(got[c]), c).toBe(want[c]);
        }
        expect([got.meter_id, got.transformer_id, got.service_area, got.customer_segment, got.data_quality, got.emission_pattern])
          .toEqual([want.meter_id, want.transformer_id, want.service_area, want.customer_segment, want.data_quality, want.emission_pattern]);
      }
      const counts = await query(`SELECT count(*) AS n FROM read_csv(${quoteLiteral(join(dir, '*', '*.csv'))}, header = true)`);
      expect(counts).toEqual([{ n: '1920' }]);
    });
  });

  it('refuses a non-empty directory without append and writes nothing', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'keep.txt'), 'mine');
      const sink = new FileSink({ format: 'parquet', dir });
      await expect(sink.open(testJob().context)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS', message: expect.stringContaining(dir) });
      const { batch, info } = testJob().batches[0]!;
      await expect(sink.write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      expect(await listing(dir)).toEqual(['keep.txt']);
      expect(await readFile(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    });
  });

  it('refuses a directory whose claim another job has created but not yet written (or left unreadable) with FORGE_ERR_OUTPUT_EXISTS', async () => {
    // Of twenty jobs racing for one directory, a loser may read the winner's claim in the instant between its
    // exclusive create and its write: that is still "claimed", not a JSON error.
    for (const body of ['', '{"jobId":', 'not json']) {
      await withTempDir(async (dir) => {
        await writeFile(join(dir, '.forge-claim'), body);
        const sink = new FileSink({ format: 'parquet', dir });
        await expect(sink.open(testJob().context), JSON.stringify(body)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS', message: expect.stringContaining('another job') });
        expect(await listing(dir)).toEqual(['.forge-claim']);
      });
    }
  });

  it('adds new part files with append, never overwriting', async () => {
    await withTempDir(async (dir) => {
      await runJob({ format: 'csv', dir });
      const first = await readFile(join(dir, 'date=2026-03-08', 'part-000000-000001-job-test-1.csv'));
      const result = await runJob({ format: 'csv', dir, append: true }, testJob({ jobId: 'job-2' }));
      expect(result.outputs.map((p) => relative(dir, p))).toEqual(['date=2026-03-08/part-000000-000001-job-2.csv', 'date=2026-03-09/part-000002-000003-job-2.csv']);
      expect(await listing(dir)).toEqual([
        'date=2026-03-08/part-000000-000001-job-2.csv', 'date=2026-03-08/part-000000-000001-job-test-1.csv',
        'date=2026-03-09/part-000002-000003-job-2.csv', 'date=2026-03-09/part-000002-000003-job-test-1.csv',
      ]);
      expect(await readFile(join(dir, 'date=2026-03-08', 'part-000000-000001-job-test-1.csv'))).toEqual(first);
      expect(await query(`SELECT count(*) AS n FROM read_csv(${quoteLiteral(join(dir, '*', '*.csv'))})`)).toEqual([{ n: '3840' }]);
    });
  });

  it('cuts a date into several parts when it outgrows maxRowsPerFile', async () => {
    await withTempDir(async (dir) => {
      const result = await runJob({ format: 'parquet', dir, maxRowsPerFile: 500 });
      expect(result.outputs.map((p) => relative(dir, p)).sort()).toEqual([
        'date=2026-03-08/part-000000-000000-job-test-1.parquet', 'date=2026-03-08/part-000001-000001-job-test-1.parquet', 'date=2026-03-09/part-000002-000003-job-test-1.parquet',
      ]);
      const counts = await query(`SELECT filename[length(${quoteLiteral(dir)}) + 2:] AS f, count(*) AS n FROM read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, filename = true) GROUP BY ALL ORDER BY f`);
      expect(counts).toEqual([
        { f: 'date=2026-03-08/part-000000-000000-job-test-1.parquet', n: '920' }, { f: 'date=2026-03-08/part-000001-000001-job-test-1.parquet', n: '920' },
        { f: 'date=2026-03-09/part-000002-000003-job-test-1.parquet', n: '80' },
      ]);
    });
  });

  it('surfaces a failed COPY as a sink error and leaves no partial or temporary file', async () => {
    await withTempDir(async (dir) => {
      // A file where the date's partition directory must go makes that date's export fail.
      await writeFile(join(dir, 'date=2026-03-08'), 'in the way');
      const job = testJob();
      const sink = new FileSink({ format: 'parquet', dir, append: true });
      await sink.open(job.context);
      let failure: unknown = null;
      try {
        for (const { batch, info } of job.batches) await sink.write(batch, info);
        await sink.close();
      } catch (e) {
        failure = e;
        await sink.abort(e);
      }
      expect(failure).toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: expect.stringContaining('Sink parquet failed') });
      // The failure stops the job at its next step: the later date is never exported, nothing is left half-written.
      expect(await listing(dir)).toEqual(['date=2026-03-08']);
    });
  });

  it('fails clearly on misuse: write before open, nested CSV, an unsafe local date, a foreign interval or pattern', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    await expect(new FileSink({ format: 'ndjson', dir: '/nonexistent/x' }).write(batch, info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_STATE', message: 'Sink ndjson: write called before open',
    });
    expect(() => new FileSink({ format: 'csv', shape: 'nested' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new FileSink({ format: 'parquet', compression: `zstd); DROP TABLE x; --` as never })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new FileSink({ format: 'xml' as never })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    await withTempDir(async (dir) => {
      const sink = new FileSink({ format: 'csv', dir });
      await sink.open(job.context);
      await expect(sink.write(batch, { ...info, localDate: '../../etc' })).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      // The files carry the job's interval and emission pattern as constants: a batch with others is refused.
      const foreign = { ...batch, emissionPattern: batch.emissionPattern.map((_, i) => (i === 7 ? 2 : batch.emissionPattern[i]!)) };
      await expect(sink.write(foreign, info)).rejects.toMatchObject({
        code: 'FORGE_ERR_SINK_STATE', message: expect.stringContaining('pattern PARTIAL_REPORTING in a 15-minute UNIFORM job'),
      });
      await expect(sink.write({ ...batch, intervalMinutes: 30 }, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      await sink.abort(new Error('test'));
      expect(await listing(dir)).toEqual([]);
    });
  });
});

describe('FileSink checkpoint and resume', () => {
  const JOB = 'job-resume-1';
  const job = (): TestJob => testJob({ scenario: testScenario({ days: 4 }), batchesPerDate: 3, jobId: JOB });

  /** Every row of a directory's parquet parts, as DuckDB reads them. */
  const rowsOf = (dir: string): string => `SELECT * FROM read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, hive_partitioning = false)`;

  // [the killed run appends, the resumed run appends]: forge generate --resume appends whatever the job first did.
  for (const [append, resumeAppend] of [[false, false], [true, true], [false, true]] as const) {
    it(`a killed job resumes from its checkpoint to exactly the rows of a clean run (append ${append}, then ${resumeAppend})`, async () => {
      await withTempDir(async (clean) => {
        await withTempDir(async (dir) => {
          const reference = job();
          await runJob({ format: 'parquet', dir: clean, overlap: false }, reference);
          const other = join(dir, 'date=2026-03-08', 'part-000000-000004-job-other.parquet');
          if (append) {
            await mkdir(join(dir, 'date=2026-03-08'), { recursive: true });
            await copyFile(join(clean, 'date=2026-03-08', (await readdir(join(clean, 'date=2026-03-08')))[0]!), other);
          }

          // The first run writes 7 batches and is never closed (a kill): the parts of its whole dates are on disk, the
          // date being staged is lost, and a temporary of the export that was running is left behind.
          const first = job();
          const killed = new FileSink({ format: 'parquet', dir, overlap: false, append });
          await killed.open(first.context);
          for (const { batch, info } of first.batches.slice(0, 7)) await killed.write(batch, info);
          const dates = [...new Set(first.batches.map((b) => b.info.localDate))];
          const expectedCheckpoint = first.batches.findLastIndex((b, i) => i < 7 && b.info.lastOfDate);
          expect(expectedCheckpoint).toBeGreaterThan(0);
          const staged = first.batches[expectedCheckpoint + 1]!.info.localDate;
          await mkdir(join(dir, `date=${staged}`), { recursive: true });
          const temporary = join(dir, `date=${staged}`, `.part-${String(expectedCheckpoint + 1).padStart(6, '0')}-000009-${JOB}.parquet.k3x9q2.tmp`);
          await writeFile(temporary, 'half a file');
          // A part of this job beyond a gap (not reached by the chain from batch 0) is not part of its checkpoint.
          const beyond = join(dir, `date=${dates.at(-1)!}`, `part-000100-000101-${JOB}.parquet`);
          await mkdir(join(dir, `date=${dates.at(-1)!}`), { recursive: true });
          await writeFile(beyond, 'a stray part');

          if (!append) {
            // Another job without append is refused while the killed job's claim is there, naming that job.
            await expect(new FileSink({ format: 'parquet', dir }).open(testJob({ jobId: 'job-intruder' }).context)).rejects.toMatchObject({
              code: 'FORGE_ERR_OUTPUT_EXISTS', message: expect.stringContaining(JOB),
            });
          }

          const second = job();
          const resumed = new FileSink({ format: 'parquet', dir, append: resumeAppend });
          await resumed.open({ ...second.context, resume: true });
          expect(await resumed.checkpoint(JOB)).toBe(expectedCheckpoint);
          expect(await resumed.checkpoint('job-never-ran')).toBeNull();
          const files = await listing(dir);
          expect(files.filter((f) => f.endsWith('.tmp') || f.includes('part-000100'))).toEqual([]);
          if (append) expect(files).toContain(relative(dir, other));
          for (const { batch, info } of second.batches) if (info.sequence > expectedCheckpoint) await resumed.write(batch, info);
          const result = await resumed.close();
          expect(result.rows).toBe(second.batches.filter((b) => b.info.sequence > expectedCheckpoint).reduce((n, b) => n + b.batch.length, 0));
          expect(await new FileSink({ format: 'parquet', dir }).checkpoint(JOB)).toBe(second.batches.length - 1);

          // Exactly the clean run's rows, no more, no fewer, every column equal; nothing else left behind (not the
          // killed run's claim either: the resumed run took it over and removed it at close).
          const mine = `SELECT * FROM read_parquet(${quoteLiteral(join(dir, '*', `*-${JOB}.parquet`))}, hive_partitioning = false)`;
          expect(await query(`SELECT count(*) AS n FROM (${mine})`)).toEqual([{ n: String(reference.rows) }]);
          expect(await query(`SELECT count(*) AS n FROM ((${mine}) EXCEPT ALL (${rowsOf(clean)}))`)).toEqual([{ n: '0' }]);
          expect(await query(`SELECT count(*) AS n FROM ((${rowsOf(clean)}) EXCEPT ALL (${mine}))`)).toEqual([{ n: '0' }]);
          expect((await listing(dir)).filter((f) => !/^date=[\d-]+\/part-\d{6}-\d{6}-job-[a-z0-9-]+\.parquet$/.test(f))).toEqual([]);
        });
      });
    });
  }

  it('publishes a part only whole and never over another: a second run of the same job fails instead of replacing', async () => {
    await withTempDir(async (dir) => {
      const once = testJob({ jobId: 'job-twice' });
      await runJob({ format: 'csv', dir, append: true }, once);
      const before = await readFile(join(dir, 'date=2026-03-08', 'part-000000-000001-job-twice.csv'));
      const again = new FileSink({ format: 'csv', dir, append: true });
      await again.open(once.context);
      let failure: unknown = null;
      try {
        for (const { batch, info } of once.batches) await again.write(batch, info);
        await again.close();
      } catch (e) {
        failure = e;
        await again.abort(e);
      }
      expect(failure).toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: expect.stringContaining('nothing was replaced') });
      expect(await readFile(join(dir, 'date=2026-03-08', 'part-000000-000001-job-twice.csv'))).toEqual(before);
      expect((await listing(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });
});
