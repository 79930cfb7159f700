import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';
import { withTempDir } from '../support/fixtures.js';

describe('forge verify --pipeline', () => {
  it('checks a stage job through the pipeline: silver holds every reading once; a lost reading fails it', async () => {
    await withTempDir(async (dir) => {
      const stream = runForge(
        ['stream', '--meters', '60', '--from', '2026-06-01T00:00:00Z', '--duration', '6h', '--speed', 'max', '--emission-pattern', 'DEGRADED_NETWORK',
          '--duplicate-rate', '0.02', '--sink', 'stage', '--stage', join(dir, 'stage'), '--state-dir', join(dir, 'jobs'), '--json'],
        dir,
      );
      expect(stream.code, stream.stderr).toBe(0);
      const { jobId, stats } = JSON.parse(stream.stdout) as { jobId: string; stats: { duplicates: number } };
      expect(stats.duplicates).toBeGreaterThan(0);
      expect(runForge(['ingest', '--stage', join(dir, 'stage'), '--out', join(dir, 'pipe.duckdb')], dir).code).toBe(0);

      // A stage job has no duckdb or postgres sink: without --pipeline there is nothing to verify.
      const nothing = runForge(['verify', '--job', jobId, '--state-dir', join(dir, 'jobs')], dir);
      expect(nothing.code).toBe(2);
      const ok = runForge(['verify', '--job', jobId, '--state-dir', join(dir, 'jobs'), '--pipeline', join(dir, 'pipe.duckdb'), '--json'], dir);
      expect(ok.code, ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout) as { ok: boolean; reports: { expected: number; found: number; duplicates: number }[] };
      expect(report.reports).toHaveLength(1);
      expect(report.reports[0]).toMatchObject({ expected: 60 * 24, found: 60 * 24, duplicates: 0 });

      const warehouse = await Warehouse.open(join(dir, 'pipe.duckdb'));
      await warehouse.run(`DELETE FROM silver_ami WHERE rowid = (SELECT min(rowid) FROM silver_ami)`);
      warehouse.close();
      const lost = runForge(['verify', '--job', jobId, '--state-dir', join(dir, 'jobs'), '--pipeline', join(dir, 'pipe.duckdb')], dir);
      expect(lost.code).toBe(1);
      expect(lost.stdout).toMatch(/missing 1\b/);
    });
  }, 120_000);
});
