import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { FileSink } from '../../src/sinks/files/file-sink.js';
import { cutPoints, parseRatios, splitDataset, SPLIT_NAMES } from '../../src/warehouse/dataset-split.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { labelDisagreements } from '../support/label-checks.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const scenario = resolveScenario({
  meters: 60, days: 5, start: '2025-06-10', interval: 60, seed: 21,
  anomalyRate: 'theft=0.02,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});
let dir: string;
let duckdb: string;
let parquet: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-split-'));
  duckdb = join(dir, 'forge.duckdb');
  parquet = join(dir, 'pq');
  await runBatchJob({ scenario, sinks: [new DuckDbSink({ path: duckdb }), new FileSink({ format: 'parquet', dir: parquet })], jobId: 'job-split', workers: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each part's meters, interval starts and label rows, read back from the split's files. */
async function readSplit(to: string): Promise<Map<string, { meters: Set<string>; times: number[]; labels: Record<string, unknown>[]; problems: Record<string, number> }>> {
  const parts = new Map<string, { meters: Set<string>; times: number[]; labels: Record<string, unknown>[]; problems: Record<string, number> }>();
  const w = await Warehouse.open(':memory:');
  try {
    for (const name of SPLIT_NAMES) {
      await w.run(`CREATE OR REPLACE TABLE r AS SELECT * FROM read_parquet('${join(to, name, 'readings.parquet')}')`);
      await w.run(`CREATE OR REPLACE TABLE l AS SELECT * FROM read_parquet('${join(to, name, 'anomaly_labels.parquet')}')`);
      const meters = new Set((await w.rows(`SELECT DISTINCT meter_id FROM r`)).map((x) => String(x.meter_id)));
      const times = (await w.rows(`SELECT DISTINCT epoch_ms(reading_ts_utc) AS t FROM r ORDER BY 1`)).map((x) => Number(x.t));
      const labels = await w.rows(`SELECT meter_id, epoch_ms(start_ts_utc) AS s, epoch_ms(end_ts_utc) AS e FROM l`);
      parts.set(name, { meters, times, labels, problems: await labelDisagreements(w, 'r', 'l') });
    }
  } finally {
    w.close();
  }
  return parts;
}

const ratiosArb = fc
  .tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }))
  .map(([a, b, c]) => [a / (a + b + c), b / (a + b + c), 1 - a / (a + b + c) - b / (a + b + c)] as [number, number, number]);

describe('forge split', () => {
  it('by meter: every meter in exactly one split, sized by the ratios, with its readings and labels (generated ratios and seeds)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ratiosArb, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), async (ratios, seed, fromParquet) => {
        const to = join(dir, `by-meter-${run++}`);
        const report = await splitDataset({ source: fromParquet ? parquet : duckdb, by: 'meter', ratios, to, seed });
        const parts = await readSplit(to);
        const all = [...parts.values()].flatMap((p) => [...p.meters]);
        expect(new Set(all).size).toBe(all.length);
        expect(all.length).toBe(60);
        const cuts = cutPoints(60, ratios);
        for (const [i, name] of SPLIT_NAMES.entries()) {
          const part = parts.get(name)!;
          expect(part.meters.size).toBe(cuts[i + 1]! - cuts[i]!);
          // Every meter keeps all its readings and its labels: the windows still agree with the flags.
          expect(part.times.length === 0 || part.times.length === 5 * 24).toBe(true);
          expect(part.labels.every((l) => part.meters.has(String(l.meter_id)))).toBe(true);
          expect(part.problems).toMatchObject({ unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
          expect(report.parts[i]!.readings).toBe(part.meters.size * 5 * 24);
        }
        const labelTotal = [...parts.values()].reduce((n, p) => n + p.labels.length, 0);
        const w = await Warehouse.open(duckdb);
        try {
          expect(labelTotal).toBe(await w.number('SELECT count(*) FROM anomaly_labels'));
        } finally {
          w.close();
        }
      }),
      { numRuns: 5, seed: 1414 },
    );
  });

  it('by time: consecutive ranges that do not overlap, train first, labels cut at the bounds (generated ratios)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ratiosArb, fc.boolean(), async (ratios, fromParquet) => {
        const to = join(dir, `by-time-${run++}`);
        await splitDataset({ source: fromParquet ? parquet : duckdb, by: 'time', ratios, to });
        const parts = await readSplit(to);
        const cuts = cutPoints(5 * 24, ratios);
        let last = Number.NEGATIVE_INFINITY;
        let total = 0;
        for (const [i, name] of SPLIT_NAMES.entries()) {
          const part = parts.get(name)!;
          expect(part.times.length).toBe(cuts[i + 1]! - cuts[i]!);
          if (part.times.length === 0) continue;
          expect(part.times[0]!).toBeGreaterThan(last);
          last = part.times.at(-1)!;
          total += part.times.length;
          expect(part.meters.size).toBe(60);
          const end = last + 3_600_000;
          expect(part.labels.every((l) => Number(l.s) >= part.times[0]! && Number(l.e) <= end)).toBe(true);
          expect(part.problems).toMatchObject({ unlabelled: 0, miscounted: 0, misplaced: 0, malformed: 0 });
        }
        expect(total).toBe(5 * 24);
      }),
      { numRuns: 5, seed: 1415 },
    );
  });

  it('is deterministic: the same source, ratios and seed give the same split; another seed another', async () => {
    const a = await splitDataset({ source: duckdb, by: 'meter', ratios: [0.6, 0.2, 0.2], to: join(dir, 'same-a'), seed: 9 });
    const b = await splitDataset({ source: parquet, by: 'meter', ratios: [0.6, 0.2, 0.2], to: join(dir, 'same-b'), seed: 9 });
    const c = await splitDataset({ source: duckdb, by: 'meter', ratios: [0.6, 0.2, 0.2], to: join(dir, 'same-c'), seed: 10 });
    const meters = async (to: string): Promise<string[][]> => [...(await readSplit(to)).values()].map((p) => [...p.meters].sort());
    expect(await meters(join(dir, 'same-a'))).toEqual(await meters(join(dir, 'same-b')));
    expect(await meters(join(dir, 'same-a'))).not.toEqual(await meters(join(dir, 'same-c')));
    expect(a.parts.map((p) => p.readings)).toEqual(b.parts.map((p) => p.readings));
    expect(c.parts.map((p) => p.meters)).toEqual(a.parts.map((p) => p.meters));
    expect(JSON.parse(await readFile(join(dir, 'same-a', 'split.json'), 'utf8'))).toMatchObject({ by: 'meter', seed: 9, ratios: [0.6, 0.2, 0.2] });
  });

  it.each([
    ['0.7,0.2', /three shares/],
    ['0.7,0.2,0.2', /sum to 1.1/],
    ['1.2,-0.1,-0.1', /three shares/],
    ['a,b,c', /three shares/],
  ])('refuses ratios %s', (text, message) => {
    expect(() => parseRatios(text)).toThrow(message);
  });

  it('refuses a missing or foreign source and a non-empty target, writing nothing', async () => {
    const to = join(dir, 'never');
    await expect(splitDataset({ source: join(dir, 'absent.duckdb'), by: 'meter', ratios: [0.7, 0.15, 0.15], to })).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND' });
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'not a database\n');
    await expect(splitDataset({ source: text, by: 'meter', ratios: [0.7, 0.15, 0.15], to })).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND' });
    await expect(splitDataset({ source: dir, by: 'time', ratios: [0.7, 0.15, 0.15], to })).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND' });
    await expect(readdir(to)).rejects.toMatchObject({ code: 'ENOENT' });
    const busy = join(dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'keep.txt'), 'mine\n');
    await expect(splitDataset({ source: duckdb, by: 'meter', ratios: [0.7, 0.15, 0.15], to: busy })).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG' });
    expect(await readdir(busy)).toEqual(['keep.txt']);
    // Nothing left beside the target either (the split is built in a temporary directory first).
    expect((await readdir(dir)).filter((n) => n.includes('.split-'))).toEqual([]);
  });
});
