import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/jobs/job-store.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { FAULT_SEED, duckFactCounts, duckNumber, forge, jobRecords, killAfter, seededRandom, startForge, verifyCounts, waitFor } from '../support/faults.js';

/**
 * Issue 12 case 6: a batch job killed with SIGKILL at a seeded random point is completed by `forge generate --resume
 * <job>`: exactly its scenario in every sink, including dual writes. Before, the only way on was `--append`, which
 * duplicated what the killed run had written (Parquet 1,104,000 rows for 960,000) or was refused.
 *
 * Each case: start the job, wait until its record shows a seeded share of its batches delivered, SIGKILL it after a
 * further seeded delay, wait until the record reads interrupted (its heartbeat stops), resume, then check with
 * `forge verify --job` (DuckDB, Postgres: 0 missing, 0 duplicates, 0 differing) and, for Parquet, row and key counts
 * and a row-for-row comparison with an uninterrupted run of the same scenario.
 */

const random = seededRandom(FAULT_SEED ^ 0x7e5a);
const START = '2026-06-01';
const METERS = 600;
const DAYS = 8;
const EXPECTED = METERS * DAYS * 96;
/** 10,000-row batches: 6 a day, 48 in the job, so kill points land between many checkpoints. */
const BATCH = ['--batch-size', '10000'];
const UNITS = DAYS * Math.ceil(METERS / Math.floor(10_000 / 96));
const scenarioArgs = ['--meters', String(METERS), '--days', String(DAYS), '--start', START, '--seed', '9'];

let dir: string;
const kills: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-resume-'));
  console.info(`fault seed ${FAULT_SEED} (FORGE_FAULT_SEED repeats a run)`);
});
afterAll(async () => {
  console.info(`batch resume kill points: ${kills.join('; ')}`);
  await rm(dir, { recursive: true, force: true });
});

interface Killed {
  readonly jobId: string;
  /** False when the job finished before the kill (it then has nothing to resume). */
  readonly killed: boolean;
}

/**
 * Runs `forge generate <args>` in `work` and SIGKILLs it once its record's checkpoint reaches a seeded unit (within
 * the first 40% of the job), a seeded 0 to 400 ms later; waits until the record no longer reads running.
 */
async function killedJob(name: string, args: readonly string[], work: string, stateDir: string): Promise<Killed> {
  const target = Math.floor(random() * UNITS * 0.4);
  const delay = Math.round(random() * 400);
  const run = startForge(['generate', ...args, '--state-dir', stateDir], work);
  const reached = waitFor(async () => {
    const record = (await jobRecords(stateDir))[0];
    return record && (record.status !== 'running' || (record.stats.checkpoint ?? -1) >= target) ? record.jobId : undefined;
  }, 120_000);
  const signalled = await killAfter(run, reached, delay);
  const jobId = (await jobRecords(stateDir))[0]!.jobId;
  // The killed owner stops beating: the job reads interrupted within the heartbeat's stale time. A process killed
  // while exiting had already recorded its job completed.
  const store = new JobStore(stateDir);
  const status = await waitFor(async () => {
    const s = (await store.load(jobId)).status;
    return s === 'running' ? undefined : s;
  }, 60_000);
  expect(signalled || status === 'completed').toBe(true);
  expect(['interrupted', 'completed']).toContain(status);
  const killed = status === 'interrupted';
  kills.push(`${name}: ${killed ? `checkpoint >= ${target} of ${UNITS - 1}, +${delay} ms` : 'finished before the kill'}`);
  return { jobId, killed };
}

/** `forge generate --resume`: exit 0 and the whole job's rows in the summary (or, not killed: nothing to resume). */
async function resume(job: Killed, work: string, stateDir: string): Promise<Record<string, unknown> | null> {
  const resumed = await forge(['generate', '--resume', job.jobId, '--state-dir', stateDir, '--json'], work);
  if (!job.killed) {
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/completed; there is nothing to resume \[FORGE_ERR_JOB_STATE\]/);
    return null;
  }
  expect(resumed.code, resumed.stderr).toBe(0);
  const summary = JSON.parse(resumed.stdout) as { rows: number; status: string; sinks: { sink: string; rows: number }[]; resumed: { after: number } };
  expect(summary).toMatchObject({ status: 'completed', rows: EXPECTED });
  for (const sink of summary.sinks) expect(sink.rows, sink.sink).toBe(EXPECTED);
  const record = await new JobStore(stateDir).load(job.jobId);
  expect(record).toMatchObject({ status: 'completed', stats: { delivered: EXPECTED } });
  return summary;
}

/** forge verify --job: every target it reads back holds the scenario exactly. */
async function verifyJob(jobId: string, work: string, stateDir: string, targets: number): Promise<void> {
  const verify = await forge(['verify', '--job', jobId, '--state-dir', stateDir, '--json'], work);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const { reports } = verifyCounts(verify.stdout);
  expect(reports).toHaveLength(targets);
  for (const report of reports) expect(report).toMatchObject({ expected: EXPECTED, found: EXPECTED, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
}

/** An uninterrupted Parquet run of the scenario, to compare a resumed one with (built once). */
let reference: Promise<string> | null = null;
function referenceParquet(): Promise<string> {
  reference ??= (async () => {
    const out = join(dir, 'reference-parquet');
    const run = await forge(['generate', ...scenarioArgs, ...BATCH, '--sink', 'parquet', '--out', out, '--state-dir', join(dir, 'reference-jobs')], dir);
    expect(run.code, run.stderr).toBe(0);
    return out;
  })();
  return reference;
}

/** The Parquet directory holds the scenario exactly: every row once, the same rows as an uninterrupted run. */
async function expectParquetExact(out: string): Promise<void> {
  const files = `read_parquet('${out}/**/*.parquet', hive_partitioning = false)`;
  expect(await duckNumber(':memory:', `SELECT count(*) FROM ${files}`)).toBe(EXPECTED);
  expect(await duckNumber(':memory:', `SELECT count(*) FROM (SELECT DISTINCT meter_id, reading_ts_utc FROM ${files})`)).toBe(EXPECTED);
  const ref = `read_parquet('${await referenceParquet()}/**/*.parquet', hive_partitioning = false)`;
  expect(await duckNumber(':memory:', `SELECT count(*) FROM (SELECT * FROM ${files} EXCEPT ALL SELECT * FROM ${ref})`)).toBe(0);
  expect(await duckNumber(':memory:', `SELECT count(*) FROM (SELECT * FROM ${ref} EXCEPT ALL SELECT * FROM ${files})`)).toBe(0);
}

async function workDir(name: string): Promise<{ work: string; stateDir: string }> {
  const work = join(dir, name);
  await mkdir(work, { recursive: true });
  return { work, stateDir: join(work, 'jobs') };
}

describe('kill -9 of a batch job, then forge generate --resume (no services)', () => {
  it('DuckDB: the killed run left nothing; the resume writes the whole scenario once, verified', async () => {
    const { work, stateDir } = await workDir('duck');
    const out = join(work, 'forge.duckdb');
    const job = await killedJob('duckdb', [...scenarioArgs, ...BATCH, '--out', out], work, stateDir);
    if (job.killed && existsSync(out)) expect((await duckFactCounts(out).catch(() => ({ rows: 0, keys: 0 }))).rows).toBe(0);
    // The same command again is refused only if the file holds rows; --resume is what completes the job.
    await resume(job, work, stateDir);
    expect(await duckFactCounts(out)).toEqual({ rows: EXPECTED, keys: EXPECTED });
    await verifyJob(job.jobId, work, stateDir, 1);
    const validate = await forge(['validate', '--out', out, '--json'], work);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  }, 240_000);

  it('Parquet: whole parts are kept, the partial tail replaced; every row once, as an uninterrupted run writes it', async () => {
    const { work, stateDir } = await workDir('parquet');
    const out = join(work, 'out');
    const job = await killedJob('parquet', [...scenarioArgs, ...BATCH, '--sink', 'parquet', '--out', out], work, stateDir);
    await resume(job, work, stateDir);
    await expectParquetExact(out);
  }, 240_000);

  it('dual write DuckDB + Parquet: each sink is sent only what it lacks', async () => {
    const { work, stateDir } = await workDir('duck-parquet');
    const job = await killedJob('duckdb+parquet', [...scenarioArgs, ...BATCH, '--sink', 'duckdb,parquet'], work, stateDir);
    await resume(job, work, stateDir);
    expect(await duckFactCounts(join(work, 'forge-data', 'forge.duckdb'))).toEqual({ rows: EXPECTED, keys: EXPECTED });
    await verifyJob(job.jobId, work, stateDir, 1);
    await expectParquetExact(join(work, 'forge-data', 'parquet'));
  }, 240_000);

  it('refuses job flags with --resume, a completed job and a running one', async () => {
    const { work, stateDir } = await workDir('refusals');
    const flags = await forge(['generate', '--resume', 'job-x', '--meters', '5', '--sink', 'parquet', '--state-dir', stateDir], work);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/resume: --resume takes the scenario, sinks and batch size from the job's record; drop --meters, --sink \[FORGE_ERR_INVALID_CONFIG\]/);
    const unknown = await forge(['generate', '--resume', 'job-nope', '--state-dir', stateDir], work);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/FORGE_ERR_JOB_NOT_FOUND/);
    const done = await forge(['generate', '--meters', '5', '--days', '1', '--start', START, '--out', join(work, 'done.duckdb'), '--state-dir', stateDir, '--json'], work);
    expect(done.code, done.stderr).toBe(0);
    const { jobId } = JSON.parse(done.stdout) as { jobId: string };
    const again = await forge(['generate', '--resume', jobId, '--state-dir', stateDir], work);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/completed; there is nothing to resume \[FORGE_ERR_JOB_STATE\]/);
    // A running job (its owner alive and beating) is refused: it must be stopped first.
    const running = startForge(['generate', ...scenarioArgs, '--days', '30', '--out', join(work, 'running.duckdb'), '--state-dir', stateDir], work);
    const runningId = await waitFor(async () => (await jobRecords(stateDir)).find((r) => r.status === 'running')?.jobId);
    const refused = await forge(['generate', '--resume', runningId!, '--state-dir', stateDir], work);
    running.child.kill('SIGKILL');
    await running.done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is still running .*stop it first with forge stop .*\[FORGE_ERR_JOB_STATE\]/);
  }, 240_000);
});

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe('batch resume suite services (Postgres)', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service).toMatchObject({ available: true });
  });
});

describe.runIf(gate.run)(`kill -9 of a batch job into Postgres, then --resume ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;
  const tables: string[] = [];
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    for (const table of tables) await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });
  const pgArgs = (): string[] => {
    const table = `resume_batch_${runId()}_${tables.length}`;
    tables.push(table);
    return ['--pg-url', PG_TEST_URL, '--pg-table', table];
  };
  const pgCounts = async (table: string): Promise<{ n: number; k: number }> =>
    (await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts_utc))::int AS k FROM ${table}`)).rows[0];

  it('Postgres: committed batches are kept (checkpoint in the same transaction), the rest written once', async () => {
    const { work, stateDir } = await workDir('pg');
    const pgFlags = pgArgs();
    const job = await killedJob('postgres', [...scenarioArgs, ...BATCH, '--sink', 'postgres', ...pgFlags], work, stateDir);
    await resume(job, work, stateDir);
    expect(await pgCounts(tables.at(-1)!)).toEqual({ n: EXPECTED, k: EXPECTED });
    await verifyJob(job.jobId, work, stateDir, 1);
  }, 240_000);

  it('dual write Postgres + Parquet', async () => {
    const { work, stateDir } = await workDir('pg-parquet');
    const job = await killedJob('postgres+parquet', [...scenarioArgs, ...BATCH, '--sink', 'postgres,parquet', ...pgArgs()], work, stateDir);
    await resume(job, work, stateDir);
    expect(await pgCounts(tables.at(-1)!)).toEqual({ n: EXPECTED, k: EXPECTED });
    await verifyJob(job.jobId, work, stateDir, 1);
    await expectParquetExact(join(work, 'forge-data', 'parquet'));
  }, 240_000);

  it('dual write DuckDB + Postgres: both verified by forge verify --job', async () => {
    const { work, stateDir } = await workDir('duck-pg');
    const job = await killedJob('duckdb+postgres', [...scenarioArgs, ...BATCH, '--sink', 'duckdb,postgres', ...pgArgs()], work, stateDir);
    await resume(job, work, stateDir);
    expect(await pgCounts(tables.at(-1)!)).toEqual({ n: EXPECTED, k: EXPECTED });
    await verifyJob(job.jobId, work, stateDir, 2);
  }, 240_000);
});
