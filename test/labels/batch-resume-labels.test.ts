import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { FileSink, labelDirOf } from '../../src/sinks/files/file-sink.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';

/**
 * A batch job stopped or crashed at generated points and resumed (once or more) ends with exactly the label set of
 * an uninterrupted run in every sink that takes labels: DuckDB, Postgres, Parquet files (<dir>_labels) and the stage
 * (as the pipeline loads it, also between runs). The kill -9 path of the same resume is test/faults (readings); here
 * a crash is a sink's failing write, after which the job aborts every sink and writes no final labels.
 */

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);
const schema = `batch_resume_labels_${process.pid}`;

const scenario = resolveScenario({
  meters: 45, days: 5, start: '2025-10-02', interval: 60, seed: 41, storm: true,
  anomalyRate: 'theft=0.03,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});
// Three units a date (meters in blocks of 15): a stop can fall anywhere in a date.
const UNIT_ROWS = 24 * 15;
const UNITS = 5 * 3;

const LABEL_SQL = `SELECT meter_id, event_type, epoch_ms(start_ts_utc) AS su, epoch_ms(end_ts_utc) AS eu, epoch_ms(start_ts) AS sl,
  epoch_ms(end_ts) AS el, readings, round(severity, 3) AS severity, source FROM LABELS WHERE job_id = $1`;
const rowKey = (r: Record<string, unknown>): string => ['meter_id', 'event_type', 'su', 'eu', 'sl', 'el', 'readings', 'severity', 'source'].map((c) => String(r[c])).join('|');

async function duckLabels(path: string, jobId: string, from = 'anomaly_labels'): Promise<string[]> {
  const w = await Warehouse.open(path);
  try {
    return (await w.rows(LABEL_SQL.replace('LABELS', from), [jobId])).map(rowKey).sort();
  } finally {
    w.close();
  }
}

async function parquetLabels(dir: string, jobId: string): Promise<string[]> {
  const w = await Warehouse.open(':memory:');
  try {
    return (await w.rows(LABEL_SQL.replace('LABELS', `read_parquet('${labelDirOf(dir)}/*/*.parquet', hive_partitioning = false)`), [jobId])).map(rowKey).sort();
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
        readings, round(severity::numeric, 3)::float8 AS severity, source FROM ${schema}.anomaly_labels WHERE job_id = $1`,
      [jobId],
    );
    return rows.map(rowKey).sort();
  } finally {
    await client.end();
  }
}

/** Loads the stage into a pipeline database (`forge ingest`) and reads its labels. */
async function stageLabels(stageDir: string, pipelinePath: string, jobId: string): Promise<string[]> {
  const w = await Warehouse.open(pipelinePath);
  try {
    await loadStage(w, new LocalStageStore(stageDir));
  } finally {
    w.close();
  }
  return duckLabels(pipelinePath, jobId);
}

/** `sink`, failing its write of batch `sequence` (a crash: the job aborts every sink). */
function crashingAt(sink: Sink, sequence: number): Sink {
  return {
    name: sink.name,
    open: (c) => sink.open(c),
    write: async (b, i) => {
      if (i.sequence === sequence) throw new Error('simulated crash');
      await sink.write(b, i);
    },
    flush: () => sink.flush(),
    close: (o) => sink.close(o),
    abort: (r) => sink.abort(r),
    ...(sink.checkpoint ? { checkpoint: (j: string) => sink.checkpoint!(j) } : {}),
    ...(sink.writeLabels ? { writeLabels: (l: Parameters<NonNullable<Sink['writeLabels']>>[0], i: Parameters<NonNullable<Sink['writeLabels']>>[1]) => sink.writeLabels!(l, i) } : {}),
  };
}

afterAll(async () => {
  if (!gate.run) return;
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe('a resumed batch job\'s anomaly labels', () => {
  it(`are the uninterrupted run's after generated stops and crashes: DuckDB, Parquet files, the stage's pipeline${gate.run ? ', Postgres' : gate.note}`, async () => {
    await withTempDir(async (dir) => {
      await runBatchJob({ scenario, sinks: [new DuckDbSink({ path: join(dir, 'whole.duckdb') })], jobId: 'job-whole', unitRows: UNIT_ROWS, workers: 0 });
      const expected = await duckLabels(join(dir, 'whole.duckdb'), 'job-whole');
      // Not vacuous: windows running over a local midnight, which a resume in the next date must continue.
      expect(expected.filter((k) => Math.floor(Number(k.split('|')[4]) / 86_400_000) < Math.floor((Number(k.split('|')[5]) - 1) / 86_400_000)).length).toBeGreaterThan(2);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ at: fc.integer({ min: 0, max: UNITS - 1 }), crash: fc.boolean() }), { minLength: 1, maxLength: 3 }), async (interruptions) => {
          const case_ = join(dir, `case-${run++}`);
          await mkdir(case_, { recursive: true });
          const jobId = `job-b${run}`;
          const duck = join(case_, 'labels.duckdb');
          const files = join(case_, 'parquet');
          const stageDir = join(case_, 'stage');
          const sinks = (): Sink[] => [
            new DuckDbSink({ path: duck }),
            new FileSink({ format: 'parquet', dir: files }),
            new StageSink({ location: parseStageLocation(stageDir) }),
            ...(gate.run ? [new PostgresSink({ url: PG_TEST_URL, schema, table: `readings_${run}`, append: true })] : []),
          ];
          let resume = false;
          let after = -1;
          for (const { at, crash } of interruptions) {
            const [first, ...rest] = sinks();
            const controller = new AbortController();
            const ran = runBatchJob({
              scenario, jobId, unitRows: UNIT_ROWS, workers: 0, resume, resumeAfter: after, signal: controller.signal,
              sinks: crash ? [crashingAt(first!, at), ...rest] : [first!, ...rest],
              onProgress: (p) => {
                if (!crash && p.checkpoint >= at) controller.abort();
              },
            });
            // A stop or crash point the run does not reach (it resumed past it) lets it end.
            const summary = await ran.catch((e: unknown) => {
              if (!String(e).includes('simulated crash')) throw e;
              return null;
            });
            if (summary) after = summary.checkpoint;
            resume = true;
            await stageLabels(stageDir, join(case_, 'pipeline.duckdb'), jobId);
          }
          const done = await runBatchJob({ scenario, jobId, unitRows: UNIT_ROWS, workers: 0, resume: true, resumeAfter: after, sinks: sinks() });
          expect(done.status).toBe('completed');
          expect(await duckLabels(duck, jobId)).toEqual(expected);
          expect(await parquetLabels(files, jobId)).toEqual(expected);
          expect(await stageLabels(stageDir, join(case_, 'pipeline.duckdb'), jobId)).toEqual(expected);
          if (gate.run) expect(await pgLabels(jobId)).toEqual(expected);
        }),
        { seed: 20261206, numRuns: 6 },
      );
    });
  }, 300_000);
});
