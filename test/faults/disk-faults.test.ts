import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckNumber, forge, jobRecords } from '../support/faults.js';

/**
 * An unwritable output path and a full disk: a clear error (exit 1, FORGE_ERR_SINK_WRITE naming the path and the
 * cause), the job recorded failed, and no partial file presented as complete (file sinks and the stage write a
 * temporary file and rename it when whole).
 *
 * Tests run as root here, so permission bits do not stop a write: an unwritable path is one under a regular file
 * (ENOTDIR) or on a read-only file system. A full disk is a 1 MiB tmpfs; mounting needs root (CAP_SYS_ADMIN), and
 * those cases skip, saying why, where mount is not permitted.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-disk-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Mounts a tmpfs at `at`; returns why it could not ('' when mounted). */
function mountTmpfs(at: string, options: string): string {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return ((e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message).split('\n')[0]!;
  }
}

const unmount = (at: string): void => {
  try {
    execFileSync('umount', [at], { stdio: 'pipe' });
  } catch {
    // Not mounted.
  }
};

// Whether this machine lets the tests mount a tmpfs (root, no container restriction).
const probe = await mkdtemp(join(tmpdir(), 'forge-mount-probe-'));
const mountProblem = mountTmpfs(probe, 'size=64k');
unmount(probe);
await rm(probe, { recursive: true, force: true });
const mountNote = mountProblem ? ` (skipped: cannot mount a tmpfs here: ${mountProblem})` : '';
if (mountProblem) console.warn(`disk-full tests${mountNote}`);

const SCENARIO = ['--meters', '300', '--days', '10', '--start', '2026-06-01', '--seed', '4'];

describe('an unwritable output path (under a regular file)', () => {
  it('duckdb, parquet and the stage sink fail clearly, create nothing, and record the job failed', async () => {
    const work = join(dir, 'enotdir');
    await mkdir(work, { recursive: true });
    const blocker = join(work, 'a-file');
    await writeFile(blocker, 'not a directory\n');
    const cases = [
      { name: 'duckdb', args: ['generate', ...SCENARIO, '--out', join(blocker, 'forge.duckdb')], path: join(blocker, 'forge.duckdb') },
      { name: 'parquet', args: ['generate', ...SCENARIO, '--sink', 'parquet', '--out', join(blocker, 'parquet')], path: join(blocker, 'parquet') },
      { name: 'stage', args: ['stream', '--meters', '20', '--from', '2026-06-01T00:00:00Z', '--duration', '1h', '--speed', 'max', '--sink', 'stage', '--stage', join(blocker, 'stage')], path: join(blocker, 'stage') },
    ];
    const runs = await Promise.all(cases.map((c) => forge([...c.args, '--state-dir', join(work, `jobs-${c.name}`)], work)));
    for (const [i, run] of runs.entries()) {
      const { name, path } = cases[i]!;
      expect(run.code, `${name}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`Sink ${name} failed: .*${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*(ENOTDIR|not a directory|EEXIST).*\\[FORGE_ERR_SINK_WRITE\\]`));
      expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
      const [record] = await jobRecords(join(work, `jobs-${name}`));
      expect(record, name).toMatchObject({ status: 'failed', stats: { delivered: 0 } });
    }
    // The blocker is still the file it was; nothing was created beside it.
    expect((await stat(blocker)).isFile()).toBe(true);
    expect((await readdir(work)).filter((n) => !n.startsWith('jobs-'))).toEqual(['a-file']);
  }, 90_000);
});

describe(`a read-only file system${mountNote}`, () => {
  it.skipIf(mountProblem !== '')('refuses the DuckDB file clearly (exit 1, FORGE_ERR_SINK_WRITE) and records the job failed', async () => {
    const at = join(dir, 'ro');
    await mkdir(at, { recursive: true });
    expect(mountTmpfs(at, 'ro,size=1m')).toBe('');
    try {
      const run = await forge(['generate', ...SCENARIO, '--out', join(at, 'forge.duckdb'), '--state-dir', join(dir, 'jobs-ro')], dir);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/Sink duckdb failed: .*forge\.duckdb.*(Read-only|EROFS).*\[FORGE_ERR_SINK_WRITE\]/i);
      expect(await readdir(at)).toEqual([]);
      expect((await jobRecords(join(dir, 'jobs-ro')))[0]).toMatchObject({ status: 'failed' });
    } finally {
      unmount(at);
    }
  }, 60_000);
});

describe(`a full disk (1 MiB tmpfs)${mountNote}`, () => {
  const full = async (name: string): Promise<string> => {
    const at = join(dir, `full-${name}`);
    await mkdir(at, { recursive: true });
    expect(mountTmpfs(at, 'size=1m')).toBe('');
    return at;
  };

  it.skipIf(mountProblem !== '')('parquet: a clear ENOSPC error; the part files left visible are whole, no temporary file is left', async () => {
    const at = await full('parquet');
    try {
      const run = await forge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', join(at, 'pq'), '--state-dir', join(dir, 'jobs-full-pq')], dir);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/Sink parquet failed: .*No space left on device.*\[FORGE_ERR_SINK_WRITE\]/);
      expect((await jobRecords(join(dir, 'jobs-full-pq')))[0]).toMatchObject({ status: 'failed' });
      const files = (await readdir(join(at, 'pq'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(files.filter((f) => f.name.startsWith('.'))).toEqual([]);
      console.info(`full disk, parquet: ${files.length} whole part files before the disk filled`);
      // Every visible file is a whole local date of every meter (June: 96 readings a meter).
      for (const f of files) expect(await duckNumber(':memory:', `SELECT count(*) FROM read_parquet('${join(f.parentPath, f.name)}')`)).toBe(300 * 96);
    } finally {
      unmount(at);
    }
  }, 60_000);

  it.skipIf(mountProblem !== '')('duckdb: a clear ENOSPC error naming the file (FORGE_ERR_SINK_WRITE), the job recorded failed', async () => {
    const at = await full('duckdb');
    try {
      const run = await forge(['generate', ...SCENARIO, '--out', join(at, 'forge.duckdb'), '--state-dir', join(dir, 'jobs-full-duck')], dir);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/Sink duckdb failed: .*forge\.duckdb.*No space left on device.*\[FORGE_ERR_SINK_WRITE\]/);
      expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
      const [record] = await jobRecords(join(dir, 'jobs-full-duck'));
      expect(record).toMatchObject({ status: 'failed' });
      expect(record!.errors.join(' ')).toMatch(/No space left on device/);
    } finally {
      unmount(at);
    }
  }, 60_000);

  it.skipIf(mountProblem !== '')('stage: a clear ENOSPC error; every stage file left is whole (gzip and JSON lines), no temporary file', async () => {
    const at = await full('stage');
    try {
      const run = await forge(
        ['stream', '--meters', '300', '--from', '2026-06-01T00:00:00Z', '--duration', '2d', '--speed', 'max', '--sink', 'stage', '--stage', join(at, 'st'), '--stage-roll-rows', '5000', '--state-dir', join(dir, 'jobs-full-st')],
        dir,
      );
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/Sink stage failed: .*no space left on device.*\[FORGE_ERR_SINK_WRITE\]/i);
      expect((await jobRecords(join(dir, 'jobs-full-st')))[0]).toMatchObject({ status: 'failed' });
      // The job's transformer file lands first, whole (it is small); then the readings files under raw/ami (and any
      // label files under raw/labels).
      const all = (await readdir(join(at, 'st'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      const side = all.filter((f) => f.name.startsWith('transformers_'));
      expect(side.map((f) => f.name)).toEqual([expect.stringMatching(/\.ndjson\.gz$/)]);
      expect(gunzipSync(await readFile(join(side[0]!.parentPath, side[0]!.name))).toString('utf8')).toMatch(/^(\{"transformer_id":.*\}\n)+$/);
      const files = all.filter((f) => f.parentPath.includes(join('raw', 'ami')));
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((f) => !f.name.endsWith('.json.gz'))).toEqual([]);
      let lines = 0;
      for (const f of files) {
        const text = gunzipSync(await readFile(join(f.parentPath, f.name))).toString('utf8');
        for (const line of text.split('\n').filter(Boolean)) {
          expect(JSON.parse(line)).toHaveProperty('header.message_type', 'METER_READING');
          lines++;
        }
      }
      console.info(`full disk, stage: ${files.length} whole stage files (${lines} readings) before the disk filled`);
    } finally {
      unmount(at);
    }
  }, 60_000);
});
