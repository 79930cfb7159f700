import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';

/**
 * Confinement as a property (issue 12 cases 1 and 2): a real `forge serve --data-dir <base>/data` started in another
 * working directory (`<base>/cwd`). Every path shape an API body can name (output.out, per sink, a local stage, a read
 * path) is either accepted and written inside the data directory, resolved through every link, or refused with 400
 * naming the field; either way nothing appears outside the data directory (the whole base directory, the server's
 * working directory included, is snapshotted around each case).
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

const base = realpathSync(mkdtempSync(join(tmpdir(), 'forge-confine-serve-')));
const data = join(base, 'data');
const cwd = join(base, 'cwd');
const outside = join(base, 'outside');
const stateDir = join(base, 'state');
for (const d of [data, cwd, outside, join(outside, 'dir'), join(outside, 'a', 'b'), join(data, 'real-dir'), join(data, 'sub')]) mkdirSync(d, { recursive: true });
// The links an attacker with a foothold in the data directory (or an earlier job) could have left there.
symlinkSync(join(outside, 'evil.duckdb'), join(data, 'evil.duckdb')); // dangling, pointing outside (case 2)
symlinkSync(join(outside, 'chained.duckdb'), join(data, 'chain2'));
symlinkSync(join(data, 'chain2'), join(data, 'chain1')); // a chain ending outside, dangling
symlinkSync(join(outside, 'dir'), join(data, 'outdir')); // a linked parent directory
symlinkSync('../outside', join(data, 'sneaky')); // a relative target whose `..` leads out
symlinkSync(join(outside, 'a', 'b'), join(data, 'deep')); // `..` after a link
symlinkSync(join(data, 'real-dir'), join(data, 'alias')); // a link to inside: allowed
symlinkSync(join(outside, 'stage-land'), join(data, 'stage-link')); // a stage through a dangling link
symlinkSync(join(data, 'loop-b'), join(data, 'loop-a'));
symlinkSync(join(data, 'loop-a'), join(data, 'loop-b'));
writeFileSync(join(outside, 'secret.duckdb'), 'not a database');
symlinkSync(join(outside, 'secret.duckdb'), join(data, 'read-link.duckdb')); // a read path through a link

let server: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  server = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--port', '0', '--data-dir', data, '--state-dir', stateDir], { cwd, env: { ...process.env, FORCE_COLOR: '0', FORGE_DATA_DIR: '', FORGE_STATE_DIR: '' } });
  let out = '';
  server.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  server.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const until = Date.now() + 90_000;
  while (!/serving on (http:\/\/\S+?):/.test(out) && Date.now() < until) await sleep(50);
  const match = /serving on (http:\/\/[^\s:]+:\d+)/.exec(out);
  if (!match) throw new Error(`forge serve did not start: ${out}`);
  url = match[1]!;
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const closed = new Promise((resolve) => server!.once('close', resolve));
    server.kill('SIGTERM');
    await Promise.race([closed, sleep(20_000)]);
  }
  rmSync(base, { recursive: true, force: true });
});

/** Every entry under `root` (links as links, not followed), except the given sub-trees. */
function snapshot(root: string, except: readonly string[] = []): string[] {
  const entries: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (except.includes(path)) continue;
      entries.push(relative(root, path));
      if (lstatSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return entries.sort();
}

/** Everything but the data directory and the server's own records. */
const outsideNow = (): string[] => snapshot(base, [data, stateDir]);
/**
 * The job records in the state directory (`<job>.json`). Only records count: a record is written through a passing
 * `<record>.<writer>.tmp`, and a running job keeps a `<job>.heartbeat` that goes away only after its record says it
 * finished, so an earlier job's files can come and go around a refused request (seen in CI both as one more and as one
 * fewer entry).
 */
const jobEntries = (): number => (existsSync(stateDir) ? readdirSync(stateDir).filter((name) => name.endsWith('.json')).length : 0);

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function finished(jobId: string): Promise<JobRecord> {
  const until = Date.now() + 60_000;
  for (;;) {
    const record = (await (await fetch(`${url}/api/jobs/${jobId}`)).json()) as JobRecord;
    if (record.status !== 'running' || Date.now() > until) return record;
    await sleep(100);
  }
}

const isInside = (path: string): boolean => path === data || path.startsWith(`${data}${sep}`);

/** The real place of a path the server recorded (its existing prefix resolved): must be inside the data directory. */
function realPlace(path: string): string {
  let existing = path;
  while (!existsSync(existing)) existing = join(existing, '..');
  return join(realpathSync(existing), relative(existing, path));
}

const scenario = { meters: 1, days: 1, start: '2026-06-01' };
const stream = { from: '2026-06-01T00:00:00Z', duration: '1h', speed: 'max' };
const batch = (output: Record<string, unknown>): Record<string, unknown> => ({ kind: 'batch', scenario, output });
const staged = (stage: string): Record<string, unknown> => ({ kind: 'stream', scenario, output: { sink: ['stage'], stage }, stream });

type Expectation = { accept: true; paths: (r: JobRecord) => string[]; expected?: string[] } | { accept: false; field: RegExp };
const refuse = (field: RegExp): Expectation => ({ accept: false, field });
const outPaths = (r: JobRecord): string[] => (typeof r.output.out === 'string' ? [r.output.out] : Object.values(r.output.out ?? {}).filter((p): p is string => p !== undefined));
const accept = (expected?: string[]): Expectation => ({ accept: true, paths: outPaths, ...(expected ? { expected } : {}) });

const LONG = 'x'.repeat(300);
const table: [string, Record<string, unknown>, Expectation][] = [
  ['a relative out', batch({ sink: ['duckdb'], out: 'rel.duckdb' }), accept([join(data, 'rel.duckdb')])],
  ['an absolute out inside', batch({ sink: ['duckdb'], out: join(data, 'abs.duckdb') }), accept([join(data, 'abs.duckdb')])],
  ['an absolute out outside', batch({ sink: ['duckdb'], out: join(outside, 'x.duckdb') }), refuse(/output\.out: .* is outside/)],
  ['an absolute out beside the data directory', batch({ sink: ['duckdb'], out: `${data}-other/x.duckdb` }), refuse(/output\.out: .* is outside/)],
  ['an out climbing with ..', batch({ sink: ['duckdb'], out: '../outside/x.duckdb' }), refuse(/output\.out: .* "\.\." segment/)],
  ['an out with an encoded ..', batch({ sink: ['duckdb'], out: '%2e%2e/outside/x.duckdb' }), refuse(/output\.out: .* "\.\." segment/)],
  ['an out with a backslash ..', batch({ sink: ['duckdb'], out: 'sub\\..\\..\\x.duckdb' }), refuse(/output\.out: .* "\.\." segment/)],
  ['a dangling link to outside (case 2)', batch({ sink: ['duckdb'], out: 'evil.duckdb' }), refuse(/output\.out: .* through a symbolic link/)],
  ['a chain of links ending outside', batch({ sink: ['duckdb'], out: 'chain1' }), refuse(/output\.out: .* through a symbolic link/)],
  ['a linked parent directory', batch({ sink: ['duckdb'], out: 'outdir/x.duckdb' }), refuse(/output\.out: .* through a symbolic link/)],
  ['a link whose relative target climbs out', batch({ sink: ['parquet'], out: 'sneaky/pq' }), refuse(/output\.out: .* through a symbolic link/)],
  ['.. after a link', batch({ sink: ['duckdb'], out: 'deep/../x.duckdb' }), refuse(/output\.out: .* "\.\." segment/)],
  ['a loop of links', batch({ sink: ['duckdb'], out: 'loop-a/x.duckdb' }), refuse(/output\.out: .* \(a loop of symbolic links\)/)],
  ['a link to inside (allowed)', batch({ sink: ['duckdb'], out: 'alias/x.duckdb' }), accept([join(data, 'real-dir', 'x.duckdb')])],
  ['a NUL', batch({ sink: ['duckdb'], out: 'a\u0000b.duckdb' }), refuse(/output\.out: contains a NUL/)],
  ['trailing slashes on a file sink directory', batch({ sink: ['csv'], out: 'csv-out///' }), accept([join(data, 'csv-out')])],
  ['a very long name', batch({ sink: ['duckdb'], out: `${LONG}.duckdb` }), refuse(/output\.out: has a path component longer than 255 bytes/)],
  ['a unicode name', batch({ sink: ['ndjson'], out: 'données/měření-電力' }), accept([join(data, 'données', 'měření-電力')])],
  ['two path sinks and no out (case 1)', batch({ sink: ['duckdb', 'parquet'] }), accept([join(data, 'forge.duckdb'), join(data, 'parquet')])],
  ['per-sink paths inside', batch({ sink: ['duckdb', 'csv'], out: { duckdb: 'two/a.duckdb', csv: 'two/csv' } }), accept([join(data, 'two', 'a.duckdb'), join(data, 'two', 'csv')])],
  ['per-sink paths, one outside', batch({ sink: ['duckdb', 'csv'], out: { duckdb: 'b.duckdb', csv: join(outside, 'csv') } }), refuse(/output\.out\.csv: .* is outside/)],
  ['a file:// stage inside', staged(`file://${join(data, 'landing')}`), { accept: true, paths: (r) => [r.output.stage!], expected: [join(data, 'landing')] }],
  ['a file:// stage outside', staged(`file://${join(outside, 'landing')}`), refuse(/output\.stage: .* is outside/)],
  ['a file:// stage with an encoded ..', staged(`file://${data}/%2e%2e/outside`), refuse(/output\.stage: .* "\.\." segment/)],
  ['a file:// stage with a host', staged(`file://evil.example${outside}`), refuse(/output\.stage: /)],
  ['a plain stage through a dangling link', staged('stage-link/raw'), refuse(/output\.stage: .* through a symbolic link/)],
];

describe('confinement of a real forge serve (data directory apart from its working directory)', () => {
  it.each(table)('%s', async (_what, body, expectation) => {
    const before = outsideNow();
    const dataBefore = snapshot(data);
    const jobsBefore = jobEntries();
    const res = await post('/api/jobs', body);
    if (expectation.accept) {
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      const record = await finished(res.json.jobId as string);
      expect(record.status, record.errors.join('; ')).toBe('completed');
      const paths = expectation.paths(record);
      if (expectation.expected) expect(paths).toEqual(expectation.expected);
      for (const path of paths) {
        expect(existsSync(path), path).toBe(true);
        expect(isInside(realpathSync(path)), path).toBe(true);
      }
    } else {
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(expectation.field) });
      expect(snapshot(data)).toEqual(dataBefore);
      expect(jobEntries()).toBe(jobsBefore);
    }
    expect(outsideNow()).toEqual(before);
  }, 90_000);

  it('read paths: validate through a link to outside, or with .., is refused; inside is read', async () => {
    const before = outsideNow();
    for (const out of ['read-link.duckdb', '../outside/secret.duckdb', join(outside, 'secret.duckdb'), 'outdir/x.duckdb']) {
      const res = await post('/api/validate', { out });
      expect(res.status, out).toBe(400);
      expect(res.json).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/^Invalid configuration: out: /) });
    }
    expect((await post('/api/validate', { out: 'rel.duckdb' })).status).toBe(200);
    expect(outsideNow()).toEqual(before);
  }, 60_000);

  it('nothing was ever created in the server\'s working directory', () => {
    expect(snapshot(cwd)).toEqual([]);
  });
});

/**
 * Random path shapes (fixed seed, bounded runs): segments among plain names, `.`, `..` (also encoded), links that
 * stay inside, lead outside, dangle outside or chain, after a prefix (none, the data directory, the outside
 * directory, the root). Accepted => 201 and the job's resolved real path inside the data directory; refused => 400
 * naming output.out and nothing created. Either way nothing outside changes.
 */
describe('confinement as a property over generated path shapes', () => {
  const segment = fc.constantFrom('p', 'q.duckdb', 'sub', '.', '..', '%2e%2e', 'alias', 'outdir', 'evil.duckdb', 'chain1', 'sneaky', 'deep', 'real-dir', '');
  const prefix = fc.constantFrom('', `${data}/`, `${outside}/`, '/', `${base}/`);
  const shape = fc.record({ prefix, segments: fc.array(segment, { minLength: 1, maxLength: 4 }), sink: fc.constantFrom('ndjson', 'duckdb') });
  let runs = 0;
  let accepted = 0;

  it('accepted => inside; refused => 400 naming the field; nothing outside changes', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ prefix: start, segments, sink }) => {
        const out = `${start}${segments.join('/')}`;
        if (out === '') return;
        runs += 1;
        const before = outsideNow();
        const dataBefore = snapshot(data);
        const res = await post('/api/jobs', batch({ sink: [sink], out }));
        if (res.status === 201) {
          accepted += 1;
          const record = await finished(res.json.jobId as string);
          const path = record.output.out as string;
          expect(isInside(path), `${out} -> ${path}`).toBe(true);
          expect(isInside(realPlace(path)), `${out} -> ${path}`).toBe(true);
        } else {
          expect(res.status, `${out}: ${JSON.stringify(res.json)}`).toBe(400);
          expect(res.json).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/output\.out: /) });
          expect(snapshot(data)).toEqual(dataBefore);
        }
        expect(outsideNow(), out).toEqual(before);
      }),
      { seed: 20261205, numRuns: 40 },
    );
    // The generator reaches both sides of the property.
    expect(accepted).toBeGreaterThan(3);
    expect(runs - accepted).toBeGreaterThan(10);
  }, 240_000);
});
