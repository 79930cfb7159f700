import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { runForge } from '../support/run-forge.js';
import { jobRecords } from '../support/faults.js';

/**
 * Issue 12 case 7: `--append` into Postgres with another seed used to print "postgres: 9,600 rows", exit 0, and insert
 * nothing (ON CONFLICT DO NOTHING), so verify then found every reading differing. Now keys the table holds with other
 * values refuse the batch (FORGE_ERR_CONFLICTING_ROWS) unless --on-conflict skip or replace says which values win, the
 * same values are skipped (a re-run, a resume), and the summary counts the rows actually inserted.
 */

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe('append-conflict suite services (Postgres)', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service).toMatchObject({ available: true });
  });
});

describe.runIf(gate.run)(`forge generate --append into Postgres over existing keys ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'forge-pg-conflict-'));
  const stateDir = join(dir, 'jobs');
  const table = `append_conflict_${runId()}`;
  let admin: pg.Client;
  const scenario = (seed: number, meters = 100): string[] => ['--meters', String(meters), '--days', '1', '--start', '2026-03-01', '--seed', String(seed)];
  const pgArgs = ['--sink', 'postgres', '--pg-url', PG_TEST_URL, '--pg-table', table];
  const generate = (args: string[]) => runForge(['generate', ...args, ...pgArgs, '--state-dir', stateDir], dir);
  const verify = (seed: number, meters = 100) => runForge(['verify', ...scenario(seed, meters), ...pgArgs, '--json'], dir);
  const report = (stdout: string) => (JSON.parse(stdout) as { reports: Record<string, number>[] }).reports[0];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses another seed over the same keys, changing nothing; skip and replace say which values win; the summary counts inserted rows', async () => {
    const first = generate(scenario(1));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/postgres: 9,600 rows ->/);

    // Another seed over the same meters and dates: refused, with the count and an example key, nothing written.
    const other = generate([...scenario(2), '--append']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/already holds 9,600 of these readings with different values \(e\.g\. MTR-TGC-0000001 at 2026-03-01T06:00Z\).*--on-conflict skip.*\[FORGE_ERR_CONFLICTING_ROWS\]/);
    expect(other.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(report(verify(1).stdout)).toMatchObject({ expected: 9_600, found: 9_600, missing: 0, duplicates: 0, differing: 0 });
    expect((await jobRecords(stateDir)).filter((r) => r.status === 'failed')).toHaveLength(1);

    // The same scenario again: nothing inserted, and the summary says so instead of claiming 9,600 rows.
    const same = generate([...scenario(1), '--append']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/postgres: 0 rows \(9,600 already there: skipped\)/);

    // skip: the table's readings are kept, counted as skipped.
    const skip = generate([...scenario(2), '--append', '--on-conflict', 'skip']);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stdout).toMatch(/postgres: 0 rows \(9,600 already there: skipped\)/);
    expect(report(verify(1).stdout)).toMatchObject({ found: 9_600, differing: 0 });

    // replace: a bigger fleet of the other seed overwrites the 100 meters' readings and adds 20 meters.
    const replace = generate([...scenario(2, 120), '--append', '--on-conflict', 'replace']);
    expect(replace.code, replace.stderr).toBe(0);
    expect(replace.stdout).toMatch(/postgres: 11,520 rows \(9,600 replaced\)/);
    const replaced = verify(2, 120);
    expect(replaced.code, replaced.stdout + replaced.stderr).toBe(0);
    expect(report(replaced.stdout)).toMatchObject({ expected: 11_520, found: 11_520, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect(rows[0].n).toBe(11_520);
  }, 180_000);

  it('refuses --on-conflict without the postgres sink, or with a value it does not know (exit 2, field named)', () => {
    const noPg = runForge(['generate', ...scenario(1), '--sink', 'duckdb', '--out', join(dir, 'x.duckdb'), '--on-conflict', 'skip', '--state-dir', stateDir], dir);
    expect(noPg.code).toBe(2);
    expect(noPg.stderr).toMatch(/onConflict: --on-conflict applies to the postgres sink only/);
    const bad = generate([...scenario(1), '--append', '--on-conflict', 'overwrite']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/onConflict/);
  }, 60_000);
});
