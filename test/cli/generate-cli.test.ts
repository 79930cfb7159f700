import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function count(path: string, sql = 'SELECT count(*) FROM ami_readings'): Promise<number> {
  const instance = await DuckDBInstance.create(path, path === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    connection.closeSync();
    return Number(reader.getRows()[0]?.[0]);
  } finally {
    instance.closeSync();
  }
}

describe('forge generate (quick preset) then forge validate', () => {
  it('writes 67,200 readings to DuckDB and every validation check passes', async () => {
    const run = runForge(['generate', '--preset', 'quick', '--start', '2026-10-28', '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { rows: number; expectedRows: number; status: string };
    expect(summary).toMatchObject({ rows: 67_200, expectedRows: 67_200, status: 'completed' });
    const db = join(dir, 'forge-data', 'forge.duckdb');
    expect(await count(db)).toBe(67_200);

    const validate = runForge(['validate'], dir);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('All checks passed.');
    expect(validate.stdout).not.toContain('FAIL');
    for (const check of ['row_count', 'no_null_keys', 'segment_shares', 'aligned_minutes', 'usage_ranges', 'voltage_range_a', 'outage_share']) {
      expect(validate.stdout).toMatch(new RegExp(`PASS\\s+${check}`));
    }
  });

  it('refuses to write into a table that holds rows without --append, and appends with it', async () => {
    const db = join(dir, 'append.duckdb');
    expect(runForge(['generate', '--meters', '10', '--days', '1', '--start', '2026-05-01', '--out', db], dir).code).toBe(0);
    const refused = runForge(['generate', '--meters', '10', '--days', '1', '--start', '2026-05-02', '--out', db], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--append');
    expect(await count(db)).toBe(960);
    const appended = runForge(['generate', '--meters', '10', '--days', '1', '--start', '2026-05-02', '--out', db, '--append'], dir);
    expect(appended.code).toBe(0);
    expect(await count(db)).toBe(1_920);
    expect(runForge(['validate', '--out', db], dir).code).toBe(0);
  });

  it('fails validation when readings are missing', async () => {
    const db = join(dir, 'tampered.duckdb');
    expect(runForge(['generate', '--meters', '5', '--days', '2', '--start', '2026-05-01', '--out', db], dir).code).toBe(0);
    const instance = await DuckDBInstance.create(db);
    const connection = await instance.connect();
    await connection.run('DELETE FROM ami_fact WHERE rowid % 10 = 0');
    connection.closeSync();
    instance.closeSync();
    const validate = runForge(['validate', '--out', db], dir);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/FAIL\s+row_count/);
  });

  it('writes the same readings to DuckDB and Parquet in one job (dual write)', async () => {
    const cwd = mkdtempSync(join(dir, 'dual-'));
    const run = runForge(['generate', '--meters', '20', '--days', '2', '--start', '2026-11-01', '--sink', 'duckdb,parquet'], cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await count(join(cwd, 'forge-data', 'forge.duckdb'))).toBe(20 * 2 * 96);
    const parquet = join(cwd, 'forge-data', 'parquet');
    expect(readdirSync(parquet).sort()).toEqual(['date=2026-11-01', 'date=2026-11-02']);
    expect(await count(':memory:', `SELECT count(*) FROM read_parquet('${parquet}/*/*.parquet')`)).toBe(20 * 2 * 96);
    // 2026-11-01 is the fall-back day in Texas: 25 hours of readings; the 48 hours then end at 23:00 on 2026-11-02.
    expect(await count(':memory:', `SELECT count(*) FROM read_parquet('${parquet}/date=2026-11-01/*.parquet')`)).toBe(20 * 100);
  });
});

describe('bad input gets a clear error, exit code 2, and writes nothing', () => {
  const cases: [string, string[], RegExp][] = [
    ['meters out of range', ['--meters', '0'], /meters/],
    ['too many meters', ['--meters', '1000001'], /meters/],
    ['interval', ['--interval', '10'], /interval/],
    ['unknown area', ['--area', 'ATLANTIS'], /area/],
    ['bad date', ['--start', '2026-02-30'], /start/],
    ['bad mix', ['--mix', '50/50'], /mix/],
    ['unknown sink', ['--sink', 'oracle'], /sink/],
    ['unknown flag', ['--bogus', '1'], /unknown option '--bogus'/],
  ];
  it.each(cases)('%s', (_name, args, message) => {
    const cwd = mkdtempSync(join(dir, 'bad-'));
    const run = runForge(['generate', ...args], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(join(cwd, 'forge-data'))).toBe(false);
  });

  it('rejects an unknown key in a config file, naming it', () => {
    const cwd = mkdtempSync(join(dir, 'bad-config-'));
    writeFileSync(join(cwd, 'scenario.yaml'), 'meters: 10\ndays: 1\nmetres: 12\n');
    const run = runForge(['generate', '--config', 'scenario.yaml'], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"metres"');
    expect(existsSync(join(cwd, 'forge-data'))).toBe(false);
  });

  it('accepts a YAML config file, with flags overriding it', async () => {
    const cwd = mkdtempSync(join(dir, 'config-'));
    writeFileSync(join(cwd, 'scenario.yaml'), 'meters: 10\ndays: 1\nstart: 2026-06-01\narea: CAISO\ninterval: 60\n');
    const run = runForge(['generate', '--config', 'scenario.yaml', '--meters', '3', '--json'], cwd);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 72, scenario: { meters: 3, area: 'CALIFORNIA_COASTAL', intervalMinutes: 60 } });
  });
});

describe('forge preview and forge presets', () => {
  it('previews nested head-end messages', () => {
    const run = runForge(['preview', '-n', '3', '--shape', 'nested', '--start', '2026-01-05'], dir);
    expect(run.code).toBe(0);
    const records = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { header: { source_system: string }; reading: { interval_minutes: number } });
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.header.source_system).toBe('AMI_HEAD_END');
      expect(r.reading.interval_minutes).toBe(15);
    }
  });

  it('lists presets with their exact row counts, fleet presets and areas', () => {
    const run = runForge(['presets'], dir);
    expect(run.code).toBe(0);
    for (const text of ['67,200', '8,640,000', '86,400,000', '350,400,000', 'Service Area 100K', 'PACIFIC_NORTHWEST', 'America/Chicago']) {
      expect(run.stdout).toContain(text);
    }
    // The demo presets schedule visible events; the others keep the natural rates.
    expect(run.stdout).toMatch(/quick .*67,200\s+demo/);
    expect(run.stdout).toMatch(/ml .*350,400,000\s+natural/);
  });
});
