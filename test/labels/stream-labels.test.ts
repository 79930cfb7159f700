import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { runStreamJob } from '../../src/jobs/stream-job.js';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import type { StreamWindow } from '../../src/stream/emission-stream.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { labelDisagreements } from '../support/label-checks.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { stoppingAfter } from '../support/stopping-sink.js';

/**
 * Stream jobs write anomaly_labels as a batch job of the same scenario does (DuckDB, Postgres, the stage), and a
 * stream stopped or crashed at any point and resumed ends with exactly the uninterrupted stream's label set.
 */

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);
const schema = `stream_labels_${process.pid}`;

// DEGRADED_NETWORK: late, backfilled and duplicate readings, so days' emissions interleave across midnight.
const scenario = resolveScenario({
  area: 'ERCOT', meters: 40, days: 4, start: '2025-09-01', interval: 60, seed: 23, storm: true, emissionPattern: 'DEGRADED_NETWORK',
  anomalyRate: 'theft=0.03,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});
const whole: StreamWindow = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const emission = resolveEmission('DEGRADED_NETWORK');
const BATCH_ROWS = 250;

const LABEL_SQL = `SELECT meter_id, event_type, epoch_ms(start_ts_utc) AS su, epoch_ms(end_ts_utc) AS eu, epoch_ms(start_ts) AS sl,
  epoch_ms(end_ts) AS el, readings, severity, source FROM anomaly_labels WHERE job_id = $1`;
const rowKey = (r: Record<string, unknown>): string => ['meter_id', 'event_type', 'su', 'eu', 'sl', 'el', 'readings', 'severity', 'source'].map((c) => String(r[c])).join('|');

async function duckLabels(path: string, jobId: string): Promise<string[]> {
  const w = await Warehouse.open(path);
  try {
    return (await w.rows(LABEL_SQL, [jobId])).map(rowKey).sort();
  } finally {
    w.close();
  }
}

async function pgLabels(jobId: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(
      `SELECT meter_id, event_type, (extract(epoch FROM start_ts_utc) * 1000)::bigint AS su, (extract(epoch FROM end_ts_utc) * 1000)::bigint AS eu,
        (extract(epoch FROM start_ts AT TIME ZONE 'UTC') * 1000)::bigint AS sl, (extract(epoch FROM end_ts AT TIME ZONE 'UTC') * 1000)::bigint AS el,
        readings, severity, source FROM ${schema}.anomaly_labels WHERE job_id = $1`,
      [jobId],
    );
    return rows.map(rowKey).sort();
  } finally {
    await client.end();
  }
}

/** Loads what the stage holds into a pipeline database (as `forge ingest` would between runs) and reads its labels. */
async function stageLabels(stageDir: string, pipelinePath: string, jobId: string): Promise<string[]> {
  const w = await Warehouse.open(pipelinePath);
  try {
    await loadStage(w, new LocalStageStore(stageDir));
    return (await w.rows(LABEL_SQL, [jobId])).map(rowKey).sort();
  } finally {
    w.close();
  }
}

/** `sink`, failing its `writes`-th write: the job aborts every sink, as a crash leaves them (no final labels). */
function crashingAt(sink: Sink, writes: number): Sink {
  let count = 0;
  const wrapped = stoppingAfter(sink, Number.POSITIVE_INFINITY, new AbortController());
  return {
    ...wrapped,
    write: async (b, i) => {
      if (++count === writes) throw new Error('simulated crash');
      await sink.write(b, i);
    },
  };
}

const stream = (sinks: Sink[], jobId: string, extra: { resume?: boolean; signal?: AbortSignal; window?: StreamWindow; scenario?: Scenario } = {}) =>
  runStreamJob({
    scenario: extra.scenario ?? scenario, window: extra.window ?? whole, speed: null, emission, jobId, maxBatchRows: BATCH_ROWS, sinks,
    ...(extra.resume ? { resume: true } : {}), ...(extra.signal ? { signal: extra.signal } : {}),
  });

afterAll(async () => {
  if (!gate.run) return;
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe('a stream job\'s anomaly labels', () => {
  it('are the batch job\'s of the same scenario over the same days, and agree with the streamed readings\' flags', async () => {
    await withTempDir(async (dir) => {
      const batch = await runBatchJob({ scenario, sinks: [new DuckDbSink({ path: join(dir, 'batch.duckdb') })], jobId: 'job-sl', unitRows: 24 * 13, workers: 0 });
      const summary = await stream([new DuckDbSink({ path: join(dir, 'stream.duckdb') })], 'job-sl');
      expect(summary.status).toBe('completed');
      const expected = await duckLabels(join(dir, 'batch.duckdb'), 'job-sl');
      expect(expected.length).toBe(Object.values(batch.labels.windows).reduce((a, b) => a + b, 0));
      // Not vacuous: windows of every kind the rates inject, some running over a local midnight (theft lasts days).
      expect(new Set(expected.map((k) => k.split('|')[1]))).toEqual(new Set(['ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL', 'TAMPER', 'METER_FAULT']));
      expect(expected.filter((k) => Math.floor(Number(k.split('|')[4]) / 86_400_000) < Math.floor((Number(k.split('|')[5]) - 1) / 86_400_000)).length).toBeGreaterThan(0);
      expect(await duckLabels(join(dir, 'stream.duckdb'), 'job-sl')).toEqual(expected);
      // The stream's statistics count the same windows.
      expect(summary.stats.labels?.windows).toEqual(batch.labels.windows);
      expect(summary.stats.labels?.meterDays).toBe(batch.labels.meterDays);
      const w = await Warehouse.open(join(dir, 'stream.duckdb'));
      try {
        expect(await labelDisagreements(w, 'ami_readings', 'anomaly_labels')).toMatchObject({ unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
      } finally {
        w.close();
      }
    });
  });

  it('cover a window that starts and ends inside a day: windows clipped to the readings streamed, agreeing with their flags', async () => {
    await withTempDir(async (dir) => {
      const window = { fromUtcMs: whole.fromUtcMs + 13 * 3_600_000, toUtcMs: whole.toUtcMs - 7 * 3_600_000 };
      await stream([new DuckDbSink({ path: join(dir, 'part.duckdb') })], 'job-part', { window });
      const w = await Warehouse.open(join(dir, 'part.duckdb'));
      try {
        const found = await labelDisagreements(w, 'ami_readings', 'anomaly_labels');
        expect(found).toMatchObject({ unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
        expect(found.labels).toBeGreaterThan(10);
        expect(await w.number(`SELECT count(*) FROM anomaly_labels WHERE epoch_ms(start_ts_utc) < ${window.fromUtcMs} OR epoch_ms(end_ts_utc) > ${window.toUtcMs}`)).toBe(0);
      } finally {
        w.close();
      }
    });
  });

  it(`stopped or crashed at generated points and resumed: exactly the uninterrupted stream's labels in DuckDB, the stage's pipeline${gate.run ? ' and Postgres' : gate.note}`, async () => {
    await withTempDir(async (dir) => {
      await stream([new DuckDbSink({ path: join(dir, 'whole.duckdb') })], 'job-w');
      const expected = await duckLabels(join(dir, 'whole.duckdb'), 'job-w');
      const batches = Math.ceil((40 * 24 * 4 * 1.05) / BATCH_ROWS);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ at: fc.integer({ min: 1, max: batches }), crash: fc.boolean() }), { minLength: 1, maxLength: 3 }),
          async (interruptions) => {
            const case_ = join(dir, `case-${run++}`);
            // A job id a case: the Postgres cases share one anomaly_labels table.
            const jobId = `job-w${run}`;
            await mkdir(case_, { recursive: true });
            const duck = join(case_, 'labels.duckdb');
            const stageDir = join(case_, 'stage');
            const pgTable = `readings_${run}`;
            const sinks = (): Sink[] => [
              new DuckDbSink({ path: duck, append: true }),
              new StageSink({ location: parseStageLocation(stageDir), rollRows: 300 }),
              ...(gate.run ? [new PostgresSink({ url: PG_TEST_URL, schema, table: pgTable, append: true })] : []),
            ];
            let resume = false;
            for (const { at, crash } of interruptions) {
              const [first, ...rest] = sinks();
              // A run with fewer batches left than `at` ends before it is interrupted.
              if (crash) {
                await stream([crashingAt(first!, at), ...rest], jobId, { resume }).catch((e: unknown) => {
                  if (!String(e).includes('simulated crash')) throw e;
                });
              } else {
                const controller = new AbortController();
                await stream([stoppingAfter(first!, at, controller), ...rest], jobId, { resume, signal: controller.signal });
              }
              resume = true;
              // The pipeline may load what the interrupted run left (a stopped run's open windows cut short).
              await stageLabels(stageDir, join(case_, 'pipeline.duckdb'), jobId);
            }
            const done = await stream(sinks(), jobId, { resume: true });
            expect(done.status).toBe('completed');
            expect(await duckLabels(duck, jobId)).toEqual(expected);
            expect(await stageLabels(stageDir, join(case_, 'pipeline.duckdb'), jobId)).toEqual(expected);
            if (gate.run) expect(await pgLabels(jobId)).toEqual(expected);
          },
        ),
        { seed: 20261206, numRuns: 6 },
      );
    });
  }, 240_000);
});
