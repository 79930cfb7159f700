import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * File names of a partitioned output directory: `<dir>/date=YYYY-MM-DD/part-00000.<ext>`, hive-style date partitions
 * (what Spark, DuckDB, Athena, Snowflake external tables and data teams expect; readers with hive partitioning get a
 * `date` column). Parts number from 0 within a date; a later job with append, or a
 * date split because it outgrew the staging limit, takes the next free number, so nothing is ever overwritten.
 *
 * A shard's files carry its label (`part-00000_shard-2-of-8.<ext>`), and its part numbers count only its own files:
 * shards writing into one directory at once never pick the same name.
 *
 * Files are written under a temporary name beginning with '.' (which readers of partitioned data skip) and renamed
 * when complete, so a visible part file is always a whole one.
 */
export class PartitionFiles {
  private readonly dir: string;
  private readonly extension: string;
  private readonly suffix: string;
  private readonly nextPart = new Map<string, number>();

  /** `suffix` follows the part number: `_shard-2-of-8` for a shard, '' otherwise. */
  constructor(dir: string, extension: string, suffix = '') {
    this.dir = dir;
    this.extension = extension;
    this.suffix = suffix;
  }

  /** The directory of a date's partition. `localDate` must already be validated as YYYY-MM-DD. */
  partitionDir(localDate: string): string {
    return join(this.dir, `date=${localDate}`);
  }

  /** Reserves the next free part file of a date; returns its final path and the temporary path to write first. */
  async reserve(localDate: string): Promise<{ path: string; temporary: string }> {
    let part = this.nextPart.get(localDate);
    if (part === undefined) part = await this.firstFreePart(localDate);
    this.nextPart.set(localDate, part + 1);
    const name = `part-${String(part).padStart(5, '0')}${this.suffix}.${this.extension}`;
    const dir = this.partitionDir(localDate);
    return { path: join(dir, name), temporary: join(dir, `.${name}.${process.pid}.tmp`) };
  }

  private async firstFreePart(localDate: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.partitionDir(localDate));
    } catch {
      return 0;
    }
    const pattern = new RegExp(`^part-(\\d+)${this.suffix}\\.${this.extension}$`);
    let max = -1;
    for (const n of names) {
      const m = pattern.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }
}

const SHARD_PART = /^part-\d+_shard-(\d+)-of-(\d+)\.[a-z]+$/;

/**
 * What a shard that may not append finds in the output directory that is not another shard's work of the same split
 * (another shard's date directories, part files and files being written), or null. A shard starting after its
 * siblings must not be refused for their files, but must refuse its own earlier files or anything else.
 */
export async function foreignEntry(dir: string, shard: { index: number; count: number }): Promise<string | null> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^date=\d{4}-\d{2}-\d{2}$/.test(entry.name)) return entry.name;
    let files: string[];
    try {
      files = await readdir(join(dir, entry.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const file of files) {
      const name = /^\.(.+)\.\d+\.tmp$/.exec(file)?.[1] ?? file;
      const m = SHARD_PART.exec(name);
      if (!m || Number(m[2]) !== shard.count || Number(m[1]) === shard.index) return join(entry.name, file);
    }
  }
  return null;
}
