import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { FAULT_SEED, duckFactCounts, forge, jobRecords, killAfter, seededRandom, settledStatus, startForge, verifyCounts, waitFor } from '../support/faults.js';

/**
 * kill -9 of a stream job at seeded random moments (twice: the first run, then the resumed run), then
 * `forge stream --resume` to the end and `forge verify --job`: every reading of the window in every sink exactly once.
 * (test/stream/stream-job.test.ts kills once at the first checkpoint; this kills at random points, resumes twice.)
 */

const random = seededRandom(FAULT_SEED ^ 0x57e4);
const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

let dir: string;
let admin: pg.Client | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-stream-'));
  if (gate.run) {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  }
});
afterAll(async () => {
  await admin?.end();
  await rm(dir, { recursive: true, force: true });
});

describe('fault suite services (Postgres, streams)', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service).toMatchObject({ available: true });
  });
});

const sinks = gate.run ? 'duckdb,postgres' : 'duckdb';

describe(`kill -9 of a stream job into ${sinks}${gate.run ? '' : gate.note}`, () => {
  it('killed twice at random points and resumed each time: verify --job finds 0 missing and 0 duplicates', async () => {
    const work = join(dir, 'stream');
    await mkdir(work, { recursive: true });
    const stateDir = join(work, 'jobs');
    const table = `fault_stream_${runId()}`;
    const meters = 300;
    const expected = meters * 48; // 12 hours at 15 minutes
    const args = ['stream', '--meters', String(meters), '--area', 'ERCOT', '--seed', '9', '--from', '2026-06-01T05:00:00Z', '--duration', '12h', '--speed', '5400',
      '--emission-pattern', 'DEGRADED_NETWORK', '--batch-rows', '2000', '--sink', sinks, '--out', join(work, 'forge.duckdb'), '--state-dir', stateDir,
      ...(gate.run ? ['--pg-url', PG_TEST_URL, '--pg-table', table] : [])];

    // A run is "in flight" once its own process has recorded a checkpoint past `after`.
    const checkpointed = (pid: number, after: number) =>
      waitFor(async () => (await jobRecords(stateDir)).find((r) => r.pid === pid && (r.stats.checkpoint ?? -1) > after && r.stats.delivered > 0));

    const first = startForge(args, work);
    const delay1 = Math.round(random() * 1_500);
    const killed1 = await killAfter(first, checkpointed(first.child.pid!, -1), delay1);
    const [record1] = await jobRecords(stateDir);
    expect(record1).toBeDefined();
    const jobId = record1!.jobId;
    if (killed1) expect(await settledStatus(stateDir, jobId)).toBe('interrupted');
    const listed = await forge(['jobs', '--json', '--state-dir', stateDir], work);
    if (killed1) expect(JSON.parse(listed.stdout)[0]).toMatchObject({ jobId, status: 'interrupted' });

    const resumed = startForge(['stream', '--resume', jobId, '--state-dir', stateDir], work);
    const delay2 = Math.round(random() * 1_500);
    const killed2 = await killAfter(resumed, checkpointed(resumed.child.pid!, record1!.stats.checkpoint ?? -1), delay2);
    if (killed2) expect(await settledStatus(stateDir, jobId)).toBe('interrupted');
    const record2 = (await jobRecords(stateDir))[0]!;
    console.info(
      `stream ${sinks}: kill 1 ${killed1 ? `${delay1} ms after the first checkpoint (checkpoint tick ${record1!.stats.checkpoint}, ${record1!.stats.delivered} delivered)` : 'too late'}; ` +
        `kill 2 ${killed2 ? `${delay2} ms after the resumed run's first checkpoint (tick ${record2.stats.checkpoint})` : 'too late'}`,
    );
    expect(killed1 || killed2).toBe(true);

    if (record2.status !== 'completed') {
      const last = await forge(['stream', '--resume', jobId, '--state-dir', stateDir, '--json'], work);
      expect(last.code, last.stderr).toBe(0);
    }
    const final = (await jobRecords(stateDir))[0]!;
    expect(final.status).toBe('completed');
    expect(await duckFactCounts(join(work, 'forge.duckdb'))).toEqual({ rows: expected, keys: expected });
    if (admin) {
      const { rows } = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts_utc))::int AS k FROM ${table}`);
      expect(rows[0]).toEqual({ n: expected, k: expected });
    }
    const verify = await forge(['verify', '--job', jobId, '--state-dir', stateDir, '--json'], work);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const reports = verifyCounts(verify.stdout).reports;
    expect(reports).toHaveLength(gate.run ? 2 : 1);
    for (const report of reports) expect(report).toMatchObject({ expected, found: expected, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    if (admin) await admin.query(`DROP TABLE ${table}`);
  }, 180_000);
});
