import { readFile, rename, writeFile } from 'node:fs/promises';
import type { PipelineStatus } from './pipeline-status.js';

/**
 * The status a running `forge ingest --watch` writes beside its database after every pass, for `forge pipeline
 * status` to show while DuckDB's lock keeps other processes out of the file.
 */
export const statusFilePath = (databasePath: string): string => `${databasePath}.status.json`;

export async function writeStatusFile(databasePath: string, status: PipelineStatus): Promise<void> {
  const path = statusFilePath(databasePath);
  const temporary = `${path}.${process.pid}.partial`;
  await writeFile(temporary, `${JSON.stringify(status, null, 2)}\n`);
  await rename(temporary, path);
}

/** The last status a watcher wrote, or null when there is none. */
export async function readStatusFile(databasePath: string): Promise<PipelineStatus | null> {
  try {
    return JSON.parse(await readFile(statusFilePath(databasePath), 'utf8')) as PipelineStatus;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
