import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ForgeError } from '../util/forge-error.js';
import type { StageFile, StageStore } from './stage-store.js';

/** Suffix of files being written: never listed. */
const TEMPORARY = '.partial';

/** A stage in a local directory: keys are relative paths; complete files appear by rename. */
export class LocalStageStore implements StageStore {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `file://${dir}`;
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['stage', `cannot create ${this.dir}: ${(e as Error).message}`], { cause: e });
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}${TEMPORARY}`;
    try {
      await writeFile(temporary, body);
      await rename(temporary, path);
    } catch (e) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new ForgeError('FORGE_ERR_SINK_WRITE', ['stage', `${path}: ${(e as Error).message}`], { cause: e });
    }
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
