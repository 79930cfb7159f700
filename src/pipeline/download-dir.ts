import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The loader's temporary downloads: one directory per pass, `<tmp>/forge-stage-XXXXXX`, holding an owner marker
 * (pid, host, start time) from the moment it exists. The pass removes it when it ends (also when a signal stops it);
 * a process killed outright (kill -9, OOM, power) cannot, so every loader sweeps, when it starts, the directories
 * whose owner is gone: a marker naming a dead process of this host, a marker older than STALE_OWNED_MS whatever its
 * pid says (a reused pid, another host sharing the directory), or no marker and older than STALE_UNMARKED_MS (a kill
 * between creating the directory and writing its marker, or a loader from before markers).
 */
export const DOWNLOAD_DIR_PREFIX = 'forge-stage-';
const MARKER = 'forge-owner.json';
const NAME = /^forge-stage-[A-Za-z0-9]{6}$/;
/** A pass that downloads for this long is not one: its directory is stale whatever its pid. */
export const STALE_OWNED_MS = 24 * 3_600_000;
export const STALE_UNMARKED_MS = 3_600_000;

interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly startedMs: number;
}

/** A fresh download directory with its owner marker. */
export async function createDownloadDir(root = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(root, DOWNLOAD_DIR_PREFIX));
  const owner: Owner = { pid: process.pid, host: hostname(), startedMs: Date.now() };
  // Written aside and renamed: the marker is there whole or not at all (a kill in between leaves no half marker,
  // which would read as unmarked and be kept for STALE_UNMARKED_MS).
  await writeFile(join(dir, `${MARKER}.tmp`), `${JSON.stringify(owner)}\n`);
  await rename(join(dir, `${MARKER}.tmp`), join(dir, MARKER));
  return dir;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the download directories of loaders that are gone (see above); returns the directories removed. */
export async function sweepStaleDownloadDirs(root = tmpdir(), now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
    const dir = join(root, entry.name);
    let stale: boolean;
    try {
      const owner = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Partial<Owner>;
      const age = now - Number(owner.startedMs);
      stale = !(age < STALE_OWNED_MS) || (owner.host === hostname() && Number.isSafeInteger(owner.pid) && !alive(owner.pid!));
    } catch {
      const info = await stat(dir).catch(() => null);
      stale = info !== null && now - info.mtimeMs > STALE_UNMARKED_MS;
    }
    if (stale) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      removed.push(dir);
    }
  }
  return removed;
}
