import type { Dirent } from 'node:fs';
import { link, open, readdir, rename, lstat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Shard } from '../scenario/shard.js';
import { shardLabel } from '../scenario/shard.js';
import { ForgeError } from '../util/forge-error.js';
import { runTag } from '../util/job-tag.js';

/** A date partition directory's name. */
export const DATE_DIR = /^date=\d{4}-\d{2}-\d{2}$/;

/**
 * A part file: `part-<first batch>-<last batch>-<job tag>[_shard-<i>-of-<n>].<ext>`, e.g.
 * `part-000000-000011-job-20261205234842-ab12cd34.parquet` (sequences at least 6 digits; the job tag never holds '_').
 */
const PART = /^part-(\d{6,})-(\d{6,})-([A-Za-z0-9-]+)(?:_shard-(\d+)-of-(\d+))?\.([a-z]+)$/;
/** A shard's part file as versions before job-unique names wrote it (`part-00000_shard-2-of-8.parquet`). */
const LEGACY_SHARD_PART = /^part-\d+_shard-(\d+)-of-(\d+)\.[a-z]+$/;
/** A file being written: '.', the part's name, '.', a run tag (or, before, the pid), '.tmp'. */
const TEMPORARY = /^\.(.+)\.[a-z0-9]+\.tmp$/;

export interface PartFile {
  readonly path: string;
  /** First and last batch sequence of the job the part holds, both included. */
  readonly first: number;
  readonly last: number;
}

interface ParsedPart {
  readonly first: number;
  readonly last: number;
  readonly tag: string | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly extension: string;
}

function parsePart(name: string): ParsedPart | null {
  const m = PART.exec(name);
  if (m) {
    const shard = m[4] === undefined ? null : { index: Number(m[4]), count: Number(m[5]) };
    return { first: Number(m[1]), last: Number(m[2]), tag: m[3]!, shard, extension: m[6]! };
  }
  const legacy = LEGACY_SHARD_PART.exec(name);
  if (legacy) return { first: -1, last: -1, tag: null, shard: { index: Number(legacy[1]), count: Number(legacy[2]) }, extension: '' };
  return null;
}

/** Whose a part file (or a temporary of one) is, for the checks below. */
interface Owner {
  /** The job's tag (jobTag): its parts carry it. */
  readonly tag: string;
  readonly shard: Shard | null;
}

const sameShard = (a: { index: number; count: number } | null, b: Shard | null): boolean =>
  a === null ? b === null : b !== null && a.index === b.index && a.count === b.count;

/**
 * File names of a partitioned output directory: `<dir>/date=YYYY-MM-DD/<part>`, hive-style date partitions (what
 * Spark, DuckDB, Athena, Snowflake external tables and data teams expect; readers with hive partitioning get a `date`
 * column).
 *
 * A part's name carries the job that wrote it (its tag), the shard, and the range of the job's batch sequences it
 * holds (see PART). So names are unique per job without any coordination between writers (any number of jobs,
 * processes or worker threads can write one directory at once), and the directory itself says how far each job got:
 * a job's checkpoint is read from its part names, no manifest.
 *
 * A part is written under a temporary name beginning with '.' (which readers of partitioned data skip) that carries
 * a random run tag and is created exclusively, then published with `link` (which fails with EEXIST instead of
 * replacing, as `rename` would) and the temporary unlinked: a visible part file is always a whole one, and never
 * replaces another.
 */
export class PartitionFiles {
  constructor(
    private readonly dir: string,
    private readonly extension: string,
    private readonly owner: Owner,
  ) {}

  /** The directory of a date's partition. `localDate` must already be validated as YYYY-MM-DD. */
  partitionDir(localDate: string): string {
    return join(this.dir, `date=${localDate}`);
  }

  /** The final path of the part holding batches first..last of a date, and a fresh temporary path to write first. */
  target(localDate: string, first: number, last: number): { path: string; temporary: string } {
    const shard = this.owner.shard ? `_${shardLabel(this.owner.shard)}` : '';
    const name = `part-${seq(first)}-${seq(last)}-${this.owner.tag}${shard}.${this.extension}`;
    const dir = this.partitionDir(localDate);
    return { path: join(dir, name), temporary: join(dir, `.${name}.${runTag()}.tmp`) };
  }

  /** This job's (and shard's) parts of this format, in batch order, and its temporaries. */
  async own(): Promise<{ parts: PartFile[]; temporaries: string[] }> {
    const parts: PartFile[] = [];
    const temporaries: string[] = [];
    for (const date of await dateDirs(this.dir)) {
      for (const name of await names(join(this.dir, date))) {
        const temporary = TEMPORARY.exec(name)?.[1];
        const part = parsePart(temporary ?? name);
        if (!part || part.tag !== this.owner.tag || !sameShard(part.shard, this.owner.shard) || part.extension !== this.extension) continue;
        if (temporary !== undefined) temporaries.push(join(this.dir, date, name));
        else parts.push({ path: join(this.dir, date, name), first: part.first, last: part.last });
      }
    }
    parts.sort((a, b) => a.first - b.first || a.last - b.last);
    return { parts, temporaries };
  }
}

/**
 * The last batch sequence S such that parts hold every batch 0..S exactly once (a chain of ranges from 0), or -1, and
 * the parts that are not part of that chain (after a gap, or overlapping it): what a resumed job removes.
 */
export function contiguousParts(parts: readonly PartFile[]): { checkpoint: number; beyond: PartFile[] } {
  let next = 0;
  const beyond: PartFile[] = [];
  for (const part of parts) {
    if (part.first === next && beyond.length === 0) next = part.last + 1;
    else beyond.push(part);
  }
  return { checkpoint: next - 1, beyond };
}

/** Creates a temporary exclusively (two writers never share one), empty: DuckDB's COPY then writes it. */
export async function createTemporary(path: string): Promise<void> {
  const handle = await open(path, 'wx');
  await handle.close();
}

/**
 * Makes a written temporary the part `path`: flushes it to disk, links it to its final name (EEXIST instead of
 * replacing whatever is there), unlinks the temporary and flushes the directory entry. On a filesystem without hard
 * links the temporary is renamed when nothing is at `path` (part names are job-unique, so only a second run of the same
 * job at the same moment could race with that check).
 */
export async function publish(temporary: string, path: string): Promise<void> {
  await syncPath(temporary, 'r+');
  try {
    await link(temporary, path);
    await unlink(temporary);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${path} (another run of the same job wrote this part; nothing was replaced)`]);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
    if (await lstat(path).then(() => true, () => false)) throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${path} (another run of the same job wrote this part; nothing was replaced)`]);
    await rename(temporary, path);
  }
  await syncPath(dirname(path), 'r').catch(() => undefined);
}

/**
 * Makes a written temporary directory (its files already synced) the part directory `path`: renamed into place whole
 * (a directory cannot be hard-linked), refused with FORGE_ERR_OUTPUT_EXISTS when something is at `path` (part names are
 * job-unique, so only a second run of the same job at the same moment could race with that check), and the directory
 * entries flushed. Readers see all of its files or none.
 */
export async function publishDirectory(temporary: string, path: string): Promise<void> {
  await syncPath(temporary, 'r').catch(() => undefined);
  if (await lstat(path).then(() => true, () => false)) throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${path} (another run of the same job wrote this part; nothing was replaced)`]);
  await rename(temporary, path);
  await syncPath(dirname(path), 'r').catch(() => undefined);
}

async function syncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * What a job that may not append finds in the output directory besides what it may share it with, or null:
 * - its own claim (output-claim.ts) and, for a shard, its siblings' claims (same split, other index);
 * - a shard's siblings' parts and temporaries (same split, other index), whoever wrote them: a shard starting after
 *   its siblings is not refused for their files, but is for its own earlier files (another job of the same shard) or
 *   anything else;
 * - with `resume`, the job's own parts and temporaries (what it already delivered; the tail is cleaned after);
 * - empty date directories (a job that failed before its first part leaves one).
 */
export async function foreignEntry(dir: string, owner: Owner & { readonly resume: boolean; readonly claim: string }): Promise<string | null> {
  const shard = owner.shard;
  for (const entry of await entries(dir)) {
    if (entry.isFile() && entry.name === owner.claim) continue;
    if (entry.isFile() && shard && entry.name.startsWith('.forge-claim_shard-')) {
      const m = /^\.forge-claim_shard-(\d+)-of-(\d+)$/.exec(entry.name);
      if (m && Number(m[2]) === shard.count && Number(m[1]) !== shard.index) continue;
      return entry.name;
    }
    if (!entry.isDirectory() || !DATE_DIR.test(entry.name)) return entry.name;
    for (const file of await names(join(dir, entry.name))) {
      const part = parsePart(TEMPORARY.exec(file)?.[1] ?? file);
      const sibling = part?.shard && shard && part.shard.count === shard.count && part.shard.index !== shard.index;
      const own = owner.resume && part?.tag === owner.tag && sameShard(part.shard, shard);
      if (!sibling && !own) return join(entry.name, file);
    }
  }
  return null;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

async function dateDirs(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((e) => e.isDirectory() && DATE_DIR.test(e.name)).map((e) => e.name).sort();
}

const seq = (n: number): string => String(n).padStart(6, '0');
