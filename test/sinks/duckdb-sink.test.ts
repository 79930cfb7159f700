import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAT_COLUMNS } from '../../src/generator/reading-records.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob, testScenario, withTempDir, type TestJob } from '../support/fixtures.js';

async function runJob(sink: DuckDbSink, job: TestJob): Promise<Awaited<ReturnType<DuckDbSink['close']>>> {
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

async function inspect<T>(path: string, fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(path);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

describe('DuckDbSink', () => {
  it('round-trips every reading exactly through the ami_readings view', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'sub', 'forge.duckdb');
      const job = testJob();
      const result = await runJob(new DuckDbSink({ path }), job);
      expect(result).toEqual({ sink: 'duckdb', rows: 1920, outputs: [path] });

      await inspect(path, async (w) => {
        const columns = await w.rows(`SELECT column_name, column_type FROM (DESCRIBE ami_readings)`);
        expect(columns.map((c) => c.column_name)).toEqual([...FLAT_COLUMNS]);
        expect(Object.fromEntries(columns.map((c) => [c.column_name, c.column_type]))).toMatchObject({
          reading_ts: 'TIMESTAMP', reading_ts_utc: 'TIMESTAMP WITH TIME ZONE', interval_minutes: 'INTEGER', usage_kwh: 'DOUBLE',
          is_outage: 'BOOLEAN', data_quality: 'VARCHAR', event_type: 'VARCHAR', meter_id: 'VARCHAR', latitude: 'DOUBLE',
        });

        const rows = await w.rows(`SELECT * EXCLUDE (reading_ts, reading_ts_utc), epoch_ms(reading_ts) AS local_ms, epoch_ms(reading_ts_utc) AS utc_ms FROM ami_readings`);
        expect(rows).toHaveLength(job.rows);
        let nullEvents = 0;
        for (const row of rows) {
          const utc = new Date(Number(row.utc_ms)).toISOString().replace('.000Z', 'Z');
          const want = job.expected.get(`${String(row.meter_id)} ${utc}`);
          expect(want, `${String(row.meter_id)} ${utc}`).toBeDefined();
          const { reading_ts, reading_ts_utc: _utc, ...rest } = want!;
          expect(Number(row.local_ms)).toBe(Date.parse(`${reading_ts.replace(' ', 'T')}Z`));
          const { local_ms: _l, utc_ms: _u, ...got } = row;
          expect(got).toEqual(rest);
          if (row.event_type === null) nullEvents++;
        }
        expect(nullEvents).toBe([...job.expected.values()].filter((r) => r.event_type === null).length);
        expect(nullEvents).toBeGreaterThan(0);
        // The session renders TIMESTAMPTZ in UTC whatever the machine's zone.
        expect(await w.rows(`SELECT CAST(min(reading_ts_utc) AS VARCHAR) AS t, CAST(min(reading_ts) AS VARCHAR) AS l FROM ami_readings`))
          .toEqual([{ t: '2026-03-08 06:00:00+00', l: '2026-03-08 00:00:00' }]);
        const jobs = await w.rows(`SELECT job_id, sink, rows, status, scenario->>'$.meters' AS meters, finished_at IS NOT NULL AS finished FROM forge_jobs`);
        expect(jobs).toEqual([{ job_id: 'job-test-1', sink: 'duckdb', rows: '1920', status: 'completed', meters: '20', finished: true }]);
      });
    });
  });

  it('refuses a fact table that holds rows without append, leaving the file unchanged', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      await runJob(new DuckDbSink({ path }), testJob());
      const before = await sha256(path);
      const second = new DuckDbSink({ path });
      await expect(second.open(testJob({ jobId: 'job-2' }).context)).rejects.toMatchObject({
        code: 'FORGE_ERR_TABLE_EXISTS',
        message: expect.stringContaining('ami_fact already holds 1920 rows'),
      });
      await expect(second.write(testJob().batches[0]!.batch, testJob().batches[0]!.info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      expect(await sha256(path)).toBe(before);
      expect(await inspect(path, (w) => w.number('SELECT count(*) FROM ami_fact'))).toBe(1920);
    });
  });

  it('appends with append: existing meters keep their keys, new meters get new ones', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      await runJob(new DuckDbSink({ path }), testJob());
      const keysBefore = await inspect(path, (w) => w.rows('SELECT meter_id, meter_key FROM ami_meters ORDER BY meter_key'));
      const bigger = testJob({ scenario: testScenario({ meters: 25 }), jobId: 'job-2' });
      const result = await runJob(new DuckDbSink({ path, append: true }), bigger);
      expect(result.rows).toBe(2400);
      await inspect(path, async (w) => {
        expect(await w.number('SELECT count(*) FROM ami_readings')).toBe(1920 + 2400);
        const keysAfter = await w.rows('SELECT meter_id, meter_key FROM ami_meters ORDER BY meter_key');
        expect(keysAfter.slice(0, 20)).toEqual(keysBefore);
        expect(keysAfter.slice(20).map((r) => r.meter_key)).toEqual([21, 22, 23, 24, 25]);
        expect(await w.number(`SELECT count(*) FROM ami_readings WHERE meter_id = $1`, [String(keysBefore[0]!.meter_id)])).toBe(96 * 2);
        expect(await w.number('SELECT sum(rows) FROM forge_jobs')).toBe(4320);
      });
    });
  });

  it('adds to the job row when a job id comes back (a resumed job), so forge_jobs still sums to the fact rows', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      await runJob(new DuckDbSink({ path }), testJob({ jobId: 'job-r' }));
      await runJob(new DuckDbSink({ path, append: true }), testJob({ jobId: 'job-r' }));
      await inspect(path, async (w) => {
        expect(await w.rows('SELECT job_id, rows, status FROM forge_jobs')).toEqual([{ job_id: 'job-r', rows: '3840', status: 'completed' }]);
        expect(await w.number('SELECT count(*) FROM ami_fact')).toBe(3840);
      });
    });
  });

  it('refuses a database whose ami_fact has another schema, writing nothing', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'other.duckdb');
      const w = await Warehouse.open(path);
      await w.run('CREATE TABLE ami_fact (a INTEGER)');
      await w.run('INSERT INTO ami_fact VALUES (1)');
      w.close();
      await expect(new DuckDbSink({ path, append: true }).open(testJob().context)).rejects.toMatchObject({
        code: 'FORGE_ERR_SINK_WRITE', message: expect.stringContaining("does not have this version's schema"),
      });
      await inspect(path, async (w2) => {
        expect(await w2.rows(`SELECT table_name FROM duckdb_tables() ORDER BY 1`)).toEqual([{ table_name: 'ami_fact' }]);
      });
    });
  });

  it('fails clearly when written before open or after close', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    const sink = new DuckDbSink({ path: '/nonexistent/never-created.duckdb' });
    await expect(sink.write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink duckdb: write called before open' });
    await expect(sink.flush()).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
    await withTempDir(async (dir) => {
      const closed = new DuckDbSink({ path: join(dir, 'f.duckdb') });
      await runJob(closed, job);
      await expect(closed.write(batch, info)).rejects.toMatchObject({ message: 'Sink duckdb: write called after close' });
    });
  });

  it('abort keeps flushed rows and drops the rest, and the job row counts exactly what stayed', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      const job = testJob({ batchesPerDate: 4 });
      const sink = new DuckDbSink({ path });
      await sink.open(job.context);
      const [a, b, c] = job.batches;
      await sink.write(a!.batch, a!.info);
      await sink.flush();
      await sink.write(b!.batch, b!.info);
      await sink.write(c!.batch, c!.info);
      await sink.abort(new Error('stop'));
      await inspect(path, async (w) => {
        expect(await w.number('SELECT count(*) FROM ami_fact')).toBe(a!.batch.length);
        expect(await w.rows('SELECT rows, status FROM forge_jobs')).toEqual([{ rows: String(a!.batch.length), status: 'aborted' }]);
      });
    });
  });

  it('reports a file that is not a DuckDB database as a sink error', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'not-a-db.duckdb');
      await writeFile(path, 'hello, this is text\n'.repeat(500));
      await expect(new DuckDbSink({ path }).open(testJob().context)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE' });
    });
  });
});
