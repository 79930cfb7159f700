import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAT_COLUMNS, nestedReading, type FlatReading } from '../../src/generator/reading-records.js';
import { FileSink, type FileSinkOptions } from '../../src/sinks/files/file-sink.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob, withTempDir, type TestJob } from '../warehouse/fixtures.js';

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
        expect(await listing(dir)).toEqual(['date=2026-03-08/part-00000.parquet', 'date=2026-03-09/part-00000.parquet']);
        expect(result.rows).toBe(1920);
        expect(result.outputs.map((p) => relative(dir, p))).toEqual(['date=2026-03-08/part-00000.parquet', 'date=2026-03-09/part-00000.parquet']);
        const sizes = await Promise.all(result.outputs.map(async (p) => (await stat(p)).size));
        expect(result.bytes).toBe(sizes.reduce((a, b) => a + b, 0));

        const files = quoteLiteral(join(dir, 'date=2026-03-08', 'part-00000.parquet'));
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
      expect(await listing(dir)).toEqual(['date=2026-03-08/part-00000.ndjson', 'date=2026-03-09/part-00000.ndjson']);
      const lines = (await readFile(join(dir, 'date=2026-03-09', 'part-00000.ndjson'), 'utf8')).trimEnd().split('\n');
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
      const lines = (await readFile(join(dir, 'date=2026-03-08', 'part-00000.ndjson'), 'utf8')).trimEnd().split('\n');
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
      const file = quoteLiteral(join(dir, 'date=2026-03-09', 'part-00000.parquet'));
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
      const text = await readFile(join(dir, 'date=2026-03-09', 'part-00000.csv'), 'utf8');
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

  it('adds new part files with append, never overwriting', async () => {
    await withTempDir(async (dir) => {
      await runJob({ format: 'csv', dir });
      const first = await readFile(join(dir, 'date=2026-03-08', 'part-00000.csv'));
      const result = await runJob({ format: 'csv', dir, append: true }, testJob({ jobId: 'job-2' }));
      expect(result.outputs.map((p) => relative(dir, p))).toEqual(['date=2026-03-08/part-00001.csv', 'date=2026-03-09/part-00001.csv']);
      expect(await listing(dir)).toEqual([
        'date=2026-03-08/part-00000.csv', 'date=2026-03-08/part-00001.csv', 'date=2026-03-09/part-00000.csv', 'date=2026-03-09/part-00001.csv',
      ]);
      expect(await readFile(join(dir, 'date=2026-03-08', 'part-00000.csv'))).toEqual(first);
      expect(await query(`SELECT count(*) AS n FROM read_csv(${quoteLiteral(join(dir, '*', '*.csv'))})`)).toEqual([{ n: '3840' }]);
    });
  });

  it('cuts a date into several parts when it outgrows maxRowsPerFile', async () => {
    await withTempDir(async (dir) => {
      const result = await runJob({ format: 'parquet', dir, maxRowsPerFile: 500 });
      expect(result.outputs.map((p) => relative(dir, p)).sort()).toEqual([
        'date=2026-03-08/part-00000.parquet', 'date=2026-03-08/part-00001.parquet', 'date=2026-03-09/part-00000.parquet',
      ]);
      const counts = await query(`SELECT filename[length(${quoteLiteral(dir)}) + 2:] AS f, count(*) AS n FROM read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, filename = true) GROUP BY ALL ORDER BY f`);
      expect(counts).toEqual([
        { f: 'date=2026-03-08/part-00000.parquet', n: '920' }, { f: 'date=2026-03-08/part-00001.parquet', n: '920' }, { f: 'date=2026-03-09/part-00000.parquet', n: '80' },
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
