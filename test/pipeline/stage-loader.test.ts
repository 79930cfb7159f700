import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { watchPipeline, type PipelineRun } from '../../src/pipeline/pipeline-runner.js';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import type { StageFile, StageStore } from '../../src/stage/stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { byHour, engineReadings, ndjson, putStageFiles, type EngineReading } from '../support/pipeline.js';

let readings: EngineReading[];
let dir: string;
let stage: LocalStageStore;
let dbPath: string;

beforeAll(async () => {
  readings = await engineReadings();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-pipeline-'));
  stage = new LocalStageStore(join(dir, 'stage'));
  dbPath = join(dir, 'pipeline.duckdb');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withWarehouse<T>(fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(dbPath);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

describe('stage loader (bronze)', () => {
  it('loads every file once, one bronze row per line, and a restarted loader loads nothing again', async () => {
    const keys = await putStageFiles(stage, byHour(readings));
    expect(keys).toHaveLength(24);
    const first = await withWarehouse((w) => loadStage(w, stage));
    expect(first.loaded.map((f) => f.key)).toEqual(keys);
    expect(first.rows).toBe(readings.length);
    expect(first.quarantined).toEqual([]);
    await withWarehouse(async (w) => {
      expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(readings.length);
      expect(await w.number(`SELECT count(DISTINCT (file_name, row_number)) FROM bronze_ami`)).toBe(readings.length);
      expect(await w.number(`SELECT count(*) FROM stage_load_history WHERE status = 'LOADED'`)).toBe(24);
      expect(await w.number(`SELECT sum(rows) FROM stage_load_history`)).toBe(readings.length);
      // Line numbers follow the file: line 1 of the first file is its first reading.
      const raw = await w.rows(`SELECT raw FROM bronze_ami WHERE file_name = $1 AND row_number = 1`, [keys[0]!]);
      expect(JSON.parse(String(raw[0]!.raw))).toEqual(byHour(readings)[0]![0]!.record);
      // Files loaded together take bronze ids as one by one would: file by file in the listing's order, line by line.
      const order = await w.rows(`SELECT file_name, row_number FROM bronze_ami ORDER BY bronze_id`);
      const expected = byHour(readings).flatMap((hour, i) => hour.map((_, line) => `${keys[i]}#${line + 1}`));
      expect(order.map((r) => `${String(r.file_name)}#${String(r.row_number)}`)).toEqual(expected);
    });
    const second = await withWarehouse((w) => loadStage(w, stage));
    expect(second.loaded).toEqual([]);
    expect(second.alreadyInHistory).toBe(24);
    await withWarehouse(async (w) => expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(readings.length));
  });

  it('quarantines a corrupt gzip and invalid JSON, rejects a line without the keys (its file loads), and skips foreign files', async () => {
    const hours = byHour(readings);
    const good = await putStageFiles(stage, hours.slice(0, 3));
    const t = hours[3]![0]!.tsUtcMs;
    const badGzip = stageKey(t, 'bad', 1, 'json.gz');
    await stage.put(badGzip, Buffer.from('this is not gzip'));
    const truncated = stageKey(t, 'bad', 2, 'json.gz');
    await stage.put(truncated, gzipSync(ndjson(hours[3]!)).subarray(0, 200));
    const badJson = stageKey(t, 'bad', 3, 'json.gz');
    await stage.put(badJson, gzipSync(`${hours[3]![0]!.line}\n{"header": {"message_id": \n`));
    const noKeys = stageKey(t, 'bad', 4, 'json');
    await stage.put(noKeys, Buffer.from(`${hours[3]![0]!.line}\n${JSON.stringify({ header: {}, meter: { meter_id: 'X' } })}\n`));
    await stage.put('raw/ami/notes.txt', Buffer.from('hello'));
    const later = await putStageFiles(stage, hours.slice(4, 6), 'test', 100);

    const summary = await withWarehouse((w) => loadStage(w, stage));
    expect(summary.loaded.map((f) => f.key).sort()).toEqual([...good, noKeys, ...later].sort());
    expect(summary.loaded.find((f) => f.key === noKeys)).toEqual({ key: noKeys, rows: 1, rejected: 1 });
    expect(summary.rejected).toBe(1);
    expect(summary.quarantined.map((f) => f.key).sort()).toEqual([badGzip, truncated, badJson].sort());
    expect(summary.skipped.map((f) => f.key)).toEqual(['raw/ami/notes.txt']);
    const error = (key: string): string => summary.quarantined.find((f) => f.key === key)!.error;
    expect(error(badGzip)).toMatch(/gzip/i);
    expect(error(badJson)).toMatch(/malformed json/i);
    expect(error(badGzip)).not.toContain(tmpdir());

    const expected = [...hours.slice(0, 3), ...hours.slice(4, 6)].flat().length + 1;
    await withWarehouse(async (w) => {
      expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(expected);
      expect(await w.number(`SELECT count(*) FROM bronze_ami WHERE file_name IN ($1, $2, $3)`, [badGzip, truncated, badJson])).toBe(0);
      const rows = await w.rows(`SELECT file_name, status, rows, error FROM stage_load_history WHERE status = 'QUARANTINED' ORDER BY file_name`);
      expect(rows.map((r) => r.file_name)).toEqual([badGzip, truncated, badJson].sort());
      expect(rows.every((r) => Number(r.rows) === 0 && typeof r.error === 'string' && r.error.length > 0)).toBe(true);
      const rejects = await w.rows(`SELECT file_name, line, reason FROM stage_rejects`);
      expect(rejects).toEqual([
        {
          file_name: noKeys,
          line: '2',
          reason:
            'reading_ts: missing; reading_ts_utc: missing; interval_minutes: missing; usage_kwh: missing; service_area: missing; ' +
            'customer_segment: missing; is_outage: missing; data_quality: missing; emission_pattern: missing',
        },
      ]);
    });
    // Quarantined and loaded files are in the history: not retried, not loaded by a restart.
    const again = await withWarehouse((w) => loadStage(w, stage));
    expect(again.loaded).toEqual([]);
    expect(again.quarantined).toEqual([]);
    expect(again.alreadyInHistory).toBe(good.length + later.length + 4);
  });

  it('defers a file whose download fails (the store, not the file) and loads it on the next pass', async () => {
    const keys = await putStageFiles(stage, byHour(readings).slice(0, 4));
    const flaky = new FlakyStore(stage, { getFailures: new Set([keys[1]!]) });
    const first = await withWarehouse((w) => loadStage(w, flaky));
    expect(first.deferred).toEqual([{ key: keys[1], error: 'connection reset by the test' }]);
    expect(first.quarantined).toEqual([]);
    expect(first.loaded.map((f) => f.key)).toEqual([keys[0], keys[2], keys[3]]);
    await withWarehouse(async (w) => expect(await w.number(`SELECT count(*) FROM stage_load_history WHERE file_name = $1`, [keys[1]!])).toBe(0));
    const second = await withWarehouse((w) => loadStage(w, flaky));
    expect(second.loaded.map((f) => f.key)).toEqual([keys[1]]);
    await withWarehouse(async (w) => expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(byHour(readings).slice(0, 4).flat().length));
  });

  it('the watch loop reports a failed pass (stage unreachable) and carries on', async () => {
    await putStageFiles(stage, byHour(readings).slice(0, 2));
    const flaky = new FlakyStore(stage, { listFailures: 2 });
    const w = await Warehouse.open(dbPath);
    const controller = new AbortController();
    const errors: string[] = [];
    const runs: PipelineRun[] = [];
    try {
      const watching = watchPipeline(w, flaky, {
        targetLagMs: 100,
        signal: controller.signal,
        onRun: (r) => {
          runs.push(r);
          if (r.silverRows > 0) controller.abort();
        },
        onError: (e) => errors.push((e as Error).message),
      });
      const timer = setTimeout(() => controller.abort(), 20_000);
      await watching;
      clearTimeout(timer);
      expect(errors).toEqual(['stage unreachable (test)', 'stage unreachable (test)']);
      expect(runs.reduce((s, r) => s + r.silverRows, 0)).toBe(byHour(readings).slice(0, 2).flat().length);
    } finally {
      w.close();
    }
  });
});

/** A failure fixture: a stage whose listing fails the first N times and whose downloads of some keys fail once. */
class FlakyStore implements StageStore {
  readonly description: string;
  private listFailures: number;
  constructor(
    private readonly inner: StageStore,
    private readonly faults: { getFailures?: Set<string>; listFailures?: number },
  ) {
    this.description = inner.description;
    this.listFailures = faults.listFailures ?? 0;
  }
  prepare(): Promise<void> {
    return this.inner.prepare();
  }
  put(key: string, body: Buffer): Promise<void> {
    return this.inner.put(key, body);
  }
  async list(prefix?: string): Promise<StageFile[]> {
    if (this.listFailures > 0) {
      this.listFailures--;
      throw new Error('stage unreachable (test)');
    }
    return this.inner.list(prefix);
  }
  async get(key: string): Promise<Buffer> {
    if (this.faults.getFailures?.delete(key)) throw new Error('connection reset by the test');
    return this.inner.get(key);
  }
  close(): void {
    this.inner.close();
  }
}
