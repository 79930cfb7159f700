import { link, lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { runTag } from '../util/job-tag.js';
import type { StageFile, StageStore } from './stage-store.js';

/** Suffix of files being written: never listed. A temporary is `<final name>.<run tag>.partial`. */
const TEMPORARY = '.partial';
const TEMPORARY_NAME = /^(.+)\.[0-9a-z]+\.partial$/;

/**
 * A stage in a local directory: keys are relative paths. A file is written to a temporary created exclusively (a
 * random run tag in its name: processes and worker threads never share one), flushed to disk, then published with
 * `link`, which fails with EEXIST instead of replacing a file of the same key (rename would replace it silently).
 */
export class LocalStageStore implements StageStore {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `file://${dir}`;
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['stage', `cannot create ${this.dir}: ${errorText(e)}`], { cause: e });
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.pathOf(key);
    const temporary = `${path}.${runTag()}${TEMPORARY}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await publish(temporary, path);
    } catch (e) {
      await rm(temporary, { force: true }).catch(() => undefined);
      if (e instanceof ForgeError) throw e;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['stage', `${path}: ${errorText(e)}`], { cause: e });
    }
  }

  /** Removes the temporaries (files being written, left by a killed writer) of the keys `belongs` says are one's own. */
  async removeTemporaries(belongs: (key: string) => boolean): Promise<void> {
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        const name = TEMPORARY_NAME.exec(entry.name)?.[1];
        if (entry.isFile() && name !== undefined && belongs(relative(this.dir, join(dir, name)).split(sep).join('/'))) await rm(path, { force: true });
      }
    };
    await walk(this.dir);
  }

  async list(prefix = ''): Promise<StageFile[]> {
    const files: StageFile[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.endsWith(TEMPORARY)) {
          const key = relative(this.dir, path).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const info = await stat(path).catch(() => null);
          if (info) files.push({ key, size: info.size, modifiedMs: info.mtimeMs });
        }
      }
    };
    await walk(this.dir);
    return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  close(): void {}

  private pathOf(key: string): string {
    if (key.split('/').some((part) => part === '' || part === '..' || part === '.')) {
      throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [key, 'stage keys are relative paths of plain names']);
    }
    return join(this.dir, ...key.split('/'));
  }
}

/** Links a complete temporary to its key's path and unlinks it; on a filesystem without hard links, renames it if nothing is there. */
async function publish(temporary: string, path: string): Promise<void> {
  const exists = (): ForgeError => new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${path} (a stage file of that key is there; nothing was replaced)`]);
  try {
    await link(temporary, path);
    await unlink(temporary);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
    if (await lstat(path).then(() => true, () => false)) throw exists();
    await rename(temporary, path);
  }
}
