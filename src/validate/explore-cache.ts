import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bump when what a panel holds changes: answers cached on disk by an older version are then never read.
 */
export const EXPLORE_CACHE_VERSION = 1;

/** How many answers the in-memory cache keeps (a panel of the `se` preset is a few kB to a few hundred kB). */
const MEMORY_ENTRIES = 200;
/** How many answer files the disk cache keeps; the oldest go first. */
const DISK_ENTRIES = 2_000;

/**
 * What a database file is, as far as its cache is concerned: the file and its write-ahead log, each by size and
 * modification time. Any write a DuckDB session makes (a job appending, a checkpoint, a pipeline refresh) changes one of
 * them, so an answer keyed by the identity is an answer about exactly these bytes.
 */
export function fileIdentity(path: string): string {
  const real = realpathSync(path);
  const stamp = (p: string): string => {
    try {
      const s = statSync(p);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${real}|${stamp(real)}|${stamp(`${real}.wal`)}`;
}

/**
 * Answers of Explore's panels, computed once per database state: in memory (a bounded map, least recently used
 * dropped first) and, given a directory, on disk as one JSON file per answer (so a restarted server answers at once).
 * Concurrent asks for one key share one computation. An answer is kept only if the file did not change while it was
 * computed. Values must be JSON (NaN reads back as null from disk).
 */
export class ExploreCache {
  private readonly memory = new Map<string, unknown>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** `dir`: where answers are kept on disk (created when first needed); none: memory only. */
  constructor(private readonly dir?: string) {}

  /**
   * The cached answer for (the file's current state, `key`), or `compute()`'s, then kept. `hit` says which.
   */
  async get<T>(path: string, key: string, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
    const identity = fileIdentity(path);
    const id = createHash('sha256').update(`${EXPLORE_CACHE_VERSION}\u0000${identity}\u0000${key}`).digest('hex').slice(0, 40);
    if (this.memory.has(id)) {
      const value = this.memory.get(id) as T;
      this.memory.delete(id);
      this.memory.set(id, value);
      return { value, hit: true };
    }
    const fromDisk = this.read<T>(id);
    if (fromDisk !== undefined) {
      this.remember(id, fromDisk);
      return { value: fromDisk, hit: true };
    }
    const running = this.inFlight.get(id) as Promise<T> | undefined;
    if (running) return { value: await running, hit: true };
    const computing = compute();
    this.inFlight.set(id, computing);
    try {
      const value = await computing;
      if (fileIdentity(path) === identity) {
        this.remember(id, value);
        this.write(id, value);
      }
      return { value, hit: false };
    } finally {
      this.inFlight.delete(id);
    }
  }

  private remember(id: string, value: unknown): void {
    this.memory.set(id, value);
    while (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
  }

  private read<T>(id: string): T | undefined {
    if (this.dir === undefined) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, `${id}.json`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Best effort: a directory that cannot be written leaves the memory cache working. */
  private write(id: string, value: unknown): void {
    if (this.dir === undefined) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${id}.json`);
      const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      writeFileSync(temporary, JSON.stringify(value));
      renameSync(temporary, file);
      this.prune();
    } catch {
      // Not kept on disk; the next process computes it again.
    }
  }

  /** Drops the oldest answer files beyond DISK_ENTRIES (answers about database states long gone, mostly). */
  private prune(): void {
    const names = readdirSync(this.dir!).filter((n) => n.endsWith('.json'));
    if (names.length <= DISK_ENTRIES) return;
    const aged = names.map((n) => ({ n, t: statSync(join(this.dir!, n)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { n } of aged.slice(0, names.length - DISK_ENTRIES)) unlinkSync(join(this.dir!, n));
  }
}
