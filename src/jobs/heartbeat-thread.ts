import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { threadId, Worker } from 'node:worker_threads';

/**
 * The heartbeats a process keeps for the running jobs it owns: each `<job>.heartbeat` is rewritten (temp + rename)
 * every `everyMs` until the job's end.
 *
 * They beat on a thread of their own, so a main thread busy for seconds (building a fleet of millions of meters,
 * a long synchronous step of a sink) never lets a live job look dead: a job that reads interrupted can be resumed by
 * another process, and two writers on one job would break exactly-once. The thread does not keep the process alive
 * and dies with it: a killed owner stops beating, which is the point. Where a thread cannot start, the beats run on
 * the calling thread's timers instead.
 */
export class HeartbeatThread {
  private readonly active = new Set<string>();
  private worker: Worker | null | undefined;
  private nextId = 0;
  private readonly stopped = new Map<number, () => void>();
  /** Fallback beats on this thread's timers. */
  private readonly local = new Map<string, { timer: NodeJS.Timeout; writing: Promise<void> }>();

  constructor(private readonly everyMs: number) {}

  beating(path: string): boolean {
    return this.active.has(path);
  }

  /** Starts beating for `path` with `owner` (a JSON value written with each beat's time). */
  start(path: string, owner: unknown): void {
    if (this.active.has(path)) return;
    this.active.add(path);
    const worker = this.thread();
    if (worker) worker.postMessage({ type: 'start', path, owner, everyMs: this.everyMs });
    else this.startLocal(path, owner);
  }

  /** Stops beating for `path` and removes the heartbeat file; resolves once no beat can land after the removal. */
  async stop(path: string): Promise<void> {
    if (!this.active.delete(path)) return;
    const local = this.local.get(path);
    if (local) {
      this.local.delete(path);
      clearInterval(local.timer);
      await local.writing;
      await unlink(path).catch(() => undefined);
      return;
    }
    const worker = this.worker;
    if (!worker) return;
    const id = this.nextId++;
    // Held (ref) while a stop is answered, so the process does not exit before its heartbeat file is gone.
    worker.ref();
    await new Promise<void>((resolve) => {
      this.stopped.set(id, resolve);
      worker.postMessage({ type: 'stop', path, id });
    });
    if (this.stopped.size === 0) worker.unref();
  }

  private thread(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    try {
      // Plain JavaScript, no loader: the thread needs nothing of the project (execArgv [] keeps a tsx hook out of it).
      const worker = new Worker(BEAT_SOURCE, { eval: true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
      worker.on('message', (m: { type: string; id: number }) => {
        if (m.type !== 'stopped') return;
        this.stopped.get(m.id)?.();
        this.stopped.delete(m.id);
      });
      // A thread that dies: its jobs go on beating here, and a stop in flight resolves.
      worker.once('exit', () => {
        this.worker = null;
        for (const resolve of this.stopped.values()) resolve();
        this.stopped.clear();
      });
      worker.on('error', () => undefined);
      // Last: adding a listener holds the thread's port again. Beats never keep the process alive.
      worker.unref();
      this.worker = worker;
    } catch {
      this.worker = null;
    }
    return this.worker;
  }

  private startLocal(path: string, owner: unknown): void {
    const entry = { timer: setInterval(() => beat(), this.everyMs), writing: Promise.resolve() };
    const beat = (): void => {
      entry.writing = entry.writing.then(() => writeBeat(path, owner)).catch(() => undefined);
    };
    entry.timer.unref();
    this.local.set(path, entry);
    beat();
  }
}

async function writeBeat(path: string, owner: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify({ owner, at: new Date().toISOString() })}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}

/** The heartbeat thread: the same atomic write as writeBeat, one interval per job. */
const BEAT_SOURCE = `
const { parentPort, threadId } = require('node:worker_threads');
const { writeFile, rename, unlink } = require('node:fs/promises');
const { randomBytes } = require('node:crypto');
const beats = new Map();
async function write(path, owner) {
  const temporary = path + '.' + process.pid + '-' + threadId + '-' + randomBytes(4).toString('hex') + '.tmp';
  try {
    await writeFile(temporary, JSON.stringify({ owner, at: new Date().toISOString() }) + '\\n', { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'start') {
    if (beats.has(m.path)) return;
    const entry = { writing: Promise.resolve() };
    const beat = () => { entry.writing = entry.writing.then(() => write(m.path, m.owner)); };
    entry.timer = setInterval(beat, m.everyMs);
    beats.set(m.path, entry);
    beat();
  } else if (m.type === 'stop') {
    const entry = beats.get(m.path);
    beats.delete(m.path);
    if (entry) clearInterval(entry.timer);
    (entry ? entry.writing : Promise.resolve())
      .then(() => unlink(m.path).catch(() => undefined))
      .then(() => parentPort.postMessage({ type: 'stopped', id: m.id }));
  }
});
`;
