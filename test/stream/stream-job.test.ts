import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/jobs/job-store.js';
import { runStreamJob, SinkHealth } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { streamPlan } from '../../src/stream/stream-window.js';
import { validateOutput } from '../../src/validate/validation-checks.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { stoppingAfter } from '../support/stopping-sink.js';
import { withTempDir } from '../support/fixtures.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 150, seed: 3, emissionPattern: 'DEGRADED_NETWORK' });
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const EXPECTED = 150 * 96;

async function duckCounts(path: string): Promise<{ rows: number; keys: number }> {
  const warehouse = await Warehouse.open(path);
  try {
    const rows = await warehouse.number('SELECT count(*) FROM ami_fact');
    const keys = await warehouse.number('SELECT count(*) FROM (SELECT DISTINCT meter_key, reading_ts_utc FROM ami_fact)');
    return { rows, keys };
  } finally {
    warehouse.close();
  }
}

describe('stream job into DuckDB', () => {
  it('stops gracefully with counts equal to what the sink holds, then resumes to exactly the full window', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'stream.duckdb');
      const controller = new AbortController();
      // The DuckDB sink, stopping the job after its 10th batch (as Ctrl-C would, mid-stream).
      const stopping = stoppingAfter(new DuckDbSink({ path }), 10, controller);
      const first = await runStreamJob({
        scenario, window, speed: null, emission: resolveEmission('DEGRADED_NETWORK'), jobId: 'job-s1', maxBatchRows: 500,
        sinks: [stopping], signal: controller.signal,
      });
      expect(first.status).toBe('stopped');
      const held = await duckCounts(path);
      expect(held.rows).toBeGreaterThan(0);
      expect(held.rows).toBeLessThan(EXPECTED);
      expect(held.rows).toBe(held.keys);
      // The job's counts are what the sink holds: readings, its second copies not kept.
      expect(first.stats.sinks[0]!.committed).toBe(held.rows);
      expect(first.stats.delivered - first.stats.duplicates).toBe(held.rows);
      // The stopped job validates on the rows it recorded as committed.
      const stopped = await validateOutput(path);
      expect(stopped.checks.find((c) => c.name === 'row_count')).toMatchObject({ passed: true, detail: expect.stringContaining('ended early') });
      expect(stopped.passed).toBe(true);

      const second = await runStreamJob({
        scenario, window, speed: null, emission: resolveEmission('DEGRADED_NETWORK'), jobId: 'job-s1', maxBatchRows: 500,
        sinks: [new DuckDbSink({ path, append: true })], resume: true,
      });
      expect(second.status).toBe('completed');
      // As fast as the sinks go, the simulated time is what the committed readings reached: past the window's end by
      // the latest backfill at most (hours), not a clock running ahead.
      const reached = Date.parse(second.stats.simulatedUtc!);
      expect(reached).toBeGreaterThan(window.toUtcMs);
      expect(reached).toBeLessThan(window.toUtcMs + 86_400_000);
      expect(await duckCounts(path)).toEqual({ rows: EXPECTED, keys: EXPECTED });
      // Each reading keeps its event time and its emission time, never before its interval has ended.
      const warehouse = await Warehouse.open(path);
      try {
        expect(await warehouse.number('SELECT count(*) FROM ami_fact WHERE emitted_at IS NULL')).toBe(0);
        expect(await warehouse.number(`SELECT count(*) FROM ami_fact WHERE emitted_at < reading_ts_utc + INTERVAL 15 MINUTE`)).toBe(0);
        expect(await warehouse.number(`SELECT count(*) FROM ami_fact WHERE emitted_at >= reading_ts_utc + INTERVAL 30 MINUTE`)).toBeGreaterThan(0);
      } finally {
        warehouse.close();
      }
      expect((await validateOutput(path)).passed).toBe(true);
      // A reading lost behind the job log's back fails the row count.
      const tamper = await Warehouse.open(path);
      try {
        await tamper.connection.run('DELETE FROM ami_fact WHERE rowid = (SELECT min(rowid) FROM ami_fact)');
      } finally {
        tamper.close();
      }
      expect((await validateOutput(path)).checks.find((c) => c.name === 'row_count')?.passed).toBe(false);
    });
  }, 60_000);
});

describe('stream job with its days made in a worker thread', () => {
  it('holds the same readings and labels as one making its days itself, also when stopped and resumed', async () => {
    await withTempDir(async (dir) => {
      // Three days crossing no DST change but with every kind of late delivery, so days' readings interleave.
      const days = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 3, meters: 120, seed: 8, emissionPattern: 'DEGRADED_NETWORK', anomalyRate: '0.05' });
      const span = { fromUtcMs: scenarioStartUtcMs(days) + 5 * 3_600_000, toUtcMs: scenarioEndUtcMs(days) - 3 * 3_600_000 };
      const emission = resolveEmission('DEGRADED_NETWORK', { duplicateRate: 0.02 });
      const common = { scenario: days, window: span, speed: null, emission, maxBatchRows: 700 } as const;
      const whole = join(dir, 'whole.duckdb');
      await runStreamJob({ ...common, jobId: 'job-w', dayWorkers: 0, sinks: [new DuckDbSink({ path: whole })] });
      const resumed = join(dir, 'resumed.duckdb');
      const controller = new AbortController();
      const first = await runStreamJob({
        ...common, jobId: 'job-w', dayWorkers: 1, sinks: [stoppingAfter(new DuckDbSink({ path: resumed }), 25, controller)], signal: controller.signal,
      });
      expect(first.status).toBe('stopped');
      const second = await runStreamJob({ ...common, jobId: 'job-w', dayWorkers: 1, sinks: [new DuckDbSink({ path: resumed, append: true })], resume: true });
      expect(second.status).toBe('completed');
      const content = async (path: string): Promise<unknown[]> => {
        const w = await Warehouse.open(path);
        try {
          const readings = await w.rows(
            `SELECT count(*) AS n, sum(hash(meter_key, reading_ts_utc, usage_kwh, voltage, emitted_at)) AS h FROM ami_fact`,
          );
          const labels = await w.rows(`SELECT meter_id, event_type, CAST(start_ts_utc AS VARCHAR) AS s, CAST(end_ts_utc AS VARCHAR) AS e, readings FROM anomaly_labels ORDER BY ALL`);
          return [readings.map((r) => [String(r.n), String(r.h)]), labels];
        } finally {
          w.close();
        }
      };
      const expected = await content(whole);
      expect((expected[1] as unknown[]).length).toBeGreaterThan(10);
      expect(await content(resumed)).toEqual(expected);
    });
  }, 60_000);
});

describe('a real-time stream from now', () => {
  it('starts its clock at the wall clock: the interval that just ended is delivered at once, nothing from the future', async () => {
    await withTempDir(async (dir) => {
      const base = resolveScenario({ area: 'ERCOT', meters: 100, seed: 4 });
      const { scenario: live, window: w } = streamPlan(base, Date.now(), 3_600_000, true);
      const controller = new AbortController();
      const started = Date.now();
      const duck = new DuckDbSink({ path: join(dir, 'live.duckdb') });
      const summary = await runStreamJob({
        scenario: live, window: w, speed: 1, clockStartUtcMs: Date.now(), emission: resolveEmission('UNIFORM'), jobId: 'job-live',
        sinks: [stoppingAfter(duck, 1, controller)],
        signal: controller.signal,
      });
      expect(summary.status).toBe('stopped');
      expect(Date.now() - started).toBeLessThan(10_000);
      // UNIFORM: the 100 meters reported together at the end of the interval that just ended.
      expect(summary.stats.delivered).toBe(100);
      const warehouse = await Warehouse.open(join(dir, 'live.duckdb'));
      try {
        expect(await warehouse.number(`SELECT count(*) FROM ami_fact WHERE epoch_ms(reading_ts_utc) = ${w.fromUtcMs}`)).toBe(100);
        expect(await warehouse.number(`SELECT count(*) FROM ami_fact WHERE epoch_ms(emitted_at) > ${Date.now()}`)).toBe(0);
      } finally {
        warehouse.close();
      }
    });
  }, 30_000);
});

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe('stream job services', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service).toMatchObject({ available: true });
  });
});

describe.runIf(gate.run)(`stream job into Postgres ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('rides out its connections being terminated mid-stream: reported degraded, then recovered, nothing lost or doubled', async () => {
    const table = `stream_outage_${runId()}`;
    const app = `forge-stream-${runId()}`;
    const health = new SinkHealth();
    const states: string[] = [];
    const sink = PostgresSink.fromTableName(table, {
      url: PG_TEST_URL, applicationName: app, retry: { initialDelayMs: 20, maxDelayMs: 200, maxRetryMs: 20_000 },
      onStatus: (s) => {
        states.push(s.state);
        health.update({ sink: 'postgres', state: s.state, ...(s.state === 'degraded' ? { error: s.error } : {}) });
      },
    });
    let killed = false;
    const summary = await runStreamJob({
      scenario, window, speed: 60 * 60 * 24 / 3, emission: resolveEmission('DEGRADED_NETWORK'), jobId: `job-${app}`, sinks: [sink], health,
      onStats: (stats) => {
        if (!killed && stats.delivered > 0) {
          killed = true;
          void admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
        }
      },
    });
    expect(killed).toBe(true);
    expect(states).toContain('degraded');
    expect(states.at(-1)).toBe('recovered');
    const { rows } = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts_utc))::int AS k FROM ${table}`);
    expect(rows[0]).toEqual({ n: EXPECTED, k: EXPECTED });
    expect(summary.stats.sinks[0]).toMatchObject({ sink: 'postgres', state: 'ok' });
    await admin.query(`DROP TABLE ${table}`);
  }, 60_000);

  it('forge stream into DuckDB and Postgres survives kill -9: --resume completes with no gap and no duplicate', async () => {
    await withTempDir(async (dir) => {
      const table = `stream_kill_${runId()}`;
      const args = ['--meters', '400', '--area', 'ERCOT', '--from', '2026-06-01T05:00:00Z', '--duration', '12h', '--speed', '7200',
        '--emission-pattern', 'DEGRADED_NETWORK', '--sink', 'duckdb,postgres', '--pg-url', PG_TEST_URL, '--pg-table', table, '--state-dir', join(dir, 'jobs'),
        '--out', join(dir, 'forge.duckdb')];
      const child = forge(['stream', ...args], dir);
      // Wait for a checkpoint in the job record, then kill -9 mid-stream.
      let jobId = '';
      for (let i = 0; i < 600 && !jobId; i++) {
        await sleep(50);
        jobId = await checkpointedJob(join(dir, 'jobs'));
      }
      expect(jobId).not.toBe('');
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
      const partial = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(partial.rows[0].n).toBeLessThan(400 * 48);
      // The killed owner stops beating: the job reads interrupted (and may be resumed) once its heartbeat is stale.
      const store = new JobStore(join(dir, 'jobs'));
      for (let i = 0; i < 600 && (await store.load(jobId)).status === 'running'; i++) await sleep(50);
      expect((await store.load(jobId)).status).toBe('interrupted');

      const resumed = forge(['stream', '--resume', jobId, '--state-dir', join(dir, 'jobs'), '--json'], dir);
      const code = await new Promise((resolve) => resumed.once('close', resolve));
      expect(code).toBe(0);
      const { rows } = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (meter_id, reading_ts_utc))::int AS k FROM ${table}`);
      expect(rows[0]).toEqual({ n: 400 * 48, k: 400 * 48 });
      expect((await admin.query(`SELECT count(*)::int AS n FROM ${table} WHERE emitted_at IS NULL OR emitted_at < reading_ts_utc`)).rows[0].n).toBe(0);
      expect(await duckCounts(join(dir, 'forge.duckdb'))).toEqual({ rows: 400 * 48, keys: 400 * 48 });
      // forge verify regenerates the window and finds every reading once, as generated.
      const verify = forge(['verify', '--job', jobId, '--state-dir', join(dir, 'jobs')], dir);
      expect(await new Promise((resolve) => verify.once('close', resolve))).toBe(0);
      const record = JSON.parse(await readFile(join(dir, 'jobs', `${jobId}.json`), 'utf8'));
      expect(record.status).toBe('completed');
      await admin.query(`DROP TABLE ${table}`);
    });
  }, 120_000);
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function forge(args: readonly string[], cwd: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: 'ignore' });
}

/** The id of the job in `dir` once its record shows a committed checkpoint, else ''. */
async function checkpointedJob(dir: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const record = JSON.parse(await readFile(join(dir, name), 'utf8').catch(() => '{}'));
    if ((record.stats?.checkpoint ?? -1) >= 0 && record.stats.delivered > 0) return record.jobId;
  }
  return '';
}
