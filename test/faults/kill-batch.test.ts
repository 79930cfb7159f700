import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { FAULT_SEED, duckFactCounts, duckNumber, forge, jobRecords, killAfter, seededRandom, settledStatus, startForge, verifyCounts, waitFor } from '../support/faults.js';

/**
 * kill -9 of a batch job (`forge generate`) at seeded random moments, then a re-run with the same settings (a new job;
 * kill-batch-resume.test.ts completes the killed job itself with `forge generate --resume`).
 *
 * What a batch job promises after kill -9 for such a re-run:
 * - DuckDB: the job's readings commit in one transaction at its end, so a killed job leaves no reading; the re-run
 *   with the same settings writes exactly the scenario (nothing to --append to).
 * - Postgres: each batch commits with the job's checkpoint, so a killed job leaves whole batches; the re-run is
 *   refused without --append (FORGE_ERR_TABLE_EXISTS) and with --append adds exactly the missing readings (the
 *   table's key absorbs the rest).
 * - Files: a part file appears (rename) only when complete, so every visible file after kill -9 is whole.
 */

const random = seededRandom(FAULT_SEED ^ 0xba7c);
/** A kill moment after the job record appears (the job then builds its fleet, opens its sinks and writes): 600 ms to 2 s, seeded. */
const killDelay = (): number => Math.round(600 + random() * 1_400);

const START = '2026-06-01';
const scenarioArgs = (meters: number, days: number): string[] => ['--meters', String(meters), '--days', String(days), '--start', START, '--seed', '5'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-batch-'));
  console.info(`fault seed ${FAULT_SEED} (FORGE_FAULT_SEED repeats a run)`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once the state directory holds a running record of a job other than `seen`. */
const started = (stateDir: string, seen: Set<string>) =>
  waitFor(async () => (await jobRecords(stateDir)).find((r) => r.status === 'running' && !seen.has(r.jobId))?.jobId as string | undefined);

describe('kill -9 of a batch job into DuckDB', () => {
  it('leaves no reading of the killed job; the same command then writes exactly the scenario, verified and validated', async () => {
    const work = join(dir, 'duck');
    await mkdir(work, { recursive: true });
    const out = join(work, 'forge.duckdb');
    const stateDir = join(work, 'jobs');
    const args = ['generate', ...scenarioArgs(800, 10), '--out', out, '--state-dir', stateDir];
    const expected = 800 * 10 * 96;
    const seen = new Set<string>();
    const kills: number[] = [];
    for (let point = 0; point < 2; point++) {
      // Once the sink has created (or opened) the database file, the job is writing: killed 100 to 800 ms later.
      const delay = Math.round(100 + random() * 700);
      const run = startForge(args, work);
      const opened = started(stateDir, seen).then(() => waitFor(async () => (existsSync(out) ? true : undefined)));
      const killed = await killAfter(run, opened, delay);
      for (const r of await jobRecords(stateDir)) seen.add(r.jobId);
      if (!killed) continue;
      kills.push(delay);
      // One transaction per job: the file (if DuckDB created it yet) holds none of the killed job's readings.
      const counts = await duckFactCounts(out).catch(() => ({ rows: 0, keys: 0 }));
      expect(counts.rows).toBe(0);
    }
    console.info(`batch duckdb: killed ${kills.join(' ms and ')} ms after the database file appeared`);
    expect(kills.length).toBeGreaterThan(0);
    // The killed jobs read as interrupted (once their heartbeat is stale).
    for (const jobId of seen) await settledStatus(stateDir, jobId);
    expect((await forge(['jobs', '--json', '--state-dir', stateDir], work)).stdout).toMatch(/"status":"interrupted"/);

    const final = await forge(args, work);
    expect(final.code, final.stderr).toBe(0);
    expect(await duckFactCounts(out)).toEqual({ rows: expected, keys: expected });
    const verify = await forge(['verify', ...scenarioArgs(800, 10), '--out', out, '--json'], work);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verifyCounts(verify.stdout).reports[0]).toMatchObject({ expected, found: expected, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    // forge validate checks the row count against the jobs recorded in the file: the killed ones wrote nothing.
    const validate = await forge(['validate', '--out', out, '--json'], work);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  }, 180_000);
});

describe('kill -9 of a batch job into Parquet files', () => {
  it('leaves only whole part files visible; a re-run into a fresh directory writes exactly the scenario', async () => {
    const work = join(dir, 'parquet');
    await mkdir(work, { recursive: true });
    const out = join(work, 'out');
    const stateDir = join(work, 'jobs');
    const meters = 1_000;
    const days = 8;
    const args = ['generate', ...scenarioArgs(meters, days), '--sink', 'parquet', '--state-dir', stateDir];
    // Killed once the first part file is in place, while later dates are being written.
    const firstFile = waitFor(async () => ((await readdir(out, { recursive: true }).catch(() => [] as string[])).some((f) => f.endsWith('.parquet') && !f.split('/').at(-1)!.startsWith('.')) ? true : undefined));
    const delay = Math.round(random() * 800);
    const killed = await killAfter(startForge([...args, '--out', out], work), firstFile, delay);
    console.info(`batch parquet: ${killed ? `killed ${delay} ms after the first part file appeared` : 'finished before the kill'}`);
    const visible: string[] = [];
    let hidden = 0;
    for (const entry of await readdir(out, { recursive: true, withFileTypes: true }).catch(() => [])) {
      if (!entry.isFile()) continue;
      if (entry.name.startsWith('.')) hidden++;
      else visible.push(join(entry.parentPath, entry.name));
    }
    console.info(`batch parquet after kill -9: ${visible.length} whole part files visible, ${hidden} hidden temporary files left`);
    // Every visible part file is whole: one local date of every meter (June dates: 96 readings a meter).
    for (const file of visible) {
      expect(await duckNumber(':memory:', `SELECT count(*) FROM read_parquet('${file}')`), file).toBe(meters * 96);
    }
    // The directory is not empty: a plain re-run there is refused rather than mixing outputs.
    if (visible.length + hidden > 0) {
      const again = await forge([...args, '--out', out], work);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/FORGE_ERR_OUTPUT_EXISTS/);
    }
    const fresh = join(work, 'fresh');
    const rerun = await forge([...args, '--out', fresh], work);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await duckNumber(':memory:', `SELECT count(*) FROM read_parquet('${fresh}/**/*.parquet')`)).toBe(meters * days * 96);
    expect(await duckNumber(':memory:', `SELECT count(*) FROM (SELECT DISTINCT meter_id, reading_ts_utc FROM read_parquet('${fresh}/**/*.parquet'))`)).toBe(meters * days * 96);
  }, 180_000);
});

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe('fault suite services (Postgres)', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service).toMatchObject({ available: true });
  });
});

describe.runIf(gate.run)(`kill -9 of a batch job into Postgres ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('leaves whole committed batches; a re-run with --append completes it: 0 missing, 0 duplicates', async () => {
    const work = join(dir, 'pg');
    await mkdir(work, { recursive: true });
    const stateDir = join(work, 'jobs');
    const table = `fault_batch_${runId()}`;
    const meters = 600;
    const days = 8;
    const expected = meters * days * 96;
    const args = ['generate', ...scenarioArgs(meters, days), '--sink', 'postgres', '--pg-url', PG_TEST_URL, '--pg-table', table, '--state-dir', stateDir, '--batch-size', '10000'];
    const seen = new Set<string>();
    const held: number[] = [];
    for (let point = 0; point < 2; point++) {
      const delay = killDelay();
      const run = startForge(point === 0 ? args : [...args, '--append'], work);
      const killed = await killAfter(run, started(stateDir, seen), delay);
      for (const r of await jobRecords(stateDir)) seen.add(r.jobId);
      const { rows } = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts_utc))::int AS k FROM ${table}`).catch(() => ({ rows: [{ n: 0, k: 0 }] }));
      expect(rows[0].n).toBe(rows[0].k);
      held.push(rows[0].n);
      console.info(`batch postgres: kill ${point + 1} ${killed ? `at ${delay} ms` : 'too late (job had finished)'}, table holds ${rows[0].n} of ${expected}`);
    }
    if (held[0]! > 0) {
      // The table holds rows: the same command without --append is refused and changes nothing.
      const refused = await forge(args, work);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/FORGE_ERR_TABLE_EXISTS/);
    }
    const final = await forge([...args, '--append'], work);
    expect(final.code, final.stderr).toBe(0);
    const verify = await forge(['verify', ...scenarioArgs(meters, days), '--sink', 'postgres', '--pg-url', PG_TEST_URL, '--pg-table', table, '--json'], work);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verifyCounts(verify.stdout).reports[0]).toMatchObject({ expected, found: expected, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    await admin.query(`DROP TABLE ${table}`);
  }, 180_000);
});
