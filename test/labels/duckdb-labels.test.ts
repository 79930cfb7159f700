import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { isForgeError } from '../../src/util/forge-error.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { labelDisagreements } from '../support/label-checks.js';

const scenario = resolveScenario({
  meters: 120, days: 10, start: '2025-03-05', interval: 30, seed: 11, storm: true,
  anomalyRate: 'theft=0.02,meter_fault=0.02,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});

async function inspect<T>(path: string, fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(path);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

describe('DuckDB sink: anomaly_labels', () => {
  it('holds one row per window of the job, agreeing with the readings\' flags, and the summary counts them', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      // Small batches: windows cross batches and days.
      const summary = await runBatchJob({ scenario, sinks: [new DuckDbSink({ path })], jobId: 'job-labels', unitRows: 700, workers: 0 });
      const windows = Object.values(summary.labels.windows).reduce((a, b) => a + b, 0);
      expect(windows).toBeGreaterThan(50);
      expect(summary.labels.meterDays).toBe(120 * 10);
      await inspect(path, async (w) => {
        const found = await labelDisagreements(w, 'ami_readings', 'anomaly_labels');
        expect(found).toEqual({ labels: windows, unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
        const byType = await w.rows(`SELECT event_type, count(*) AS n FROM anomaly_labels WHERE job_id = 'job-labels' GROUP BY 1 ORDER BY 1`);
        expect(Object.fromEntries(byType.map((r) => [r.event_type, Number(r.n)]))).toEqual(
          Object.fromEntries(Object.entries(summary.labels.windows).filter(([, n]) => n > 0).sort()),
        );
      });
    });
  });

  it('keeps one row per window when a resumed run sends windows again, and refuses labels before open', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      const fleet = buildFleet(scenario);
      const label = { meterIndex: 3, eventType: 'METER_FAULT', startUtcMs: Date.UTC(2025, 2, 6, 8), endUtcMs: Date.UTC(2025, 2, 6, 10), startLocalMs: Date.UTC(2025, 2, 6, 2), endLocalMs: Date.UTC(2025, 2, 6, 4), readings: 4, severity: 1 } as const;
      const info = { localDate: '2025-03-06', final: false, sequence: 0 };
      const sink = new DuckDbSink({ path });
      let caught: unknown;
      await sink.writeLabels([label], info).catch((e: unknown) => (caught = e));
      expect(isForgeError(caught) && caught.code === 'FORGE_ERR_SINK_STATE').toBe(true);
      await sink.open({ scenario, fleet, jobId: 'job-twice' });
      await sink.writeLabels([label], info);
      await sink.writeLabels([label, { ...label, startUtcMs: label.startUtcMs + 3_600_000 }], info);
      await sink.writeLabels([], info);
      await sink.close();
      await inspect(path, async (w) => {
        const rows = await w.rows(`SELECT meter_id, event_type, CAST(start_ts AS VARCHAR) AS s, CAST(end_ts_utc AS VARCHAR) AS e, readings, severity, source FROM anomaly_labels ORDER BY start_ts_utc`);
        expect(rows).toEqual([
          { meter_id: fleet.meterIds[3], event_type: 'METER_FAULT', s: '2025-03-06 02:00:00', e: '2025-03-06 10:00:00+00', readings: 4, severity: 1, source: 'injected' },
          { meter_id: fleet.meterIds[3], event_type: 'METER_FAULT', s: '2025-03-06 02:00:00', e: '2025-03-06 10:00:00+00', readings: 4, severity: 1, source: 'injected' },
        ]);
      });
    });
  });
});
