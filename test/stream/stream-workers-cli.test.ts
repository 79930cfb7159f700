import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { runForge } from '../support/run-forge.js';

// 700 meters at 5 minutes: 201,600 readings a day, enough for a day worker by default; 30 hours span two days.
const STREAM = ['stream', '--meters', '700', '--interval', '5', '--area', 'ERCOT', '--from', '2026-06-01T03:00:00Z', '--duration', '30h', '--speed', 'max'];
const STREAM_ARGS = [...STREAM, '--emission-pattern', 'DEGRADED_NETWORK', '--duplicate-rate', '0.01', '--sink', 'duckdb'];

/** Every reading the stream delivered, with its emission time, as one digest. */
async function content(path: string): Promise<string[]> {
  const w = await Warehouse.open(path);
  try {
    const rows = await w.rows(`SELECT count(*) AS n, sum(hash(meter_key, reading_ts_utc, usage_kwh, voltage, is_outage, emitted_at)) AS h FROM ami_fact`);
    return [String(rows[0]!.n), String(rows[0]!.h)];
  } finally {
    w.close();
  }
}

describe('forge stream --workers', () => {
  it('streams the same readings at the same emission times with the days made in a worker or on the stream thread, and keeps the setting', async () => {
    await withTempDir(async (dir) => {
      const digests: string[] = [];
      for (const workers of ['0', '1']) {
        const run = runForge([...STREAM_ARGS, '--workers', workers, '--out', `duckdb=w${workers}.duckdb`, '--state-dir', join(dir, `jobs-${workers}`)], dir);
        expect(run.code, run.stderr).toBe(0);
        const [rows, digest] = await content(join(dir, `w${workers}.duckdb`));
        expect(Number(rows)).toBe(700 * 360);
        digests.push(digest!);
        const [file] = (await readdir(join(dir, `jobs-${workers}`))).filter((f) => f.endsWith('.json'));
        const record = JSON.parse(await readFile(join(dir, `jobs-${workers}`, file!), 'utf8'));
        expect(record.output.workers).toBe(Number(workers));
      }
      expect(digests[1]).toBe(digests[0]);
    });
  }, 120_000);

  it('refuses a worker count that is not a whole number from 0 to 64, starting nothing', async () => {
    await withTempDir(async (dir) => {
      for (const bad of ['-1', '65', 'two']) {
        const run = runForge([...STREAM_ARGS, '--workers', bad, '--out', 'duckdb=bad.duckdb', '--state-dir', join(dir, 'jobs')], dir);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/workers/);
        expect(run.stdout).toBe('');
      }
      expect(await readdir(dir)).toEqual([]);
    });
  }, 120_000);
});
