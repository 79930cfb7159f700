import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions, PATH_SINKS } from '../../src/jobs/output-options.js';
import { pathOf } from '../../src/jobs/output-paths.js';
import { DEFAULT_DUCKDB_PATH } from '../../src/sinks/duckdb/duckdb-sink.js';
import { rerunRequest } from '../../src/server/rerun-request.js';
import { verifyTargets } from '../../src/verify/verify-targets.js';
import { runForgeAsync } from '../support/brokers.js';
import { duckReadings, useTestServer, waitForJob } from '../support/server-jobs.js';

/**
 * `out` per path sink (issue 12, "--out per sink when several are given"): `--out duckdb=a.duckdb --out parquet=pq`
 * on the CLI, `"out": {"duckdb": ..., "parquet": ...}` in an API body; every consumer (sink factory, verify, rerun,
 * the server's defaults) reads a sink's path through pathOf, and records with the old string form stay readable.
 */

const dir = mkdtempSync(join(tmpdir(), 'forge-per-sink-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenarioFlags = ['--meters', '2', '--days', '1', '--start', '2026-03-01'];
const ROWS = 2 * 96;

describe('forge generate with a path per sink', () => {
  it('writes each sink where its --out says, nothing to the defaults, and verify --job reads the named DuckDB file', async () => {
    const cwd = mkdtempSync(join(dir, 'cli-'));
    const stateDir = join(cwd, 'state');
    const run = await runForgeAsync(['generate', ...scenarioFlags, '--sink', 'duckdb,parquet', '--out', 'duckdb=a.duckdb', '--out', 'parquet=pq', '--state-dir', stateDir], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect((await duckReadings(join(cwd, 'a.duckdb'))).rows).toBe(ROWS);
    expect(readdirSync(join(cwd, 'pq'), { recursive: true }).some((n) => String(n).endsWith('.parquet'))).toBe(true);
    expect(existsSync(join(cwd, 'forge-data'))).toBe(false);
    const [name] = readdirSync(stateDir).filter((n) => n.endsWith('.json'));
    const record = JSON.parse(readFileSync(join(stateDir, name!), 'utf8')) as JobRecord;
    expect(record.output.out).toEqual({ duckdb: join(cwd, 'a.duckdb'), parquet: join(cwd, 'pq') });
    // verify reads the file the job wrote (the default forge-data/forge.duckdb does not exist).
    const verify = await runForgeAsync(['verify', '--job', record.jobId, '--state-dir', stateDir], cwd);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain(join(cwd, 'a.duckdb'));
  }, 120_000);

  it.each([
    ['one plain path for two path sinks', ['--sink', 'duckdb,csv', '--out', 'x'], /out: one path for 2 sinks that write to a path \(duckdb, csv\): name each, e\.g\. --out duckdb=PATH --out csv=PATH/],
    ['two plain paths', ['--sink', 'duckdb,csv', '--out', 'x', '--out', 'y'], /out: 2 paths without a sink name/],
    ['a plain path mixed with a named one', ['--sink', 'duckdb,csv', '--out', 'duckdb=x', '--out', 'y'], /out: mixes a plain path with SINK=PATH/],
    ['a path for a sink not in --sink', ['--sink', 'duckdb', '--out', 'duckdb=a.duckdb', '--out', 'parquet=pq'], /out\.parquet: parquet is not among the sinks/],
    ['the same sink twice', ['--sink', 'duckdb,csv', '--out', 'duckdb=a', '--out', 'duckdb=b'], /out\.duckdb: given twice/],
    ['an empty path', ['--sink', 'duckdb,csv', '--out', 'duckdb='], /out\.duckdb: empty path/],
  ])('refuses %s: exit 2, the field named, nothing written', async (_what, flags, message) => {
    const cwd = mkdtempSync(join(dir, 'bad-'));
    const run = await runForgeAsync(['generate', ...scenarioFlags, ...flags, '--state-dir', join(cwd, 'state')], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/\[FORGE_ERR_INVALID_CONFIG\]/);
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);
});

describe('pathOf: the one reading of out', () => {
  it('gives each path sink its entry, a single path sink the one path, others their defaults', () => {
    const perSink = parseOutputOptions({ sink: ['duckdb', 'parquet', 'csv', 'postgres'], out: { duckdb: '/d/a.duckdb', parquet: '/d/pq' } });
    expect(pathOf(perSink, 'duckdb')).toBe('/d/a.duckdb');
    expect(pathOf(perSink, 'parquet')).toBe('/d/pq');
    expect(pathOf(perSink, 'csv')).toBe('./forge-data/csv');
    expect(pathOf(perSink, 'postgres')).toBeUndefined();
    expect(pathOf(perSink, 'ndjson')).toBeUndefined();
    const single = parseOutputOptions({ sink: ['duckdb', 'postgres'], out: '/d/one.duckdb' });
    expect(pathOf(single, 'duckdb')).toBe('/d/one.duckdb');
  });

  it('verify targets the DuckDB file of a per-sink out (before: the default file, whatever out said)', () => {
    expect(verifyTargets({ sink: ['duckdb', 'parquet'], out: { duckdb: '/d/a.duckdb', parquet: '/d/pq' } })).toEqual([{ kind: 'duckdb', path: '/d/a.duckdb' }]);
    expect(verifyTargets({ sink: ['duckdb', 'parquet'], out: { parquet: '/d/pq' } })).toEqual([{ kind: 'duckdb', path: DEFAULT_DUCKDB_PATH }]);
    // A record from before per-sink paths: a string out with one path sink.
    expect(verifyTargets({ sink: ['duckdb', 'postgres'], out: '/d/old.duckdb', pgUrl: 'postgres://u@h/d' })[0]).toEqual({ kind: 'duckdb', path: '/d/old.duckdb' });
  });

  it('the options schema takes out as a string or an object of path sinks, nothing else', () => {
    expect(() => parseOutputOptions({ sink: ['duckdb', 'postgres'], out: { postgres: 'x' } })).toThrow(/out: unrecognized key|out.*postgres/i);
    expect(() => parseOutputOptions({ sink: ['duckdb'], out: { duckdb: '' } })).toThrow(/out/);
    expect(() => parseOutputOptions({ sink: ['duckdb'], out: 42 })).toThrow(/out/);
    // Every sink that writes to a path is named (duckdb, the file sinks, the exchange formats), from the registry.
    const named = `${PATH_SINKS.slice(0, -1).join(', ')} or ${PATH_SINKS.at(-1)}`;
    expect(() => parseOutputOptions({ sink: ['postgres'], out: 'x' })).toThrow(`--out names the path of a single sink that writes to one (${named}); none of postgres does`);
    expect(PATH_SINKS).toEqual(expect.arrayContaining(['duckdb', 'parquet', 'csv', 'ndjson', 'greenbutton', 'nem12', 'cim', 'mdm-csv']));
  });

  it('rerun gives every path sink a fresh path beside its first, for old (string) and per-sink records', () => {
    const now = new Date('2026-11-29T10:15:00Z');
    const base = { jobId: 'j', kind: 'batch', scenario: { meters: 2 }, stream: null, emission: null } as unknown as JobRecord;
    const perSink = rerunRequest({ ...base, output: parseOutputOptions({ sink: ['duckdb', 'csv'], out: { duckdb: '/d/a.duckdb', csv: '/d/csv' } }) }, now);
    expect(perSink.output.out).toEqual({ duckdb: '/d/a-rerun-20261129-101500.duckdb', csv: '/d/csv-rerun-20261129-101500' });
    const old = rerunRequest({ ...base, output: parseOutputOptions({ sink: ['duckdb'], out: '/d/a.duckdb' }) }, now);
    expect(old.output.out).toBe('/d/a-rerun-20261129-101500.duckdb');
  });
});

describe('API bodies with a path per sink', () => {
  const t = useTestServer('forge-per-sink-api-');

  it('writes each sink to its entry inside the data directory, and rerun writes fresh ones beside them', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-03-01' }, output: { sink: ['duckdb', 'ndjson'], out: { duckdb: 'per/a.duckdb', ndjson: 'per/nd' } } } });
    expect(res.statusCode, res.body).toBe(201);
    const record = await waitForJob(t.server, res.json<JobRecord>().jobId);
    expect(record.status, record.errors.join('; ')).toBe('completed');
    expect(record.output.out).toEqual({ duckdb: join(t.dir, 'per', 'a.duckdb'), ndjson: join(t.dir, 'per', 'nd') });
    expect((await duckReadings(join(t.dir, 'per', 'a.duckdb'))).rows).toBe(ROWS);
    expect(readdirSync(join(t.dir, 'per', 'nd'), { recursive: true }).length).toBeGreaterThan(0);

    const again = await t.server.inject({ method: 'POST', url: `/api/jobs/${record.jobId}/rerun` });
    expect(again.statusCode, again.body).toBe(201);
    const rerun = await waitForJob(t.server, again.json<JobRecord>().jobId);
    expect(rerun.status, rerun.errors.join('; ')).toBe('completed');
    const out = rerun.output.out as Record<string, string>;
    expect(out.duckdb).toMatch(new RegExp(`^${join(t.dir, 'per', 'a')}-rerun-\\d{8}-\\d{6}\\.duckdb$`));
    expect(out.ndjson).toMatch(new RegExp(`^${join(t.dir, 'per', 'nd')}-rerun-\\d{8}-\\d{6}$`));
    expect((await duckReadings(out.duckdb!)).rows).toBe(ROWS);
  }, 120_000);

  it('refuses a per-sink path outside the data directory naming the sink, and one for a sink not listed', async () => {
    const outside = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 2, days: 1 }, output: { sink: ['duckdb', 'csv'], out: { csv: '/etc/forge-csv' } } } });
    expect(outside.statusCode).toBe(400);
    expect(outside.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/output\.out\.csv: .* is outside/) });
    const unlisted = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'batch', scenario: { meters: 2, days: 1 }, output: { sink: ['duckdb'], out: { parquet: 'pq' } } } });
    expect(unlisted.statusCode).toBe(400);
    expect(unlisted.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/output\.out\.parquet: parquet is not among the sinks/) });
  });
});
