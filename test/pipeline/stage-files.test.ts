import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sweepStaleDownloadDirs } from '../../src/pipeline/download-dir.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';
import { byHour, engineReadings, ndjson, putStageFiles, type EngineReading } from '../support/pipeline.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let readings: EngineReading[];
let dir: string;
let stage: LocalStageStore;
let db: string;

beforeAll(async () => {
  readings = await engineReadings();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-stage-files-'));
  stage = new LocalStageStore(join(dir, 'stage'));
  db = join(dir, 'pipeline.duckdb');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The loader's download directories in a temporary root (tsx keeps its own cache there too). */
const downloads = async (root: string): Promise<string[]> => (await readdir(root)).filter((n) => n.startsWith('forge-stage-'));

const countBronze = async (): Promise<number> => {
  const w = await Warehouse.open(db, { access_mode: 'READ_ONLY' });
  try {
    return await w.number(`SELECT count(*) FROM bronze_ami`);
  } finally {
    w.close();
  }
};

describe('a stage file changed after it was loaded', () => {
  it('is reported (a warning, forge pipeline status) and never loaded again: another size, or the same size rewritten', { timeout: 180_000 }, async () => {
    const hours = byHour(readings);
    const [grown, rewritten] = await putStageFiles(stage, hours.slice(0, 2));
    const first = runForge(['ingest', '--stage', join(dir, 'stage'), '--out', db], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/changed/);
    const loaded = await countBronze();

    // Same key, more lines (another size); and same key, same bytes, written again later (another modification time).
    await writeFile(join(dir, 'stage', ...grown!.split('/')), gzipSync(ndjson([...hours[0]!, ...hours[2]!])));
    const path = join(dir, 'stage', ...rewritten!.split('/'));
    await utimes(path, new Date(), new Date(Date.now() + 60_000));

    const second = runForge(['ingest', '--stage', join(dir, 'stage'), '--out', db], dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`forge: warning: ${grown} changed in the stage after it was loaded (size `);
    expect(second.stderr).toContain(`forge: warning: ${rewritten} changed in the stage after it was loaded (rewritten`);
    expect(await countBronze()).toBe(loaded);

    const status = runForge(['pipeline', 'status', '--out', db, '--json'], dir);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as { files: { changed: number }; changed: { file: string; loadedSize: number; size: number }[] };
    expect(json.files.changed).toBe(2);
    expect(json.changed.map((c) => c.file).sort()).toEqual([grown, rewritten].sort());
    expect(json.changed.find((c) => c.file === grown)!.size).toBeGreaterThan(json.changed.find((c) => c.file === grown)!.loadedSize);
    const text = runForge(['pipeline', 'status', '--out', db], dir);
    expect(text.stdout).toContain(`CHANGED after loading (not loaded again) ${grown}: size `);

    // Warned once per change: a third pass with nothing new says nothing.
    const third = runForge(['ingest', '--stage', join(dir, 'stage'), '--out', db], dir);
    expect(third.stderr).not.toMatch(/warning/);
  });
});

describe('temporary downloads', () => {
  it('the start-up sweep removes directories of dead owners and old unmarked ones, and keeps live ones and foreign names', async () => {
    const root = join(dir, 'tmp');
    await mkdir(root);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const make = async (name: string, owner?: object, ageMs = 0): Promise<string> => {
      const path = join(root, name);
      await mkdir(path);
      if (owner) await writeFile(join(path, 'forge-owner.json'), JSON.stringify(owner));
      if (ageMs > 0) await utimes(path, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
      return path;
    };
    await make('forge-stage-dead01', { pid: dead, host: hostname(), startedMs: Date.now() });
    await make('forge-stage-live01', { pid: process.pid, host: hostname(), startedMs: Date.now() });
    await make('forge-stage-old001', { pid: process.pid, host: hostname(), startedMs: Date.now() - 25 * 3_600_000 });
    await make('forge-stage-other1', { pid: dead, host: 'another-host', startedMs: Date.now() });
    await make('forge-stage-nomrk1', undefined, 2 * 3_600_000);
    await make('forge-stage-nomrk2');
    await make('forge-stage-parquet-abc123', undefined, 2 * 3_600_000);
    const removed = await sweepStaleDownloadDirs(root);
    expect(removed.map((p) => p.slice(root.length + 1)).sort()).toEqual(['forge-stage-dead01', 'forge-stage-nomrk1', 'forge-stage-old001']);
    expect((await readdir(root)).sort()).toEqual(['forge-stage-live01', 'forge-stage-nomrk2', 'forge-stage-other1', 'forge-stage-parquet-abc123']);
  });

  /** Starts `forge ingest` with its own TMPDIR and resolves when its download directory and its owner marker exist. */
  async function ingestUntilDownloading(root: string): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, 'ingest', '--stage', join(dir, 'stage'), '--out', db], {
      cwd: dir,
      env: { ...process.env, TMPDIR: root, FORCE_COLOR: '0' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      // Its owner marker written too: a kill between creating the directory and writing the marker leaves an
      // unmarked directory that the sweep rightly keeps until it is old (the sweep test covers that case).
      const [name] = await downloads(root);
      if (name !== undefined && (await readdir(join(root, name)).catch((): string[] => [])).includes('forge-owner.json')) return { child, exited };
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    throw new Error('forge ingest never created its download directory');
  }

  it('a forge ingest killed with SIGKILL leaves its directory; the next forge ingest removes it and loads everything', { timeout: 240_000 }, async () => {
    const root = join(dir, 'tmp');
    await mkdir(root);
    // Enough files that the pass is still downloading when it is killed.
    for (const writer of ['a', 'b', 'c', 'd']) await putStageFiles(stage, byHour(readings), writer);
    const { child, exited } = await ingestUntilDownloading(root);
    child.kill('SIGKILL');
    await exited;
    expect(await downloads(root)).toHaveLength(1);

    const again = spawnSync(process.execPath, ['--import', TSX, MAIN, 'ingest', '--stage', join(dir, 'stage'), '--out', db], {
      cwd: dir,
      env: { ...process.env, TMPDIR: root, FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(await downloads(root)).toEqual([]);
    expect(await countBronze()).toBe(4 * readings.length);
  });

  it('a forge ingest stopped with SIGTERM finishes the file under way, removes its downloads and exits 130 (interrupted)', { timeout: 240_000 }, async () => {
    const root = join(dir, 'tmp');
    await mkdir(root);
    for (const writer of ['a', 'b', 'c', 'd']) await putStageFiles(stage, byHour(readings), writer);
    const { child, exited } = await ingestUntilDownloading(root);
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(await downloads(root)).toEqual([]);
    // Whatever it loaded is whole files: a later run completes the stage.
    const again = runForge(['ingest', '--stage', join(dir, 'stage'), '--out', db], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(await countBronze()).toBe(4 * readings.length);
  });
});
