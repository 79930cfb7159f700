import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { JobStore, type JobRecord } from '../../src/jobs/job-store.js';

/**
 * Helpers of the fault suite: the forge CLI as a child process that can be killed with SIGKILL at a seeded random
 * moment, and read-only looks at what it left behind. The CLI runs from source through tsx, as test/cli does, so the
 * suite works in a fresh clone after `npm ci`.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/**
 * The seed of the kill points: FORGE_FAULT_SEED, else a fixed one, so a run can be repeated exactly. Printed by each
 * test that uses it.
 */
export const FAULT_SEED = Number(process.env.FORGE_FAULT_SEED ?? 20261129) >>> 0;

/** A small seeded generator (mulberry32) for kill delays: the product's own generator is for readings. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ForgeChild {
  readonly child: ChildProcess;
  /** Exit code, or null and the signal when killed. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `forge <args>` in `cwd` without waiting for it. */
export function startForge(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): ForgeChild {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Runs `forge <args>` to its end. */
export async function forge(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startForge(args, cwd, env).done;
}

/** Polls `probe` every 25 ms until it returns a value other than undefined, or `timeoutMs` passes (then undefined). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(25);
  }
  return undefined;
}

/** Job records in a state directory (a missing directory holds none). */
export async function jobRecords(stateDir: string): Promise<JobRecord[]> {
  const names = await readdir(stateDir).catch(() => [] as string[]);
  const records: JobRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      records.push(JSON.parse(await readFile(join(stateDir, name), 'utf8')));
    } catch {
      // Being replaced (write then rename) or not a record.
    }
  }
  return records;
}

/**
 * SIGKILLs the child `delayMs` after `ready` resolves; resolves with whether it was still running then (a child that
 * finished first was not killed mid-job).
 */
export async function killAfter(run: ForgeChild, ready: Promise<unknown>, delayMs: number): Promise<boolean> {
  await ready;
  await sleep(delayMs);
  const alive = run.child.exitCode === null && run.child.signalCode === null;
  if (alive) run.child.kill('SIGKILL');
  await run.done;
  return alive;
}

/** One number from a DuckDB file opened read-only. */
export async function duckNumber(path: string, sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(path, path === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    try {
      return Number((await connection.runAndReadAll(sql)).getRows()[0]![0]);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Rows and distinct (meter, instant) keys of a DuckDB warehouse's fact table. */
export async function duckFactCounts(path: string): Promise<{ rows: number; keys: number }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    try {
      const row = (await connection.runAndReadAll('SELECT count(*), count(DISTINCT (meter_key, reading_ts_utc)) FROM ami_fact')).getRows()[0]!;
      return { rows: Number(row[0]), keys: Number(row[1]) };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** The verify report of `forge verify ... --json`: the counts of its first (or named) target. */
export function verifyCounts(stdout: string): { ok: boolean; reports: { expected: number; found: number; missing: number; duplicates: number; differing: number; unexpected: number; target?: unknown }[] } {
  return JSON.parse(stdout);
}

/**
 * Waits until a job's record no longer reads running: a killed owner stops beating and its job reads interrupted
 * once the heartbeat is stale (HEARTBEAT_STALE_MS, job-store.ts). The final status, or undefined on timeout.
 */
export async function settledStatus(stateDir: string, jobId: string, timeoutMs = 60_000): Promise<string | undefined> {
  const store = new JobStore(stateDir);
  return waitFor(async () => {
    const status = (await store.load(jobId)).status;
    return status === 'running' ? undefined : status;
  }, timeoutMs);
}
