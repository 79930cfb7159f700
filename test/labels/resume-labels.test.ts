import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { labelDisagreements } from '../support/label-checks.js';

const scenario = resolveScenario({
  meters: 90, days: 6, start: '2025-09-01', interval: 60, seed: 31,
  anomalyRate: 'theft=0.02,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});
const UNIT_ROWS = 24 * 30;

async function labelRows(path: string, jobId: string): Promise<string[]> {
  const w = await Warehouse.open(path);
  try {
    const rows = await w.rows(`SELECT meter_id, event_type, epoch_ms(start_ts_utc) AS s, epoch_ms(end_ts_utc) AS e, readings FROM anomaly_labels WHERE job_id = $1`, [jobId]);
    return rows.map((r) => `${String(r.meter_id)}|${String(r.event_type)}|${String(r.s)}|${String(r.e)}|${String(r.readings)}`).sort();
  } finally {
    w.close();
  }
}

describe('labels of a stopped and resumed job', () => {
  it('agree with the flags, and are the uninterrupted run\'s, windows running into the resumed date included', async () => {
    await withTempDir(async (dir) => {
      const whole = join(dir, 'whole.duckdb');
      await runBatchJob({ scenario, sinks: [new DuckDbSink({ path: whole })], jobId: 'job-r', unitRows: UNIT_ROWS, workers: 0 });

      const path = join(dir, 'resumed.duckdb');
      const stop = new AbortController();
      // Stopped in the middle of a date (three units a date: meters in blocks of 30).
      const first = await runBatchJob({
        scenario, sinks: [new DuckDbSink({ path })], jobId: 'job-r', unitRows: UNIT_ROWS, workers: 0, signal: stop.signal,
        onProgress: (p) => {
          if (p.checkpoint === 7) stop.abort();
        },
      });
      expect(first.status).toBe('stopped');
      expect(first.checkpoint).toBe(7);
      const resumed = await runBatchJob({ scenario, sinks: [new DuckDbSink({ path })], jobId: 'job-r', unitRows: UNIT_ROWS, workers: 0, resume: true, resumeAfter: first.checkpoint });
      expect(resumed.status).toBe('completed');
      expect(resumed.resumed?.after).toBe(7);

      const w = await Warehouse.open(path);
      try {
        const found = await labelDisagreements(w, 'ami_readings', 'anomaly_labels');
        expect(found).toMatchObject({ unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
      } finally {
        w.close();
      }
      // Unit 8 is the third block of the third date: windows running into that date (theft at these rates lasts
      // days) come through whole, as the uninterrupted run's.
      const dateStart = Date.parse('2025-09-03T05:00:00Z');
      const expected = await labelRows(whole, 'job-r');
      expect(await labelRows(path, 'job-r')).toEqual(expected);
      expect(expected.filter((k) => Number(k.split('|')[2]) < dateStart && Number(k.split('|')[3]) > dateStart).length).toBeGreaterThan(0);
    });
  });
});
