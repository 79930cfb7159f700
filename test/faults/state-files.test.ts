import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, startedRecord, updatedRecord, type JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { runForge } from '../support/run-forge.js';
import { useTestServer } from '../support/server-jobs.js';

/**
 * Issue 12 case 11: files in the state directory that are not job records (empty, '{}', a truncated record, wrong
 * types, huge numbers, arrays, binary, a directory, links, a FIFO, odd names) never break the history: `forge jobs`
 * (table and --json), `forge jobs show`, `GET /api/jobs`, `/api/jobs/:id` and `/metrics` answer without a 5xx or a
 * stack trace, list the good records, and name the bad files as unreadable. Generated with fast-check (fixed seed,
 * bounded runs); the CLI, which costs a process per command, gets fewer runs than the in-process API.
 */

const SEED = 20261206;
const STACK = /\n\s+at |unexpected error/;

/** Two good records: a completed batch and a stopped stream (no heartbeat: nothing runs them). */
function goodRecords(): JobRecord[] {
  const batch = startedRecord({ jobId: 'good-batch', kind: 'batch', scenario: { meters: 3, days: 1, start: '2026-01-05' }, output: parseOutputOptions({ sink: 'duckdb' }), stream: null, emission: null });
  const stream = startedRecord({
    jobId: 'good-stream',
    kind: 'stream',
    scenario: { meters: 3, start: '2026-01-05' },
    output: parseOutputOptions({ sink: 'duckdb' }),
    stream: { fromUtc: '2026-01-05T00:00:00.000Z', toUtc: null, speed: 60 },
    emission: {},
  });
  return [
    updatedRecord(batch, { generated: 288, delivered: 288, rowsPerSecond: 100, sinks: [{ sink: 'duckdb', committed: 288, state: 'ok' }] }, 'completed'),
    updatedRecord(stream, { generated: 50, delivered: 50, rowsPerSecond: 10, sinks: [{ sink: 'duckdb', committed: 50, state: 'ok' }], checkpoint: 3 }, 'stopped'),
  ];
}
const GOOD_TEXT = `${JSON.stringify(goodRecords()[0], null, 2)}\n`;

type Hostile =
  | { kind: 'text'; name: string; text: string }
  | { kind: 'bytes'; name: string; bytes: Uint8Array }
  | { kind: 'directory' | 'fifo' | 'link-good' | 'link-outside' | 'link-dangling'; name: string };

/** A field of a record with a value of the wrong type or out of its domain. */
const WRONG: readonly (readonly [string, unknown])[] = [
  ['jobId', 42], ['jobId', null], ['kind', 'cron'], ['kind', ['batch']], ['status', 'paused'], ['status', 1],
  ['pid', -1], ['pid', 'x'], ['pid', 1.5], ['createdAt', 'yesterday'], ['createdAt', 0], ['updatedAt', null], ['finishedAt', 'never'],
  ['scenario', []], ['scenario', 'big'], ['output', { sink: [] }], ['output', 'duckdb'], ['output', null], ['stream', 'x'],
  ['stream', { fromUtc: 3 }], ['emission', 7], ['stats', null], ['stats', { generated: 'many' }], ['stats', { generated: 1, delivered: -1, rowsPerSecond: 0, sinks: [] }],
  ['stats', { generated: 1, delivered: 1, rowsPerSecond: 0, sinks: [{ sink: 'duckdb', committed: 1, state: 'on fire' }] }], ['errors', 'none'], ['errors', [1]],
];

/** File names: job-like ones, and names a shell or a terminal would trip on. */
const stem = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.constantFrom('weird name', 'ümlaut-日本', '-rf', 'new\nline', 'quote"\'', '%s%n', '$(id)', '.hidden', '..', 'x'.repeat(200), '\u001b[31mred'),
);
const name = stem.map((s) => `${s}.json`);

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  name.map((n) => ({ kind: 'text' as const, name: n, text: '' })),
  name.map((n) => ({ kind: 'text' as const, name: n, text: '{}' })),
  fc.tuple(name, fc.integer({ min: 1, max: GOOD_TEXT.length - 2 })).map(([n, cut]) => ({ kind: 'text' as const, name: n, text: GOOD_TEXT.slice(0, cut) })),
  fc.tuple(name, fc.constantFrom(...WRONG)).map(([n, [field, value]]) => ({ kind: 'text' as const, name: n, text: JSON.stringify({ ...goodRecords()[0], jobId: n.slice(0, -5), [field]: value }) })),
  fc.tuple(name, fc.constantFrom('1e400', '-1e400', '99999999999999999999999999', '-5', '1.5')).map(([n, big]) => ({
    kind: 'text' as const,
    name: n,
    text: JSON.stringify({ ...goodRecords()[0], jobId: n.slice(0, -5) }).replace('"delivered":288', `"delivered":${big}`).replace('"pid":', `"pid":${big},"x":`),
  })),
  fc.tuple(name, fc.constantFrom('[]', '[1,2,3]', 'null', '42', '"text"', 'true', `[${JSON.stringify(goodRecords()[0])}]`)).map(([n, text]) => ({ kind: 'text' as const, name: n, text })),
  fc.tuple(name, fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([n, bytes]) => ({ kind: 'bytes' as const, name: n, bytes })),
  // A whole record, of another job (copied under the wrong name).
  name.map((n) => ({ kind: 'text' as const, name: n, text: GOOD_TEXT.replace('"good-batch"', '"someone-else"') })),
  fc.tuple(name, fc.constantFrom('directory', 'fifo', 'link-good', 'link-outside', 'link-dangling') as fc.Arbitrary<'directory' | 'fifo' | 'link-good' | 'link-outside' | 'link-dangling'>).map(([n, kind]) => ({ kind, name: n })),
);

/** 1 to 6 hostile files with distinct names, none named like a good record. */
const hostileSet = fc.uniqueArray(hostile, { minLength: 1, maxLength: 6, selector: (h) => h.name }).map((set) => set.filter((h) => !h.name.startsWith('good-')));

async function writeHostile(dir: string, h: Hostile, outside: string): Promise<void> {
  const path = join(dir, h.name);
  switch (h.kind) {
    case 'text':
      return writeFile(path, h.text);
    case 'bytes':
      return writeFile(path, h.bytes);
    case 'directory':
      await mkdir(path);
      return writeFile(join(path, 'inner.json'), GOOD_TEXT);
    case 'fifo':
      execFileSync('mkfifo', [path]);
      return;
    case 'link-good':
      return symlink(join(dir, 'good-batch.json'), path);
    case 'link-outside':
      return symlink(outside, path);
    case 'link-dangling':
      return symlink(join(outside, 'absent', 'x.json'), path);
  }
}

/** A state directory with the good records and a set of hostile files. */
async function stateDirWith(root: string, set: readonly Hostile[]): Promise<string> {
  const dir = await mkdtemp(join(root, 'state-'));
  const store = new JobStore(dir);
  for (const record of goodRecords()) await store.save(record);
  for (const h of set) await writeHostile(dir, h, join(root, 'outside.json'));
  return dir;
}

/** The hostile files a reader must name as unreadable: all of them (links are never followed, even to a good record). */
const expectedUnreadable = (set: readonly Hostile[]): string[] => set.map((h) => h.name).sort();

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'forge-fault-state-'));
  await writeFile(join(root, 'outside.json'), GOOD_TEXT);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile state files against JobStore (generated)', () => {
  it('lists the good records and names every hostile file unreadable, without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(hostileSet, async (set) => {
        const dir = await stateDirWith(root, set);
        try {
          const history = await new JobStore(dir).history();
          expect(history.records.map((r) => r.jobId).sort()).toEqual(['good-batch', 'good-stream']);
          expect(history.unreadable.map((u) => u.file).sort()).toEqual(expectedUnreadable(set));
          for (const u of history.unreadable) expect(u.reason).not.toMatch(STACK);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, 120_000);
});

describe('hostile state files against the API (generated)', () => {
  const t = useTestServer('forge-state-api-');

  it('GET /api/jobs, /api/jobs/unreadable, /api/jobs/:id and /metrics: never a 5xx, never a stack, the good records listed', async () => {
    const store = new JobStore(t.stateDir);
    for (const record of goodRecords()) await store.save(record);
    await fc.assert(
      fc.asyncProperty(hostileSet, async (set) => {
        for (const h of set) await writeHostile(t.stateDir, h, join(root, 'outside.json'));
        try {
          const list = await t.server.inject({ url: '/api/jobs' });
          expect(list.statusCode, list.body).toBe(200);
          expect(list.json<JobRecord[]>().map((r) => r.jobId).sort()).toEqual(['good-batch', 'good-stream']);
          const unreadable = await t.server.inject({ url: '/api/jobs/unreadable' });
          expect(unreadable.statusCode).toBe(200);
          expect(unreadable.json<{ unreadable: { file: string }[] }>().unreadable.map((u) => u.file).sort()).toEqual(expectedUnreadable(set));
          const metrics = await t.server.inject({ url: '/metrics' });
          expect(metrics.statusCode, metrics.body).toBe(200);
          expect(metrics.body).toContain('forge_jobs{status="completed"} 1');
          expect(metrics.body).toContain(`forge_job_records_unreadable ${set.length}`);
          for (const h of set) {
            const id = encodeURIComponent(h.name.slice(0, -'.json'.length));
            for (const [method, url] of [['GET', `/api/jobs/${id}`], ['POST', `/api/jobs/${id}/resume`], ['POST', `/api/jobs/${id}/stop`]] as const) {
              const res = await t.server.inject({ method, url });
              expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeGreaterThanOrEqual(400);
              expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500);
              expect(res.body).not.toMatch(STACK);
            }
          }
        } finally {
          for (const h of set) await rm(join(t.stateDir, h.name), { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  }, 180_000);
});

describe('hostile state files against the CLI (generated)', () => {
  it('forge jobs, forge jobs --json and forge jobs show: a warning per bad file, the good records, no stack', async () => {
    await fc.assert(
      fc.asyncProperty(hostileSet, async (set) => {
        const dir = await stateDirWith(root, set);
        try {
          const table = runForge(['jobs', '--state-dir', dir], root);
          expect(table.code, table.stderr).toBe(0);
          expect(table.stdout).toMatch(/good-batch\s+batch\s+completed\s+288/);
          expect(table.stdout).toMatch(/good-stream\s+stream\s+stopped\s+50/);
          expect(table.stderr).not.toMatch(STACK);
          expect(table.stderr.split('\n').filter((l) => l.startsWith('forge: skipped '))).toHaveLength(set.length);
          const json = runForge(['jobs', '--json', '--state-dir', dir], root);
          expect(json.code, json.stderr).toBe(0);
          expect((JSON.parse(json.stdout) as JobRecord[]).map((r) => r.jobId).sort()).toEqual(['good-batch', 'good-stream']);
          const jobLike = set.find((h) => /^[a-z][a-z0-9-]{0,100}\.json$/.test(h.name));
          if (jobLike) {
            const show = runForge(['jobs', 'show', jobLike.name.slice(0, -5), '--state-dir', dir], root);
            expect(show.code).toBe(1);
            expect(show.stderr).toMatch(/is unreadable: .*\[FORGE_ERR_JOB_RECORD_UNREADABLE\]/);
            expect(show.stderr).not.toMatch(STACK);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: 4 },
    );
  }, 300_000);
});

describe('record writes', () => {
  it('concurrent saves of one record by several writers never collide on a temporary and leave a whole record', async () => {
    const dir = await mkdtemp(join(root, 'concurrent-'));
    const record = goodRecords()[0]!;
    // Two writers (as two threads, or two stores of one process) saving one record at once: a temporary named by
    // the pid alone is written by both, and one rename finds it gone.
    const here = new JobStore(dir);
    const other = new JobStore(dir);
    const saves = Array.from({ length: 40 }, (_, i) => (i % 2 ? here : other).save({ ...record, stats: { ...record.stats, delivered: i } }).then(() => 0, () => 1));
    expect((await Promise.all(saves)).reduce((a, b) => a + b, 0)).toBe(0);
    expect((await here.load('good-batch')).jobId).toBe('good-batch');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    JSON.parse(await readFile(join(dir, 'good-batch.json'), 'utf8'));
  }, 60_000);

  it('a temporary left by a writer that died is removed when the history is read; a fresh one (a writer at work) is kept', async () => {
    const dir = await mkdtemp(join(root, 'stray-'));
    const store = new JobStore(dir);
    await store.save(goodRecords()[0]!);
    const stray = join(dir, 'good-batch.json.4242.tmp');
    const fresh = join(dir, 'good-batch.json.4243-1-abcd.tmp');
    await writeFile(stray, '{"jobId": "good-b');
    await writeFile(fresh, '{"jobId": "good-b');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(stray, old, old);
    const history = await store.history();
    expect(history.records.map((r) => r.jobId)).toEqual(['good-batch']);
    expect(history.unreadable).toEqual([]);
    await expect(stat(stray)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(fresh)).isFile()).toBe(true);
  });
});
