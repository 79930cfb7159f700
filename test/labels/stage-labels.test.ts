import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { pipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { refreshSilver } from '../../src/pipeline/silver-refresh.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { labelStageKey, parseLabelKey } from '../../src/stage/label-keys.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { labelDisagreements } from '../support/label-checks.js';

const scenario = resolveScenario({
  meters: 40, days: 4, start: '2025-07-01', interval: 60, seed: 8,
  anomalyRate: 'theft=0.02,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-stage-labels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stage sink and pipeline: anomaly_labels', () => {
  it('keys name the date, the job and the batch, and parse back', () => {
    const key = labelStageKey('2025-07-02', 'job-20250701-ab12cd34-shard-2-of-8', 47, true);
    expect(key).toBe('raw/labels/date=2025-07-02/anomaly_labels_job-20250701-ab12cd34-shard-2-of-8_000047.ndjson.gz');
    expect(parseLabelKey(key)).toEqual({ localDate: '2025-07-02', owner: 'job-20250701-ab12cd34-shard-2-of-8', sequence: 47, gzip: true });
    expect(parseLabelKey('raw/ami/date=2025-07-02/hour=01/ami_stream_1_w_1.json')).toBeNull();
  });

  it('lands a file per date under raw/labels that the loader puts in anomaly_labels, once, agreeing with silver\'s flags', async () => {
    const stageDir = join(dir, 'stage');
    const summary = await runBatchJob({ scenario, sinks: [new StageSink({ location: parseStageLocation(stageDir) })], jobId: 'job-stage-labels', unitRows: 400, workers: 0 });
    const windows = Object.values(summary.labels.windows).reduce((a, b) => a + b, 0);
    const store = new LocalStageStore(stageDir);
    const labelFiles = (await store.list('raw/labels/')).map((f) => f.key);
    expect(labelFiles.length).toBeGreaterThan(0);
    expect(labelFiles.every((k) => parseLabelKey(k) !== null)).toBe(true);
    const w = await Warehouse.open(join(dir, 'pipeline.duckdb'));
    try {
      const first = await loadStage(w, store);
      expect(first.skipped).toEqual([]);
      expect(first.quarantined).toEqual([]);
      expect(await w.number('SELECT count(*) FROM anomaly_labels')).toBe(windows);
      // The status counts label files as landed and loaded, not as files the loader skips.
      const status = await pipelineStatus(w, store);
      expect(status.files).toMatchObject({ pending: 0, skipped: 0 });
      expect(status.files.landed).toBe((await store.list('')).length);
      // A second pass loads nothing again.
      const second = await loadStage(w, store);
      expect(second.loaded).toEqual([]);
      expect(await w.number('SELECT count(*) FROM anomaly_labels')).toBe(windows);
      await refreshSilver(w, 1);
      expect(await labelDisagreements(w, 'silver_ami', 'anomaly_labels')).toEqual({ labels: windows, unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
      // A label file that is not NDJSON is quarantined, not loaded, and the loader carries on.
      const bad = join(stageDir, labelStageKey('2025-07-09', 'job-bad', 3, false));
      await mkdir(join(bad, '..'), { recursive: true });
      await writeFile(bad, '{"job_id": "x", "meter_id": \n');
      const third = await loadStage(w, store);
      expect(third.quarantined.map((q) => q.key)).toEqual([labelStageKey('2025-07-09', 'job-bad', 3, false)]);
      expect(await w.number('SELECT count(*) FROM anomaly_labels')).toBe(windows);
    } finally {
      w.close();
    }
  });
});
