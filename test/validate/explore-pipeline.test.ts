import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLD_TABLES } from '../../src/pipeline/pipeline-schema.js';
import { buildServer } from '../../src/server/build-server.js';
import type { ExploreData, ExplorePanelAnswer } from '../../src/validate/explore-queries.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';

// A pipeline database built as a user builds one: `forge generate` writing the same readings to a DuckDB output and
// to a stage (dual write), then `forge ingest` of the stage. Explore reads the pipeline's silver_ami with the same
// queries as the output's star schema, so every chart must agree with the output's (up to summation order).
const dir = mkdtempSync(join(tmpdir(), 'forge-explore-pipeline-'));
let server: FastifyInstance;

/** Deep equality with numbers compared to a relative 1e-9 (sums in another order differ in the last bits). */
function expectClose(actual: unknown, expected: unknown, where = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, `${where}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
    return;
  }
  expect(actual, where).toEqual(expected);
}

beforeAll(async () => {
  const generated = runForge(
    ['generate', '--meters', '40', '--days', '3', '--seed', '5', '--storm', '--pv-share', '0.3', '--ev-share', '0.3', '--sink', 'duckdb,stage', '--out', 'duckdb=out.duckdb', '--stage', './stage', '--state-dir', './jobs'],
    dir,
  );
  expect(generated.code, generated.stderr).toBe(0);
  const ingested = runForge(['ingest', '--stage', './stage', '--out', 'pipeline/pipeline.duckdb'], dir);
  expect(ingested.code, ingested.stderr).toBe(0);
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'server-jobs') });
}, 300_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const reply = await server.inject({ method: 'GET', url });
  return { status: reply.statusCode, body: reply.json<T>() };
};

describe('Explore on a pipeline database built by forge generate --sink stage and forge ingest', () => {
  it('lists both DuckDB files of the data directory to pick from', async () => {
    const files = await get<{ path: string }[]>('/api/explore/files');
    expect(files.status).toBe(200);
    expect(files.body.map((f) => f.path).sort()).toEqual(['out.duckdb', join('pipeline', 'pipeline.duckdb')]);
  });

  it("explores silver_ami: every panel agrees with the DuckDB output of the same readings, and the medallion tables' rows are listed", async () => {
    const star = await get<ExploreData>('/api/explore?path=out.duckdb');
    const silver = await get<ExploreData>('/api/explore?path=pipeline/pipeline.duckdb');
    expect(star.status).toBe(200);
    expect(silver.status).toBe(200);
    expect(star.body.source).toBe('star');
    expect(silver.body.source).toBe('silver');
    expect(silver.body.rows).toBe(40 * 3 * 96);
    const tables = new Map(silver.body.pipeline!.tables.map((t) => [t.table, t.rows]));
    expect(tables.get('bronze_ami')).toBe(40 * 3 * 96);
    expect(tables.get('silver_ami')).toBe(40 * 3 * 96);
    expect(tables.get('stage_rejects')).toBe(0);
    for (const gold of GOLD_TABLES) expect(tables.get(gold), gold).toBeGreaterThan(0);
    expect(star.body.pipeline).toBeNull();
    // Same readings, same charts: everything but where they came from and how PV/EV homes are known.
    for (const key of ['rows', 'meters', 'firstDay', 'lastDay', 'days', 'segments', 'profiles', 'heatmap', 'meterWeek', 'annual', 'voltage', 'outages', 'events', 'realism'] as const) {
      expectClose(key === 'outages' ? { ...silver.body.outages, reliability: { ...silver.body.outages.reliability, path: '' } } : silver.body[key], key === 'outages' ? { ...star.body.outages, reliability: { ...star.body.outages.reliability, path: '' } } : star.body[key], key);
    }
    expect(silver.body.outages.reliability!.all.saifi).toBeGreaterThan(0);
    // A pipeline database carries no scenario: PV homes are those that ever export, EV homes unknown.
    expect(star.body.pvEv.basis).toBe('fleet');
    expect(silver.body.pvEv.basis).toBe('exports');
    expect(silver.body.pvEv.evMeters).toBe(0);
  }, 120_000);

  it('matches direct SQL on silver_ami', async () => {
    const silver = await get<ExploreData>('/api/explore?path=pipeline/pipeline.duckdb');
    const w = await Warehouse.open(join(dir, 'pipeline', 'pipeline.duckdb'), { access_mode: 'READ_ONLY' });
    try {
      expect(silver.body.rows).toBe(await w.number(`SELECT count(*) FROM silver_ami`));
      expect(silver.body.outages.meters.reduce((s, m) => s + m.minutesOut, 0)).toBe(await w.number(`SELECT coalesce(sum(interval_minutes), 0) FROM silver_ami WHERE is_outage`));
      expect(silver.body.events.byType.reduce((s, t) => s + t.count, 0)).toBe(await w.number(`SELECT count(*) FROM silver_ami WHERE event_type IS NOT NULL`));
      const exporters = await w.number(`SELECT count(DISTINCT meter_id) FROM silver_ami WHERE customer_segment = 'RESIDENTIAL' AND usage_kwh < 0`);
      expect(silver.body.pvEv.pvMeters).toBe(exporters);
      expect(silver.body.heatmap.reduce((s, c) => s + c.kwh, 0)).toBeCloseTo(await w.number(`SELECT sum(usage_kwh) FROM silver_ami`), 6);
    } finally {
      w.close();
    }
  }, 120_000);

  it('answers one panel at a time, from the cache the second time; refuses an unknown panel', async () => {
    const first = await get<ExplorePanelAnswer<'voltage'>>('/api/explore?path=pipeline/pipeline.duckdb&panel=voltage');
    expect(first.status).toBe(200);
    expect(first.body.panel).toBe('voltage');
    expect(first.body.data.readings).toBeGreaterThan(0);
    const again = await get<ExplorePanelAnswer<'voltage'>>('/api/explore?path=pipeline/pipeline.duckdb&panel=voltage');
    expect(again.body.cached).toBe(true);
    expect(again.body.data).toEqual(first.body.data);
    const week = await get<ExplorePanelAnswer<'meterWeek'>>('/api/explore?path=pipeline/pipeline.duckdb&panel=meterWeek&meter=MTR-TGC-0000007');
    expect(week.body.data!.meterId).toBe('MTR-TGC-0000007');
    const unknownMeter = await get<unknown>('/api/explore?path=pipeline/pipeline.duckdb&panel=meterWeek&meter=MTR-NOPE');
    expect(unknownMeter.status).toBe(400);
    const bad = await get<{ code: string }>('/api/explore?path=pipeline/pipeline.duckdb&panel=everything');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('FORGE_ERR_INVALID_CONFIG');
  }, 120_000);
});
