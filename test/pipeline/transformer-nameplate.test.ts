import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { NAMEPLATE_POWER_FACTOR } from '../../src/generator/transformer-columns.js';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-nameplate-'));
  mkdirSync(join(dir, 'examples'));
  for (const f of ['fleet-inventory.csv', 'fleet-import.yaml']) copyFileSync(join(import.meta.dirname, '../../examples', f), join(dir, 'examples', f));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withDb<T>(path: string, fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(path);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

/** Each transformer's nameplate in gold, and whether every hour of it agrees with its peak. */
const GOLD_NAMEPLATES = `SELECT transformer_id, min(nameplate_kva) AS kva, max(nameplate_kva) AS kva_max, min(nameplate_kw) AS kw, any_value(nameplate_source) AS source,
    bool_and(over_nameplate = (peak_kw > nameplate_kw)) AS consistent, count(*) AS hours FROM gold_transformer_hourly GROUP BY 1 ORDER BY 1`;

describe('transformer ratings in gold loading', () => {
  it('forge generate --sink stage then forge ingest: each transformer against its own rating, as the fleet drew it', { timeout: 300_000 }, async () => {
    const args = ['--meters', '60', '--start', '2026-07-01', '--days', '2'];
    const generated = runForge(['generate', ...args, '--sink', 'stage', '--stage', 'st'], dir);
    expect(generated.code, generated.stderr).toBe(0);
    const ingested = runForge(['ingest', '--stage', 'st', '--out', 'p.duckdb'], dir);
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(ingested.stdout).not.toMatch(/without a rating/);

    const fleet = buildFleet(resolveScenario({ meters: 60, start: '2026-07-01', days: 2 }));
    const rated = new Map<string, number>();
    for (let i = 0; i < fleet.size; i++) rated.set(fleet.transformerIds[fleet.transformer[i]!]!, fleet.transformerKva[fleet.transformer[i]!]!);
    const rows = await withDb(join(dir, 'p.duckdb'), (w) => w.rows(GOLD_NAMEPLATES));
    expect(rows.map((r) => String(r.transformer_id)).sort()).toEqual([...rated.keys()].sort());
    for (const r of rows) {
      expect(r.kva, String(r.transformer_id)).toBe(rated.get(String(r.transformer_id)));
      expect(r.kva_max).toBe(r.kva);
      expect(r.kw).toBeCloseTo(Number(r.kva) * NAMEPLATE_POWER_FACTOR, 9);
      expect(r.source).toBe('FLEET');
      expect(r.consistent).toBe(true);
      expect(Number(r.hours)).toBe(48);
    }
    // The ratings vary: homes' single-phase units and three-phase units behind commercial and industrial meters.
    expect(new Set(rows.map((r) => r.kva)).size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...rows.map((r) => Number(r.kva)))).toBeGreaterThanOrEqual(75);
    // What `forge ingest` keeps: one row per transformer, as the stage sink landed them.
    const table = await withDb(join(dir, 'p.duckdb'), (w) => w.rows(`SELECT transformer_id, kva, phases, meters FROM ami_transformers ORDER BY 1`));
    expect(table).toHaveLength(rated.size);
    expect(table.reduce((s, r) => s + Number(r.meters), 0)).toBe(60);
    expect(table.every((r) => (Number(r.phases) === 3) === Number(r.kva) >= 75 || Number(r.kva) === 75)).toBe(true);

    // forge pipeline status reports the share of transformer-hours over nameplate, from the same gold rows.
    const status = runForge(['pipeline', 'status', '--out', 'p.duckdb', '--json'], dir);
    expect(status.code, status.stderr).toBe(0);
    const over = await withDb(join(dir, 'p.duckdb'), (w) => w.number(`SELECT count(*) FROM gold_transformer_hourly WHERE peak_kw > nameplate_kw`));
    expect(JSON.parse(status.stdout).transformerLoading).toEqual({ transformers: rated.size, hours: rated.size * 48, overNameplate: over, unratedHours: 0 });
    const text = runForge(['pipeline', 'status', '--out', 'p.duckdb'], dir);
    expect(text.stdout).toMatch(new RegExp(`transformer loading: [\\d,]+ transformer-hours of ${rated.size} transformers, [\\d,]+ \\(\\d+\\.\\d%\\) over nameplate; every nameplate from the fleet's ratings`));

    // Run again on the same stage: nothing is loaded twice.
    const again = runForge(['ingest', '--stage', 'st', '--out', 'p.duckdb', '--json'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).load.loaded).toEqual([]);
  });

  it('an imported fleet\'s own kVA reaches gold (stage + ingest) and the DuckDB warehouse\'s transformer dimension', { timeout: 300_000 }, async () => {
    const imported = runForge(['fleet', 'import', '--config', 'examples/fleet-import.yaml', '--out', 'mine.parquet'], dir);
    expect(imported.code, imported.stderr).toBe(0);
    const staged = runForge(['generate', '--fleet-file', 'mine.parquet', '--start', '2026-07-01', '--days', '1', '--sink', 'stage', '--stage', 'imported'], dir);
    expect(staged.code, staged.stderr).toBe(0);
    const ingested = runForge(['ingest', '--stage', 'imported', '--out', 'i.duckdb'], dir);
    expect(ingested.code, ingested.stderr).toBe(0);
    const warehouse = runForge(['generate', '--fleet-file', 'mine.parquet', '--start', '2026-07-01', '--days', '1', '--sink', 'duckdb', '--out', 'w.duckdb'], dir);
    expect(warehouse.code, warehouse.stderr).toBe(0);

    // examples/fleet-inventory.csv gives these ratings (XFMR_KVA); the others are drawn.
    const given = { 'T-1-02': 25, 'T-1-03': 37.5, 'T-1-05': 50, 'T-CI-1': 150, 'T-CI-2': 75, 'T-CI-4': 300, 'T-CI-6': 1000 };
    const gold = new Map((await withDb(join(dir, 'i.duckdb'), (w) => w.rows(GOLD_NAMEPLATES))).map((r) => [String(r.transformer_id), r]));
    const dimension = new Map((await withDb(join(dir, 'w.duckdb'), (w) => w.rows(`SELECT transformer_id, kva FROM ami_transformers`))).map((r) => [String(r.transformer_id), Number(r.kva)]));
    for (const [id, kva] of Object.entries(given)) {
      expect(gold.get(id)?.kva, id).toBe(kva);
      expect(gold.get(id)?.kw).toBeCloseTo(kva * NAMEPLATE_POWER_FACTOR, 9);
      expect(dimension.get(id), id).toBe(kva);
    }
    // Every transformer of gold has the warehouse's rating for it: the two sinks agree.
    expect(gold.size).toBe(dimension.size);
    for (const [id, r] of gold) {
      expect(r.kva, id).toBe(dimension.get(id));
      expect(r.source).toBe('FLEET');
      expect(r.consistent).toBe(true);
    }
  });

  it('readings loaded before their transformer file take the rating when it arrives; a bad transformer file is quarantined; unknown ids fall back to 25 kVA', { timeout: 300_000 }, async () => {
    const generated = runForge(['generate', '--meters', '30', '--start', '2026-01-10', '--days', '1', '--sink', 'stage', '--stage', 'late'], dir);
    expect(generated.code, generated.stderr).toBe(0);
    const store = new LocalStageStore(join(dir, 'late'));
    const [ratings] = await store.list('raw/transformers/');
    const aside = join(dir, 'ratings.ndjson.gz');
    await rename(join(dir, 'late', ...ratings!.key.split('/')), aside);
    // A foreign transformer file with a line without a rating, and one naming a transformer no reading is behind.
    await writeFile(join(dir, 'late', 'raw', 'transformers', 'transformers_bad.ndjson'), '{"transformer_id":"XFMR-X","kva":0}\n');
    await writeFile(join(dir, 'late', 'raw', 'transformers', 'transformers_other.ndjson.gz'), gzipSync('{"transformer_id":"XFMR-NOT-HERE","kva":50,"phases":1}\n'));

    const db = join(dir, 'late.duckdb');
    await withDb(db, async (w) => {
      const first = await runPipelineOnce(w, store);
      expect(first.load.quarantined).toEqual([{ key: 'raw/transformers/transformers_bad.ndjson', error: expect.stringMatching(/1 line\(s\) without a transformer_id or a positive kva/) }]);
      expect(first.unratedTransformers).toBeGreaterThan(0);
      const before = await w.rows(GOLD_NAMEPLATES);
      expect(before.every((r) => r.kva === 25 && r.source === 'DEFAULT_25_KVA' && r.consistent === true)).toBe(true);
      expect(first.unratedTransformers).toBe(before.length);

      // The job's file lands late: the gold hours already there take each transformer's rating.
      await rename(aside, join(dir, 'late', ...ratings!.key.split('/')));
      const second = await runPipelineOnce(w, store);
      expect(second.load.loaded.map((f) => f.key)).toEqual([ratings!.key]);
      const after = await w.rows(GOLD_NAMEPLATES);
      expect(after.every((r) => r.source === 'FLEET' && r.consistent === true)).toBe(true);
      const fleet = buildFleet(resolveScenario({ meters: 30, start: '2026-01-10', days: 1 }));
      for (const r of after) expect(r.kva).toBe(fleet.transformerKva[fleet.transformerIds.indexOf(String(r.transformer_id))]);
      expect(new Set(after.map((r) => r.kva)).size).toBeGreaterThan(1);
    });
  });
});
