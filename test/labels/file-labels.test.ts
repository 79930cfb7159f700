import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { FileSink, labelDirOf } from '../../src/sinks/files/file-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { withTempDir } from '../support/fixtures.js';
import { labelDisagreements } from '../support/label-checks.js';

const scenario = resolveScenario({
  meters: 80, days: 6, start: '2025-11-01', interval: 60, seed: 5,
  anomalyRate: 'theft=0.02,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});

const READ = {
  parquet: (glob: string, _types: string) => `read_parquet('${glob}.parquet', hive_partitioning = false)`,
  csv: (glob: string, types: string) => `read_csv('${glob}.csv', header = true, hive_partitioning = false, types = {${types}})`,
} as const;
const READING_TYPES = `'reading_ts_utc': 'TIMESTAMPTZ', 'reading_ts': 'TIMESTAMP'`;
const LABEL_TYPES = `'start_ts_utc': 'TIMESTAMPTZ', 'end_ts_utc': 'TIMESTAMPTZ', 'start_ts': 'TIMESTAMP', 'end_ts': 'TIMESTAMP'`;

describe('file sinks: labels beside the readings', () => {
  it.each(['parquet', 'csv'] as const)('%s: a labels directory of date partitions whose windows agree with the readings\' flags', async (format) => {
    await withTempDir(async (dir) => {
      const out = join(dir, format);
      const summary = await runBatchJob({ scenario, sinks: [new FileSink({ format, dir: out })], jobId: 'job-files', unitRows: 500, workers: 0 });
      const windows = Object.values(summary.labels.windows).reduce((a, b) => a + b, 0);
      const labelDir = labelDirOf(out);
      expect(labelDir).toBe(`${out}_labels`);
      // Readers of the readings' directory see readings only; the labels are partitioned the same way.
      expect((await readdir(out)).every((d) => d.startsWith('date=') || d.startsWith('.forge-claim'))).toBe(true);
      expect((await readdir(labelDir)).every((d) => /^date=\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
      expect(summary.sinks[0]!.outputs.some((p) => p.startsWith(labelDir))).toBe(true);
      const w = await Warehouse.open(':memory:');
      try {
        await w.run(`CREATE TABLE r AS SELECT * FROM ${READ[format](`${out}/*/*`, READING_TYPES)}`);
        await w.run(`CREATE TABLE l AS SELECT * FROM ${READ[format](`${labelDir}/*/*`, LABEL_TYPES)}`);
        expect(await labelDisagreements(w, 'r', 'l')).toEqual({ labels: windows, unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
        expect(await w.number(`SELECT count(DISTINCT job_id) FROM l WHERE job_id = 'job-files'`)).toBe(1);
      } finally {
        w.close();
      }
    });
  });

  it('refuses labels before open and writes no file for a date without windows', async () => {
    await withTempDir(async (dir) => {
      const sink = new FileSink({ format: 'parquet', dir: join(dir, 'pq') });
      await expect(sink.writeLabels([], { localDate: '2025-11-01', final: false, sequence: 0 })).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
      const quiet = resolveScenario({ meters: 3, days: 1, start: '2025-11-03', interval: 60, anomalyRate: 0, mix: '0/0/100' });
      const summary = await runBatchJob({ scenario: quiet, sinks: [sink], jobId: 'job-quiet', workers: 0 });
      expect(Object.values(summary.labels.windows).reduce((a, b) => a + b, 0)).toBe(0);
      await expect(readdir(labelDirOf(join(dir, 'pq')))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});
