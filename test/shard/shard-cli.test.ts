import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forge } from '../support/shard.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-shard-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = ['--meters', '21', '--days', '1', '--start', '2026-03-01', '--interval', '60'];

describe('forge generate --shard', () => {
  it.each(['0/0', '4/4', '-1/2', 'a/b', '1/3.5'])('refuses --shard %s with exit 2, a message naming shard, and writes nothing', (spec) => {
    const out = join(dir, `bad-${spec.replace(/\W/g, '_')}`);
    const state = join(dir, `state-${spec.replace(/\W/g, '_')}`);
    const run = forge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', out, '--state-dir', state, `--shard=${spec}`], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`shard: "${spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
    expect(existsSync(out)).toBe(false);
    expect(existsSync(state)).toBe(false);
  });

  it('refuses a bad $FORGE_SHARD the same way', () => {
    const out = join(dir, 'bad-env');
    const run = forge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', out, '--state-dir', join(dir, 'state-bad-env')], dir, { FORGE_SHARD: '2/2' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('shard: "2/2"');
    expect(existsSync(out)).toBe(false);
  });

  it('two shards (one from $FORGE_SHARD) write one Parquet directory, files named by shard; verify --job checks its shard', () => {
    const out = join(dir, 'parquet');
    const state = join(dir, 'state');
    const a = forge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', out, '--state-dir', state, '--shard', '0/2', '--json'], dir);
    const b = forge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', out, '--state-dir', state, '--json'], dir, { FORGE_SHARD: '1/2' });
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // 21 meters split 10 + 11, 24 hourly readings each.
    expect([JSON.parse(a.stdout).rows, JSON.parse(b.stdout).rows]).toEqual([10 * 24, 11 * 24]);
    const files = readdirSync(join(out, 'date=2026-03-01')).sort();
    expect(files).toEqual([`part-000000-000000-${JSON.parse(a.stdout).jobId}_shard-0-of-2.parquet`, `part-000000-000000-${JSON.parse(b.stdout).jobId}_shard-1-of-2.parquet`].sort());

    // A shard into its own DuckDB file (DuckDB is one writer per file), then verify --job reads the shard from the record.
    const db = join(dir, 'shard-1.duckdb');
    const c = forge(['generate', ...SCENARIO, '--sink', 'duckdb', '--out', db, '--state-dir', state, '--shard', '1/2', '--json'], dir);
    expect(c.code, c.stderr).toBe(0);
    const jobId = JSON.parse(c.stdout).jobId as string;
    const verified = forge(['verify', '--job', jobId, '--state-dir', state], dir);
    expect(verified.code, verified.stderr + verified.stdout).toBe(0);
    expect(verified.stdout).toContain('11 meters (shard 1/2 of a fleet of 21)');
    expect(verified.stdout).toContain('expected 264  found 264  missing 0');
    // --shard with --job is refused: the shard comes from the record.
    expect(forge(['verify', '--job', jobId, '--state-dir', state, '--shard', '0/2'], dir).code).toBe(2);
    // The whole split against one shard's file: the other shard's readings are missing.
    const whole = forge(['verify', ...SCENARIO, '--sink', 'duckdb', '--out', db], dir);
    expect(whole.code).toBe(1);
    expect(whole.stdout).toContain('missing 240');
  });

  it('forge stream --shard: each shard streams its meters; verify --job of each is clean', () => {
    const state = join(dir, 'stream-state');
    const totals: number[] = [];
    for (const i of [0, 1]) {
      const db = join(dir, `stream-${i}.duckdb`);
      const run = forge(['stream', '--meters', '21', '--shard', `${i}/2`, '--from', '2026-03-01T00:00:00Z', '--duration', '3h', '--speed', 'max',
        '--emission-pattern', 'DEGRADED_NETWORK', '--sink', 'duckdb', '--out', db, '--state-dir', state, '--json'], dir);
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout) as { jobId: string; stats: { delivered: number; duplicates: number } };
      totals.push(summary.stats.delivered - summary.stats.duplicates);
      const verified = forge(['verify', '--job', summary.jobId, '--state-dir', state], dir);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toContain(`(shard ${i}/2 of a fleet of 21)`);
    }
    // 21 meters x 12 quarter hours, split 10 + 11.
    expect(totals).toEqual([10 * 12, 11 * 12]);
  });
});
