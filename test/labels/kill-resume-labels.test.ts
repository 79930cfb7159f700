import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { labelDirOf } from '../../src/sinks/files/file-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { FAULT_SEED, forge, jobRecords, killAfter, seededRandom, startForge, waitFor } from '../support/faults.js';

/**
 * kill -9 of `forge stream` and `forge generate` at seeded random moments, then `--resume` to the end: every sink's
 * anomaly_labels equal those of an uninterrupted run of the same command (the windows, not the job id).
 */

const random = seededRandom(FAULT_SEED ^ 0x1abe1);
const RATES = 'theft=0.03,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05';
const SQL = `SELECT meter_id, event_type, epoch_ms(start_ts_utc) AS su, epoch_ms(end_ts_utc) AS eu, epoch_ms(start_ts) AS sl, epoch_ms(end_ts) AS el,
  readings, round(severity, 3) AS severity FROM FROM_HERE`;
const key = (r: Record<string, unknown>): string => ['meter_id', 'event_type', 'su', 'eu', 'sl', 'el', 'readings', 'severity'].map((c) => String(r[c])).join('|');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-kill-labels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function labelsIn(path: string, from = 'anomaly_labels'): Promise<string[]> {
  const w = await Warehouse.open(path);
  try {
    return (await w.rows(SQL.replace('FROM_HERE', from))).map(key).sort();
  } finally {
    w.close();
  }
}

async function stageLabels(stage: string, work: string): Promise<string[]> {
  const w = await Warehouse.open(join(work, 'pipeline.duckdb'));
  try {
    await loadStage(w, new LocalStageStore(stage));
  } finally {
    w.close();
  }
  return labelsIn(join(work, 'pipeline.duckdb'));
}

/** Runs `args` killed -9 twice at seeded moments after checkpoints, resumed to the end; returns the job's record. */
async function killedTwiceAndResumed(command: 'stream' | 'generate', args: string[], work: string): Promise<{ kills: number }> {
  const stateDir = join(work, 'jobs');
  const checkpointed = (pid: number, after: number) =>
    waitFor(async () => (await jobRecords(stateDir)).find((r) => r.pid === pid && (r.stats.checkpoint ?? -1) > after));
  const first = startForge([command, ...args, '--state-dir', stateDir], work);
  const killed1 = await killAfter(first, checkpointed(first.child.pid!, -1), Math.round(random() * 1_200));
  const [record1] = await jobRecords(stateDir);
  const jobId = record1!.jobId;
  let kills = killed1 ? 1 : 0;
  if (record1!.status !== 'completed') {
    const resumed = startForge([command, '--resume', jobId, '--state-dir', stateDir], work);
    if (await killAfter(resumed, checkpointed(resumed.child.pid!, record1!.stats.checkpoint ?? -1), Math.round(random() * 1_200))) kills++;
  }
  if ((await jobRecords(stateDir))[0]!.status !== 'completed') {
    const last = await forge([command, '--resume', jobId, '--state-dir', stateDir, '--json'], work);
    expect(last.code, last.stderr).toBe(0);
  }
  expect((await jobRecords(stateDir))[0]!.status).toBe('completed');
  return { kills };
}

describe('kill -9 and resume: anomaly labels', () => {
  it('a stream into DuckDB and the stage ends with the uninterrupted stream\'s labels', async () => {
    const args = (work: string): string[] => ['--meters', '60', '--area', 'ERCOT', '--seed', '12', '--interval', '60', '--anomaly-rate', RATES,
      '--from', '2026-06-01T05:00:00Z', '--duration', '3d', '--speed', '40000', '--emission-pattern', 'DEGRADED_NETWORK', '--batch-rows', '200',
      '--sink', 'duckdb,stage', '--out', join(work, 'forge.duckdb'), '--stage', join(work, 'stage')];
    const whole = join(dir, 'stream-whole');
    await mkdir(whole, { recursive: true });
    const clean = await forge(['stream', ...args(whole), '--speed', 'max', '--state-dir', join(whole, 'jobs'), '--json'], whole);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await labelsIn(join(whole, 'forge.duckdb'));
    expect(expected.length).toBeGreaterThan(30);
    expect(await stageLabels(join(whole, 'stage'), whole)).toEqual(expected);

    const work = join(dir, 'stream-killed');
    await mkdir(work, { recursive: true });
    const { kills } = await killedTwiceAndResumed('stream', args(work), work);
    console.info(`stream labels: ${kills} kill(s) before the end`);
    expect(kills).toBeGreaterThan(0);
    expect(await labelsIn(join(work, 'forge.duckdb'))).toEqual(expected);
    expect(await stageLabels(join(work, 'stage'), work)).toEqual(expected);
  }, 240_000);

  it('a batch job into DuckDB, Parquet and the stage ends with the uninterrupted job\'s labels', async () => {
    const args = (work: string): string[] => ['--meters', '200', '--days', '8', '--start', '2025-10-02', '--seed', '12', '--interval', '30', '--anomaly-rate', RATES,
      '--storm', '--batch-size', '2000', '--workers', '0', '--sink', 'duckdb,parquet,stage', '--out', `duckdb=${join(work, 'forge.duckdb')}`, '--out', `parquet=${join(work, 'pq')}`,
      '--stage', join(work, 'stage')];
    const whole = join(dir, 'batch-whole');
    await mkdir(whole, { recursive: true });
    const clean = await forge(['generate', ...args(whole), '--state-dir', join(whole, 'jobs'), '--json'], whole);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await labelsIn(join(whole, 'forge.duckdb'));
    expect(expected.length).toBeGreaterThan(100);

    const work = join(dir, 'batch-killed');
    await mkdir(work, { recursive: true });
    const { kills } = await killedTwiceAndResumed('generate', args(work), work);
    console.info(`batch labels: ${kills} kill(s) before the end`);
    expect(await labelsIn(join(work, 'forge.duckdb'))).toEqual(expected);
    expect(await labelsIn(':memory:', `read_parquet('${labelDirOf(join(work, 'pq'))}/*/*.parquet', hive_partitioning = false)`)).toEqual(expected);
    expect(await stageLabels(join(work, 'stage'), work)).toEqual(expected);
  }, 240_000);
});
