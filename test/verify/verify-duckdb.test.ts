import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { expectedRows, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { verifySink, type VerifyReport } from '../../src/verify/verify-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { at, COUNT_IN_WINDOW, duckNumber, duckRows, tamperDuckDb, tamperPlan, tsText, verifyScenario, writeDuckDb } from '../support/verify.js';

let dir: string;
let files = 0;
const scenario = verifyScenario();
const meterIds = buildFleet(scenario).meterIds;
const from = scenarioStartUtcMs(scenario);
const to = scenarioEndUtcMs(scenario);
const plan = tamperPlan(meterIds, scenario);

/** A fresh DuckDB file with the scenario's readings (and, if asked, another job's meters appended). */
async function cleanFile(options: { otherJob?: boolean } = {}): Promise<string> {
  const path = join(dir, `verify-${++files}.duckdb`);
  await writeDuckDb(path, scenario);
  if (options.otherJob) await writeDuckDb(path, verifyScenario({ idPrefix: 'OTH', meters: 12, seed: 3 }), true);
  return path;
}

const verify = (path: string, window: { fromMs?: number; toMs?: number; chunkRows?: number } = {}): Promise<VerifyReport> =>
  verifySink({
    scenario,
    fromUtcMs: window.fromMs ?? from,
    toUtcMs: window.toMs ?? to,
    target: { kind: 'duckdb', path },
    ...(window.chunkRows !== undefined ? { chunkRows: window.chunkRows } : {}),
  });

/** Rows of the fleet's meters in a window, counted by DuckDB itself. */
const countInWindow = (path: string, fromMs: number, toMs: number): Promise<number> => duckNumber(path, COUNT_IN_WINDOW, [meterIds.join(','), tsText(fromMs), tsText(toMs)]);

/** The local date (from the stored reading_ts) of a meter's reading. */
async function localDate(path: string, meterId: string, tsMs: number): Promise<string> {
  const rows = await duckRows(path, `SELECT DISTINCT strftime(reading_ts, '%Y-%m-%d') AS d FROM ami_readings WHERE meter_id = $1 AND reading_ts_utc = $2::TIMESTAMPTZ`, [meterId, tsText(tsMs)]);
  expect(rows, `${meterId} ${tsText(tsMs)}`).toHaveLength(1);
  return String(rows[0]!.d);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-verify-duckdb-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verifySink against a DuckDB warehouse file', () => {
  it('reports clean output as ok: every expected reading found once, meter-days of three local dates', async () => {
    const path = await cleanFile({ otherJob: true });
    // The file holds another job's meters too; verify looks at this fleet's only.
    expect(await duckNumber(path, `SELECT count(*) FROM ami_readings WHERE meter_id LIKE 'OTH-%'`)).toBeGreaterThan(0);
    const dates = await duckNumber(path, `SELECT count(DISTINCT CAST(reading_ts AS DATE)) FROM ami_readings WHERE meter_id LIKE 'MTR-%'`);
    expect(dates).toBe(3);

    const report = await verify(path);
    expect(report).toEqual({
      target: `duckdb ${path}`,
      fromUtc: '2026-03-07T06:00:00Z',
      toUtc: '2026-03-09T06:00:00Z',
      expected: expectedRows(scenario),
      found: expectedRows(scenario),
      missing: 0,
      duplicates: 0,
      differing: 0,
      unexpected: 0,
      meterDays: scenario.meters * dates,
      problemMeterDays: 0,
      problems: [],
      ok: true,
    });
    expect(report.expected).toBe(await countInWindow(path, from, to));
  });

  it('finds exactly the rows deleted, duplicated, changed and moved off the interval grid, naming their meter-days', async () => {
    const path = await cleanFile();
    const changedBefore = await duckNumber(path, `SELECT usage_kwh FROM ami_readings WHERE meter_id = $1 AND reading_ts_utc = $2::TIMESTAMPTZ`, [
      plan.change.meterId, tsText(plan.change.tsMs),
    ]);
    await tamperDuckDb(path, plan);
    const expected = expectedRows(scenario);
    // What the tampering did, counted by DuckDB: 3 rows fewer, 2 more (the duplicate and the moved copy).
    expect(await countInWindow(path, from, to)).toBe(expected - 3 + 2);

    const report = await verify(path);
    expect(report).toMatchObject({ expected, found: expected - 3 + 2, missing: 3, duplicates: 1, differing: 1, unexpected: 1, problemMeterDays: 4, ok: false });
    const dates = {
      deleted: await localDate(path, plan.delete.meterId, plan.delete.toMs),
      duplicated: await localDate(path, plan.duplicate.meterId, plan.duplicate.tsMs),
      changed: await localDate(path, plan.change.meterId, plan.change.tsMs),
      moved: await localDate(path, plan.offGrid.meterId, plan.offGrid.tsMs),
    };
    expect(new Set(Object.values(dates))).toEqual(new Set(['2026-03-07', '2026-03-08', '2026-03-09']));
    const perDay = async (meterId: string, date: string): Promise<number> =>
      duckNumber(path, `SELECT count(*) FROM ami_readings WHERE meter_id = $1 AND CAST(reading_ts AS DATE) = $2::DATE`, [meterId, date]);
    const byKey = new Map(report.problems.map((p) => [`${p.meterId} ${p.localDate}`, p]));
    expect([...byKey.keys()].sort()).toEqual(
      [`${plan.delete.meterId} ${dates.deleted}`, `${plan.duplicate.meterId} ${dates.duplicated}`, `${plan.change.meterId} ${dates.changed}`, `${plan.offGrid.meterId} ${dates.moved}`].sort(),
    );
    const deleted = byKey.get(`${plan.delete.meterId} ${dates.deleted}`)!;
    expect(deleted).toMatchObject({ missing: 3, duplicates: 0, differing: 0, unexpected: 0, found: deleted.expected - 3, firstDifference: null });
    expect(deleted.found).toBe(await perDay(plan.delete.meterId, dates.deleted));
    const duplicated = byKey.get(`${plan.duplicate.meterId} ${dates.duplicated}`)!;
    expect(duplicated).toMatchObject({ missing: 0, duplicates: 1, differing: 0, unexpected: 0, found: duplicated.expected + 1 });
    const changed = byKey.get(`${plan.change.meterId} ${dates.changed}`)!;
    expect(changed).toMatchObject({ missing: 0, duplicates: 0, differing: 1, unexpected: 0, found: changed.expected });
    expect(changed.firstDifference).toBe(`${tsText(plan.change.tsMs).replace('.000Z', 'Z')}: usage_kwh ${changedBefore} -> ${changedBefore + plan.change.by}`);
    const moved = byKey.get(`${plan.offGrid.meterId} ${dates.moved}`)!;
    expect(moved).toMatchObject({ missing: 0, duplicates: 0, differing: 0, unexpected: 1, found: moved.expected + 1 });
    // Each problem's expected count is that meter's day of readings (03-09 has 4 intervals in the scenario).
    for (const p of report.problems) expect(p.expected, `${p.meterId} ${p.localDate}`).toBe(p.localDate === '2026-03-09' ? 4 : p.localDate === '2026-03-08' ? 92 : 96);
  });

  it('gives the same report whatever the chunk size (one meter-day per request up to the whole window)', async () => {
    const path = await cleanFile();
    await tamperDuckDb(path, plan);
    const whole = await verify(path);
    expect(whole.ok).toBe(false);
    for (const chunkRows of [1, 100, 1_000, 3_000]) expect(await verify(path, { chunkRows }), `chunkRows ${chunkRows}`).toEqual(whole);
  });

  it('ignores readings outside a narrower window, with unaligned bounds counted the same way as the store', async () => {
    const path = await cleanFile();
    await tamperDuckDb(path, plan);
    // Hours 6 to 30 hold none of the tampering.
    const middle = await verify(path, { fromMs: at(scenario, 6), toMs: at(scenario, 30) });
    expect(middle).toMatchObject({ ok: true, fromUtc: '2026-03-07T12:00:00Z', toUtc: '2026-03-08T12:00:00Z', missing: 0, duplicates: 0, differing: 0, unexpected: 0 });
    expect(middle.expected).toBe(scenario.meters * 24 * 4);
    expect(middle.found).toBe(await countInWindow(path, at(scenario, 6), at(scenario, 30)));
    // Bounds between interval starts: 06:07 excludes 06:00, 30:07 includes 30:00.
    const shifted = await verify(path, { fromMs: at(scenario, 6, 7), toMs: at(scenario, 30, 7) });
    expect(shifted).toMatchObject({ ok: true, expected: await countInWindow(path, at(scenario, 6, 7), at(scenario, 30, 7)) });
    // The first six hours: only the deleted rows.
    const first = await verify(path, { fromMs: from, toMs: at(scenario, 6) });
    expect(first).toMatchObject({ ok: false, missing: 3, duplicates: 0, differing: 0, unexpected: 0, expected: scenario.meters * 6 * 4, problemMeterDays: 1 });
    // An empty window is trivially clean.
    expect(await verify(path, { fromMs: at(scenario, 10), toMs: at(scenario, 10) })).toMatchObject({ ok: true, expected: 0, found: 0, meterDays: 0 });
  });

  it('catches a store written from another scenario (another seed): same keys, other values', async () => {
    const path = await cleanFile();
    const report = await verifySink({ scenario: verifyScenario({ seed: 12 }), fromUtcMs: from, toUtcMs: to, target: { kind: 'duckdb', path } });
    expect(report.ok).toBe(false);
    expect(report.missing + report.unexpected).toBe(0);
    expect(report.differing).toBeGreaterThan(report.expected / 2);
    expect(report.problems).toHaveLength(20);
  });

  it('refuses a window outside the scenario before reading anything', async () => {
    const path = join(dir, 'never.duckdb');
    for (const [fromMs, toMs] of [[from - STEP, to], [from, to + STEP], [at(scenario, 5), at(scenario, 4)]] as const) {
      await expect(verify(path, { fromMs, toMs })).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringContaining('window') });
    }
    expect(existsSync(path)).toBe(false);
  });

  it('reports a DuckDB file that does not exist, and does not create it', async () => {
    const sub = join(dir, 'absent');
    const path = join(sub, 'forge.duckdb');
    await expect(verify(path)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND', message: `No Flux Data Forge output at ${path}` });
    expect(existsSync(sub)).toBe(false);
    const flat = join(dir, 'absent.duckdb');
    await expect(verify(flat)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND' });
    expect(readdirSync(dir).filter((f) => f.startsWith('absent'))).toEqual([]);
  });

  it('reports a DuckDB file without the readings view, and leaves it as it was', async () => {
    const path = join(dir, 'empty.duckdb');
    const w = await Warehouse.open(path);
    await w.run('CREATE TABLE unrelated (x INTEGER)');
    w.close();
    await expect(verify(path)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND', message: expect.stringContaining('has no ami_readings view') });
    expect(await duckNumber(path, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'unrelated'`)).toBe(1);
    expect(await duckNumber(path, `SELECT count(*) FROM duckdb_views() WHERE view_name = 'ami_readings'`)).toBe(0);
  });
});

const STEP = 15 * 60_000;
