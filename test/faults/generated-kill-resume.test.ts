import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/jobs/job-store.js';
import { NATS_STREAM_ENV, NATS_SUBJECT_PREFIX_ENV, TESTING_MIN_DUPLICATE_WINDOW_ENV } from '../../src/sinks/nats/nats-options.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { NATS_URL, natsBroker, runId } from '../support/brokers.js';
import { SHORT_WINDOW_MS, removeStream, shortWindowStream, subjectContents, waitPastDuplicateWindow } from '../support/nats-streams.js';
import { PG_TEST_URL, postgresService } from '../support/services.js';
import { duckNumber, forge, jobRecords, killAfter, startForge, verifyCounts, waitFor } from '../support/faults.js';

/**
 * Generated cases (issue 12, "Proof"): a random set of one or two sinks among DuckDB, Postgres, NATS, the stage and
 * the file sinks, a batch job SIGKILLed at a random point, `forge generate --resume`, then every sink checked: each
 * holds every reading of the scenario exactly once (DuckDB and Postgres through `forge verify --job`, the others by
 * counting rows and distinct keys or message ids). fast-check with a fixed seed and a bounded number of runs; a sink
 * whose service is absent is left out of the choice (and said so). Counts are printed and kept in RELIABILITY.md.
 */

const SEED = 20261206;
const RUNS = Number(process.env.FORGE_GENERATED_RUNS ?? 8);
const METERS = 300;
const DAYS = 4;
const EXPECTED = METERS * DAYS * 96;
/** 2,000-row batches: 20 meters x 96 readings, 15 a day, 60 in the job. */
const UNITS = DAYS * Math.ceil(METERS / Math.floor(2_000 / 96));
const scenarioArgs = ['--meters', String(METERS), '--days', String(DAYS), '--start', '2026-06-01', '--seed', '3', '--batch-size', '2000'];

const pgStatus = await postgresService(PG_TEST_URL);
const natsStatus = await natsBroker();
const FILE_SINKS = ['parquet', 'csv', 'ndjson'] as const;
const SINKS = ['duckdb', 'stage', ...FILE_SINKS, ...(pgStatus.available ? ['postgres'] : []), ...(natsStatus.available ? ['nats'] : [])];

let dir: string;
let nc: NatsConnection | null = null;
let jsm: JetStreamManager | null = null;
let admin: pg.Client | null = null;
const streams: string[] = [];
const tables: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-generated-resume-'));
  if (!pgStatus.available) console.info(`generated kill/resume: postgres left out (${redactPgUrl(PG_TEST_URL)}: ${pgStatus.reason})`);
  if (!natsStatus.available) console.info(`generated kill/resume: nats left out (${NATS_URL}: ${natsStatus.reason})`);
  if (natsStatus.available) {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  }
  if (pgStatus.available) {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  }
});
afterAll(async () => {
  for (const name of streams) await removeStream(jsm!, name);
  for (const table of tables) await admin?.query(`DROP TABLE IF EXISTS ${table}`);
  await nc?.close();
  await admin?.end();
  await rm(dir, { recursive: true, force: true });
});

describe('generated kill -9 / --resume cases over random sink sets', () => {
  it.runIf(process.env.CI !== undefined)('has Postgres and NATS to choose from (required on CI)', () => {
    expect(pgStatus.available, pgStatus.reason).toBe(true);
    expect(natsStatus.available, natsStatus.reason).toBe(true);
  });

  it(`every sink holds the scenario exactly once after a kill at a random point and a resume (fast-check seed ${SEED}, ${RUNS} runs)`, async () => {
    const tally = { runs: 0, killed: 0, finishedFirst: 0, sinkChecks: 0, sets: [] as string[] };
    const sinkSet = fc
      .uniqueArray(fc.constantFrom(...SINKS), { minLength: 1, maxLength: 2 })
      // One file sink at most: two would share nothing to test but disk time.
      .filter((set) => set.filter((s) => (FILE_SINKS as readonly string[]).includes(s)).length <= 1);
    await fc.assert(
      // noBias: spread over the whole range, not piled on its edges (every kill at batch 0 tests one point only).
      fc.asyncProperty(fc.noBias(sinkSet), fc.noBias(fc.integer({ min: 0, max: 70 })), fc.noBias(fc.integer({ min: 0, max: 400 })), async (sinks, percent, delay) => {
        tally.runs++;
        const work = join(dir, `run-${tally.runs}`);
        await mkdir(work, { recursive: true });
        const stateDir = join(work, 'jobs');
        const args = ['generate', ...scenarioArgs, '--sink', sinks.join(','), '--state-dir', stateDir];
        const env: Record<string, string> = {};
        let subject = '';
        let streamName = '';
        if (sinks.includes('postgres')) {
          const table = `gen_resume_${runId()}`;
          tables.push(table);
          args.push('--pg-url', PG_TEST_URL, '--pg-table', table);
        }
        if (sinks.includes('stage')) args.push('--stage', join(work, 'stage'));
        if (sinks.includes('nats')) {
          const stream = await shortWindowStream(jsm!);
          streams.push(stream.streamName);
          streamName = stream.streamName;
          subject = `${stream.subjectPrefix}.TEXAS_GULF_COAST`;
          Object.assign(env, { [NATS_STREAM_ENV]: stream.streamName, [NATS_SUBJECT_PREFIX_ENV]: stream.subjectPrefix, [TESTING_MIN_DUPLICATE_WINDOW_ENV]: String(SHORT_WINDOW_MS) });
          args.push('--nats-url', NATS_URL);
        }

        // Killed `delay` ms after the record's checkpoint reaches the chosen share of the job's batches.
        const target = Math.floor((percent / 100) * UNITS);
        const run = startForge(args, work, env);
        const reached = waitFor(async () => {
          const record = (await jobRecords(stateDir))[0];
          return record && (record.status !== 'running' || (record.stats.checkpoint ?? -1) >= target) ? true : undefined;
        }, 120_000);
        await killAfter(run, reached, delay);
        const jobId = (await jobRecords(stateDir))[0]!.jobId;
        const store = new JobStore(stateDir);
        // Killed mid-job, the record reads interrupted once the heartbeat is stale; killed while exiting, completed.
        const status = await waitFor(async () => {
          const s = (await store.load(jobId)).status;
          return s === 'running' ? undefined : s;
        }, 60_000);
        expect(['interrupted', 'completed']).toContain(status);
        const killed = status === 'interrupted';
        if (killed) tally.killed++;
        else tally.finishedFirst++;
        tally.sets.push(`${sinks.join('+')}@${target}${killed ? '' : '(done)'}`);
        if (sinks.includes('nats')) await waitPastDuplicateWindow(nc!, { streamName, subjectPrefix: subject.slice(0, subject.lastIndexOf('.')) });

        const resumed = await forge(['generate', '--resume', jobId, '--state-dir', stateDir, '--json'], work, env);
        if (killed) {
          expect(resumed.code, resumed.stderr).toBe(0);
          expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'completed', rows: EXPECTED });
        } else {
          expect(resumed.stderr).toMatch(/nothing to resume/);
        }

        const verifiable = sinks.filter((s) => s === 'duckdb' || s === 'postgres');
        if (verifiable.length > 0) {
          const verify = await forge(['verify', '--job', jobId, '--state-dir', stateDir, '--json'], work, env);
          expect(verify.code, verify.stdout + verify.stderr).toBe(0);
          for (const report of verifyCounts(verify.stdout).reports) {
            expect(report).toMatchObject({ expected: EXPECTED, found: EXPECTED, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
            tally.sinkChecks++;
          }
        }
        for (const sink of sinks.filter((s) => (FILE_SINKS as readonly string[]).includes(s))) {
          const files = join(work, 'forge-data', sink, '**', `*.${sink}`);
          const read = sink === 'parquet' ? `read_parquet('${files}', hive_partitioning = false)` : sink === 'csv' ? `read_csv('${files}', hive_partitioning = false)` : `read_json('${files}', hive_partitioning = false)`;
          expect(await duckNumber(':memory:', `SELECT count(*) FROM ${read}`), sink).toBe(EXPECTED);
          expect(await duckNumber(':memory:', `SELECT count(*) FROM (SELECT DISTINCT meter_id, reading_ts_utc FROM ${read})`), sink).toBe(EXPECTED);
          tally.sinkChecks++;
        }
        if (sinks.includes('stage')) {
          const read = `read_json('${join(work, 'stage')}/**/*.json.gz', format = 'newline_delimited', hive_partitioning = false)`;
          expect(await duckNumber(':memory:', `SELECT count(*) FROM ${read}`), 'stage').toBe(EXPECTED);
          expect(await duckNumber(':memory:', `SELECT count(DISTINCT header.message_id) FROM ${read}`), 'stage').toBe(EXPECTED);
          tally.sinkChecks++;
        }
        if (sinks.includes('nats')) {
          const contents = await subjectContents(nc!, jsm!, streamName, subject);
          expect(contents.messages, 'nats messages').toBe(EXPECTED);
          expect(contents.ids.size, 'nats ids').toBe(EXPECTED);
          tally.sinkChecks++;
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.info(
      `generated kill/resume (seed ${SEED}): ${tally.runs} runs, ${tally.killed} killed mid-job, ${tally.finishedFirst} finished before the kill, ` +
        `${tally.sinkChecks} sink checks of ${EXPECTED} readings, 0 violations; cases: ${tally.sets.join(', ')}`,
    );
    expect(tally.killed).toBeGreaterThan(0);
  }, 1_200_000);
});

