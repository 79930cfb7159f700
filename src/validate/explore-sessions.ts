import { Warehouse } from '../warehouse/warehouse.js';
import { fileIdentity } from './explore-cache.js';
import { exploreSource, type ExploreSource } from './explore-source.js';

/** How long a session stays open after its last use: the page's panels follow one another within it. */
const IDLE_MS = 2_000;

export interface ExploreSession {
  readonly w: Warehouse;
  readonly source: ExploreSource;
}

interface Entry {
  readonly session: Promise<ExploreSession>;
  users: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Read-only sessions on database files shared by the panels computed one after another: one DuckDB instance (and its
 * buffer pool, already holding the columns the previous panel read) instead of one per panel. Keyed by the file's
 * state (fileIdentity), so a file written meanwhile gets a new session that sees the new rows; closed IDLE_MS after
 * their last use, so a file is not held open longer than the page's burst of requests. A session's queries run on
 * its one connection: callers take turns (the server's ExploreGate runs one panel of a file at a time).
 */
export class ExploreSessions {
  private readonly entries = new Map<string, Entry>();

  async use<T>(path: string, fn: (session: ExploreSession) => Promise<T>): Promise<T> {
    const key = fileIdentity(path);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const session = openSession(path);
      entry = { session, users: 0, timer: undefined };
      this.entries.set(key, entry);
      // A session that failed to open is not kept.
      session.catch(() => this.entries.delete(key));
    }
    entry.users += 1;
    clearTimeout(entry.timer);
    try {
      return await fn(await entry.session);
    } finally {
      entry.users -= 1;
      if (entry.users === 0) {
        const idle = entry;
        idle.timer = setTimeout(() => this.close(key, idle), IDLE_MS);
        idle.timer.unref();
      }
    }
  }

  /** Closes every session (server shutdown). */
  async closeAll(): Promise<void> {
    for (const [key, entry] of [...this.entries]) await this.close(key, entry);
  }

  private async close(key: string, entry: Entry): Promise<void> {
    clearTimeout(entry.timer);
    if (this.entries.get(key) === entry) this.entries.delete(key);
    await entry.session.then((s) => s.w.close(), () => undefined);
  }
}

async function openSession(path: string): Promise<ExploreSession> {
  const w = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
  try {
    return { w, source: await exploreSource(w, path) };
  } catch (e) {
    w.close();
    throw e;
  }
}
