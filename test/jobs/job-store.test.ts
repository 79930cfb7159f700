import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobStore, processAlive, startedRecord, updatedRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../cli/run-forge.js';
import { withTempDir } from '../warehouse/fixtures.js';

const record = (jobId: string) =>
  startedRecord({ jobId, kind: 'stream', scenario: { meters: 5 }, output: parseOutputOptions({ sink: 'postgres', pgUrl: 'postgres://forge:s3cret@db:5432/x' }), stream: null, emission: null });

describe('job records', () => {
  it('saves, loads and lists records; a running job whose process is gone reads as interrupted', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      const a = record('job-a');
      await store.save(a);
      expect(await store.load('job-a')).toEqual(a);
      expect((await stat(join(dir, 'job-a.json'))).mode & 0o777).toBe(0o600);
      const done = updatedRecord(a, { generated: 10, delivered: 10, rowsPerSecond: 5, sinks: [] }, 'completed');
      await store.save(done);
      expect(await store.load('job-a')).toMatchObject({ status: 'completed', stats: { delivered: 10 } });
      expect((await store.load('job-a')).finishedAt).not.toBeNull();
      // A record left running by a process that no longer exists (kill -9).
      await store.save({ ...record('job-b'), pid: 2 ** 22 + 12345 });
      expect(processAlive(2 ** 22 + 12345)).toBe(false);
      expect((await store.load('job-b')).status).toBe('interrupted');
      expect((await store.list()).map((r) => r.jobId).sort()).toEqual(['job-a', 'job-b']);
      expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    });
  });

  it('refuses job ids that are not plain names, and says which job is missing', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      await expect(store.load('../etc/passwd')).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
      await expect(store.save(record('a/b'))).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
      await expect(store.load('job-none')).rejects.toMatchObject({ code: 'FORGE_ERR_JOB_NOT_FOUND', message: expect.stringContaining('job-none') });
      expect(await new JobStore(join(dir, 'absent')).list()).toEqual([]);
    });
  });
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

describe('forge jobs and forge stop', () => {
  it('a batch job leaves a completed record; jobs lists it and shows it without the password', async () => {
    await withTempDir(async (dir) => {
      const run = runForge(['generate', '--meters', '3', '--days', '1', '--start', '2026-01-05', '--state-dir', join(dir, 'jobs'), '--json'], dir);
      expect(run.code, run.stderr).toBe(0);
      const { jobId } = JSON.parse(run.stdout);
      const list = runForge(['jobs', '--state-dir', join(dir, 'jobs')], dir);
      expect(list.stdout).toMatch(new RegExp(`${jobId}\\s+batch\\s+completed\\s+288`));
      const shown = JSON.parse(runForge(['jobs', 'show', jobId, '--state-dir', join(dir, 'jobs')], dir).stdout);
      expect(shown).toMatchObject({ jobId, kind: 'batch', status: 'completed', stats: { delivered: 288 } });
      expect(runForge(['jobs', 'show', 'job-nope', '--state-dir', join(dir, 'jobs')], dir)).toMatchObject({ code: 1 });
      // A job with a Postgres password: kept in the record (resume needs it), never shown.
      await new JobStore(join(dir, 'jobs')).save(record('job-pw'));
      const withSecret = runForge(['jobs', 'show', 'job-pw', '--state-dir', join(dir, 'jobs')], dir);
      expect(withSecret.stdout).toContain('postgres://forge:***@db:5432/x');
      expect(withSecret.stdout + runForge(['jobs', '--json', '--state-dir', join(dir, 'jobs')], dir).stdout).not.toContain('s3cret');
      expect(runForge(['stop', jobId, '--state-dir', join(dir, 'jobs')], dir).stderr).toMatch(/is completed, not running \[FORGE_ERR_JOB_STATE\]/);
      expect(runForge(['stream', '--resume', jobId, '--state-dir', join(dir, 'jobs')], dir).stderr).toMatch(/only stream jobs resume/);
    });
  }, 60_000);

  it('forge stop ends a running stream: flushed, recorded as stopped, with counts equal to what DuckDB holds', async () => {
    await withTempDir(async (dir) => {
      const jobs = join(dir, 'jobs');
      const child = spawn(process.execPath, ['--import', TSX, MAIN, 'stream', '--meters', '50', '--from', '2026-06-01T00:00:00Z', '--duration', '30d', '--speed', '600',
        '--state-dir', jobs, '--out', join(dir, 'forge.duckdb')], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('close', resolve));
      let jobId = '';
      for (let i = 0; i < 400 && !jobId; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const names = await readdir(jobs).catch(() => [] as string[]);
        const json = names.find((n) => n.endsWith('.json'));
        if (json) {
          const r = JSON.parse(await readFile(join(jobs, json), 'utf8').catch(() => '{}'));
          if (r.stats?.delivered > 0) jobId = r.jobId;
        }
      }
      expect(jobId).not.toBe('');
      const stop = runForge(['stop', jobId, '--state-dir', jobs], dir);
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toMatch(new RegExp(`job ${jobId} stopped`));
      expect(await exited).toBe(0);
      const final = JSON.parse(await readFile(join(jobs, `${jobId}.json`), 'utf8'));
      expect(final.status).toBe('stopped');
      const warehouse = await Warehouse.open(join(dir, 'forge.duckdb'));
      try {
        const held = await warehouse.number('SELECT count(*) FROM ami_fact');
        expect(held).toBeGreaterThan(0);
        expect(held).toBeLessThan(50 * 96 * 30);
        expect(final.stats.sinks[0].committed).toBe(held);
      } finally {
        warehouse.close();
      }
    });
  }, 60_000);
});
