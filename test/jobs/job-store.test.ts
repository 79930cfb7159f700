import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JobOwner } from '../../src/jobs/job-owner.js';
import { resumedRecord } from '../../src/jobs/job-plan.js';
import { HEARTBEAT_STALE_MS, JobStore, processAlive, startedRecord, updatedRecord, type JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { ForgeError } from '../../src/util/forge-error.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';
import { withTempDir } from '../support/fixtures.js';

const record = (jobId: string) =>
  startedRecord({ jobId, kind: 'stream', scenario: { meters: 5 }, output: parseOutputOptions({ sink: 'postgres', pgUrl: 'postgres://forge:s3cret@db:5432/x' }), stream: null, emission: null });

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

/** A record file as another process (alive or long dead) wrote it, bypassing this process's ownership. */
async function writeRecordFile(dir: string, r: JobRecord): Promise<void> {
  await writeFile(join(dir, `${r.jobId}.json`), JSON.stringify(r));
}

/** The heartbeat file an owner writes beside its running job's record. */
async function writeHeartbeat(dir: string, jobId: string, owner: JobOwner, at: string): Promise<void> {
  await writeFile(join(dir, `${jobId}.heartbeat`), JSON.stringify({ owner, at }));
}

describe('job records', () => {
  it('saves, loads and lists records; a running job whose process is gone reads as interrupted', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      const a = record('job-a');
      await store.save(a);
      expect(await store.load('job-a')).toEqual({ ...a, owner: { instance: expect.any(String), pid: process.pid, host: hostname(), role: 'cli' } });
      expect((await stat(join(dir, 'job-a.json'))).mode & 0o777).toBe(0o600);
      const done = updatedRecord(a, { generated: 10, delivered: 10, rowsPerSecond: 5, sinks: [] }, 'completed');
      await store.save(done);
      expect(await store.load('job-a')).toMatchObject({ status: 'completed', stats: { delivered: 10 } });
      expect((await store.load('job-a')).finishedAt).not.toBeNull();
      // A record left running by a process that no longer exists (kill -9): written by it, never beaten since.
      await writeRecordFile(dir, { ...record('job-b'), pid: 2 ** 22 + 12345, updatedAt: ago(60_000) });
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

describe('job liveness: the owner heartbeat, never the pid (issue 12 case 9)', () => {
  const stream = (jobId: string, pid: number, updatedAt: string): JobRecord => ({
    ...startedRecord({ jobId, kind: 'stream', scenario: { meters: 5, start: '2026-01-05' }, output: parseOutputOptions({ sink: 'duckdb' }), stream: { fromUtc: '2026-01-05T00:00:00.000Z', toUtc: null, speed: 60 }, emission: {} }),
    pid,
    createdAt: updatedAt,
    updatedAt,
  });
  const deadServer: JobOwner = { instance: 'aaaaaaaaaaaaaaaa', pid: 1, host: hostname(), role: 'server' };

  it('a running record of PID 1 (a container restarted) with a stale heartbeat is interrupted and resumable', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      // PID 1 exists in every container (and here: init), which is what kept such jobs "running" for ever.
      expect(processAlive(1)).toBe(true);
      await writeRecordFile(dir, { ...stream('job-pid1', 1, ago(30_000)), owner: deadServer });
      await writeHeartbeat(dir, 'job-pid1', deadServer, ago(30_000));
      const loaded = await store.load('job-pid1');
      expect(loaded.status).toBe('interrupted');
      expect((await store.list())[0]).toMatchObject({ jobId: 'job-pid1', status: 'interrupted' });
      const resumed = resumedRecord(loaded, 'forge stop job-pid1');
      expect(resumed.status).toBe('running');
      // Resuming makes this process the owner: running again, beating.
      await store.save(resumed);
      expect((await store.load('job-pid1')).status).toBe('running');
      const beat = await pollFor(() => store.heartbeat('job-pid1'), (b) => b?.owner.pid === process.pid);
      expect(beat?.owner).toMatchObject({ pid: process.pid, role: 'cli' });
      await store.save(updatedRecord(resumed, resumed.stats, 'stopped'));
      expect(await store.heartbeat('job-pid1')).toBeNull();
    });
  });

  it('a reused pid (a live, unrelated process) does not keep a job running; an old record without owner neither', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      // This test's own pid stands for "some process that got the pid": alive, but not beating for the job.
      await writeRecordFile(dir, stream('job-reused', process.pid, ago(15_000)));
      expect((await store.load('job-reused')).status).toBe('interrupted');
      await writeHeartbeat(dir, 'job-reused', { ...deadServer, pid: process.pid, role: 'cli' }, ago(11_000));
      expect((await store.load('job-reused')).status).toBe('interrupted');
    });
  });

  it('a job with a fresh heartbeat is running even when its pid looks dead (another pid namespace, another host)', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      const pid = 2 ** 22 + 4321;
      expect(processAlive(pid)).toBe(false);
      await writeRecordFile(dir, { ...stream('job-alive', pid, ago(60_000)), owner: { ...deadServer, pid } });
      await writeHeartbeat(dir, 'job-alive', { ...deadServer, pid }, ago(500));
      expect((await store.load('job-alive')).status).toBe('running');
      expect(() => resumedRecord({ ...stream('job-alive', pid, ago(0)), status: 'running' }, 'x')).toThrow(ForgeError);
      // Its owner stops beating: interrupted once the heartbeat is HEARTBEAT_STALE_MS old.
      await writeHeartbeat(dir, 'job-alive', { ...deadServer, pid }, ago(HEARTBEAT_STALE_MS + 1));
      expect((await store.load('job-alive')).status).toBe('interrupted');
    });
  });

  it('the owner refreshes its heartbeat while the job runs and removes it at the end', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      const r = stream('job-beat', process.pid, ago(0));
      await store.save(r);
      const first = await pollFor(() => store.heartbeat('job-beat'), (b) => b !== null);
      const later = await pollFor(() => store.heartbeat('job-beat'), (b) => b !== null && b.at > first!.at);
      expect(later!.owner.instance).toBe(first!.owner.instance);
      await store.save(updatedRecord(r, r.stats, 'completed'));
      expect(await store.heartbeat('job-beat')).toBeNull();
      expect((await readdir(dir)).sort()).toEqual(['job-beat.json']);
    });
  });
});

describe('forge stop and the job owner', () => {
  it('refuses a job owned by forge serve (pointing at the API) or by another host, and a state directory that is a file', async () => {
    await withTempDir(async (dir) => {
      const at = new Date().toISOString();
      const base = startedRecord({ jobId: 'job-x', kind: 'stream', scenario: { meters: 5 }, output: parseOutputOptions({ sink: 'duckdb' }), stream: null, emission: null });
      const server: JobOwner = { instance: 'bbbbbbbbbbbbbbbb', pid: 1, host: hostname(), role: 'server' };
      await writeRecordFile(dir, { ...base, jobId: 'job-served', pid: 1, owner: server });
      await writeHeartbeat(dir, 'job-served', server, at);
      const remote: JobOwner = { ...server, host: 'elsewhere.example', role: 'cli' };
      await writeRecordFile(dir, { ...base, jobId: 'job-remote', owner: remote });
      await writeHeartbeat(dir, 'job-remote', remote, at);
      const served = runForge(['stop', 'job-served', '--state-dir', dir], dir);
      expect(served.code).toBe(1);
      expect(served.stderr).toMatch(/runs in forge serve \(process 1 on .*\); stop it with POST \/api\/jobs\/job-served\/stop \[FORGE_ERR_JOB_STATE\]/);
      const far = runForge(['stop', 'job-remote', '--state-dir', dir], dir);
      expect(far.stderr).toMatch(/runs on host elsewhere\.example .*\[FORGE_ERR_JOB_STATE\]/);
      await writeFile(join(dir, 'not-a-dir'), 'x');
      const listed = runForge(['jobs', '--state-dir', join(dir, 'not-a-dir')], dir);
      expect(listed.code).toBe(1);
      expect(listed.stderr).toMatch(/not-a-dir is unreadable: the state directory cannot be listed \(ENOTDIR\) \[FORGE_ERR_JOB_RECORD_UNREADABLE\]/);
      expect(served.stderr + far.stderr + listed.stderr).not.toMatch(/\n\s+at /);
    });
  }, 120_000);
});

describe('heartbeats while the main thread is busy', () => {
  it('go on while the owner\'s main thread is blocked longer than the stale time (a huge fleet being built)', async () => {
    await withTempDir(async (dir) => {
      const store = new JobStore(dir);
      const r = startedRecord({ jobId: 'job-busy', kind: 'batch', scenario: { meters: 5 }, output: parseOutputOptions({ sink: 'duckdb' }), stream: null, emission: null });
      await store.save(r);
      await pollFor(() => store.heartbeat('job-busy'), (b) => b !== null);
      const blockedAt = Date.now();
      // Synchronous work, as building a fleet of millions of meters is: no timer of this thread fires meanwhile.
      while (Date.now() - blockedAt < HEARTBEAT_STALE_MS + 1_500);
      const beat = JSON.parse(await readFile(join(dir, 'job-busy.heartbeat'), 'utf8')) as { at: string };
      // Another process reading during the block saw beats at most a few seconds old: the job stayed running.
      expect(Date.parse(beat.at) - blockedAt).toBeGreaterThan(HEARTBEAT_STALE_MS - 3_000);
      await store.save(updatedRecord(r, r.stats, 'completed'));
      expect(await store.heartbeat('job-busy')).toBeNull();
    });
  }, 60_000);
});

/** Polls `read` until `done` holds (generous deadline: a loaded machine). */
async function pollFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
      expect(runForge(['stream', '--resume', jobId, '--state-dir', join(dir, 'jobs')], dir).stderr).toMatch(/is a batch job; forge stream --resume continues stream jobs only/);
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
      // forge stop exits 0 (it did what it was asked); the stream it stopped exits 130, a job interrupted.
      expect(await exited).toBe(130);
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
