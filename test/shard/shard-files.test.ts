import { mkdtempSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { runBatchJob, type BatchJobSummary } from '../../src/jobs/batch-job.js';
import { emittedMeters, expectedRows, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { FileSink } from '../../src/sinks/files/file-sink.js';
import { EmissionStream } from '../../src/stream/emission-stream.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { verifySink } from '../../src/verify/verify-sink.js';
import { ReadingChecksum } from '../support/core.js';
import { countRows, differingMeterDays, duckDbDigests, filledMeterDays, parquetView, SHARD_ROWS, shardScenario } from '../support/shard.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-shard-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHARDS = 4;
const single = join(dir, 'single');
const sharded = join(dir, 'sharded');
/** Small parts and units, so each shard writes several part files a date and crosses block boundaries. */
const fileSink = (out: string): FileSink => new FileSink({ format: 'parquet', dir: out, maxRowsPerFile: 2_500 });

function listFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe('a scenario as 1 process and as 4 shards into one Parquet directory', () => {
  let whole: BatchJobSummary;
  let parts: BatchJobSummary[];

  beforeAll(async () => {
    whole = await runBatchJob({ scenario: shardScenario(), sinks: [fileSink(single)], workers: 0, unitRows: 2_000 });
    // The four shards run at once into the same directory, as four machines would; one of them on a worker thread.
    parts = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) =>
        runBatchJob({ scenario: shardScenario(`${i}/${SHARDS}`), sinks: [fileSink(sharded)], workers: i === 1 ? 1 : 0, unitRows: 2_000 }),
      ),
    );
  }, 120_000);

  it('the shards deliver exactly the single process row count, each its own share', () => {
    expect(whole.rows).toBe(SHARD_ROWS);
    expect(parts.map((p) => p.status)).toEqual(Array(SHARDS).fill('completed'));
    parts.forEach((p, i) => expect(p.rows).toBe(expectedRows(shardScenario(`${i}/${SHARDS}`))));
    expect(parts.reduce((s, p) => s + p.rows, 0)).toBe(SHARD_ROWS);
  });

  it('names every file by its shard: no collision, no temporary left, each shard\'s parts chain its batches from 0', () => {
    const files = listFiles(sharded);
    expect(files.length).toBeGreaterThan(SHARDS * 3);
    for (const f of files) expect(f).toMatch(/^date=\d{4}-\d{2}-\d{2}\/part-\d{6}-\d{6}-[A-Za-z0-9-]+_shard-[0-3]-of-4\.parquet$/);
    expect(new Set(files).size).toBe(files.length);
    // Each shard's summary lists its own files; together they are the directory, none claimed twice. (Its label files,
    // in the sibling <dir>_labels, are listed too: each shard's own, none claimed twice either.)
    const outputs = parts.flatMap((p) => p.sinks[0]!.outputs.map((o) => relative(sharded, o)));
    expect(outputs.filter((o) => !o.startsWith('..')).sort()).toEqual(files);
    const labels = outputs.filter((o) => o.startsWith('..'));
    expect(labels.every((o) => o.startsWith('../sharded_labels/'))).toBe(true);
    expect(new Set(labels).size).toBe(labels.length);
    const byShard = new Map<string, [number, number][]>();
    for (const f of files) {
      const m = /\/part-(\d+)-(\d+)-[A-Za-z0-9-]+_(shard-\d-of-4)\./.exec(f)!;
      byShard.set(m[3]!, [...(byShard.get(m[3]!) ?? []), [Number(m[1]), Number(m[2])]]);
    }
    for (const ranges of byShard.values()) {
      ranges.sort((a, b) => a[0] - b[0]);
      expect(ranges.map(([first]) => first)).toEqual(ranges.map((_, i) => (i === 0 ? 0 : ranges[i - 1]![1] + 1)));
    }
  });

  it('per meter-day checksums (verify digests) and row counts are equal, and both equal the engine', async () => {
    const singleDb = join(dir, 'single.duckdb');
    const shardedDb = join(dir, 'sharded.duckdb');
    await parquetView(singleDb, single);
    await parquetView(shardedDb, sharded);
    expect(await countRows(singleDb)).toBe(SHARD_ROWS);
    expect(await countRows(shardedDb)).toBe(SHARD_ROWS);
    const a = await duckDbDigests(singleDb);
    const b = await duckDbDigests(shardedDb);
    // 203 meters x 4 local dates: the 72 real hours from local midnight of 03-07 end at 01:00 on 03-10, since the
    // clocks sprang forward on 03-08.
    expect(filledMeterDays(a)).toBe(203 * 4);
    expect(differingMeterDays(a, b)).toBe(0);
    const scenario = shardScenario();
    for (const path of [singleDb, shardedDb]) {
      const report = await verifySink({ scenario, fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario), target: { kind: 'duckdb', path } });
      expect(report).toMatchObject({ ok: true, expected: SHARD_ROWS, found: SHARD_ROWS, missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    }
  });

  it('a shard refuses its own earlier files, another split and stray files, and writes nothing; siblings are welcome', async () => {
    const before = listFiles(sharded);
    for (const spec of ['1/4', '0/2']) {
      await expect(runBatchJob({ scenario: shardScenario(spec), sinks: [fileSink(sharded)], workers: 0 })).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS' });
    }
    await expect(runBatchJob({ scenario: shardScenario(), sinks: [fileSink(sharded)], workers: 0 })).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_EXISTS' });
    expect(listFiles(sharded)).toEqual(before);
    // A directory holding only shards 0, 2 and 3 of the split takes shard 1.
    const partial = join(dir, 'partial');
    for (const i of [0, 2, 3]) await runBatchJob({ scenario: shardScenario(`${i}/4`), sinks: [fileSink(partial)], workers: 0 });
    await runBatchJob({ scenario: shardScenario('1/4'), sinks: [fileSink(partial)], workers: 0 });
    const partialDb = join(dir, 'partial.duckdb');
    await parquetView(partialDb, partial);
    expect(await countRows(partialDb)).toBe(SHARD_ROWS);
  }, 120_000);
});

describe('the engine, sharded', () => {
  it('the union of the shards\' batches is the unsharded scenario, every column bit for bit', async () => {
    const sum = async (spec?: string): Promise<ReadingChecksum> => {
      const checksum = new ReadingChecksum();
      for await (const { batch, release } of emitBatches(shardScenario(spec), { workers: 0, unitRows: 3_000 })) {
        checksum.add(batch);
        release();
      }
      return checksum;
    };
    const whole = await sum();
    const union = new ReadingChecksum();
    for (let i = 0; i < 3; i++) {
      for await (const { batch, release } of emitBatches(shardScenario(`${i}/3`), { workers: 0, unitRows: 1_000 })) {
        const { start, end } = emittedMeters(shardScenario(`${i}/3`));
        for (let r = 0; r < batch.length; r++) expect(batch.meterIndex[r]! >= start && batch.meterIndex[r]! < end).toBe(true);
        union.add(batch);
        release();
      }
    }
    expect(union.count).toBe(SHARD_ROWS);
    expect(union.duplicates).toBe(0);
    expect(union.digest()).toBe(whole.digest());
  });

  it('a stream of each shard emits its meters\' readings at the same emission times as the unsharded stream', async () => {
    const emission = resolveEmission('DEGRADED_NETWORK', {});
    const keys = async (spec?: string): Promise<string[]> => {
      const scenario = shardScenario(spec);
      const fleet = buildFleet(scenario);
      const from = scenarioStartUtcMs(scenario) + 6 * 3_600_000;
      const stream = new EmissionStream(scenario, fleet, emission, generationDays(scenario), { fromUtcMs: from, toUtcMs: from + 30 * 3_600_000 });
      const out: string[] = [];
      for (let b = await stream.take(Number.POSITIVE_INFINITY, 5_000); b; b = await stream.take(Number.POSITIVE_INFINITY, 5_000)) {
        for (let r = 0; r < b.batch.length; r++) {
          out.push(`${b.batch.meterIndex[r]}:${b.batch.tsUtcMs[r]}:${b.batch.emittedUtcMs[r]}:${b.batch.redelivery[r]}:${b.batch.usageKwh[r]}:${b.batch.isOutage[r]}`);
        }
      }
      return out;
    };
    const whole = await keys();
    const union = (await Promise.all([0, 1, 2, 3].map((i) => keys(`${i}/4`)))).flat();
    expect(whole.length).toBeGreaterThan(203 * 60);
    expect(union.sort()).toEqual(whole.sort());
  });
});
