import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';

// The Quick Demo as a new user runs it: what its first output shows (issue 15), and the quiet fleet that shows none.

const ANOMALY_TYPES = ['TAMPER', 'METER_FAULT', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL'];
/** Scheduled per kind and week in a demo (generator/demo-events.ts): the least a Quick Demo shows. */
const PER_KIND = 3;
/** Each forge run starts a TypeScript process: give a loaded CI machine room. */
const SLOW = 240_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRowObjects();
    connection.closeSync();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    instance.closeSync();
  }
}

function generate(cwd: string, args: string[]): { jobId: string; labels: { windows: Record<string, number> } } {
  const run = runForge(['generate', '--preset', 'quick', '--start', '2026-10-28', '--json', ...args], cwd);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as { jobId: string; labels: { windows: Record<string, number> } };
}

describe('forge generate --preset quick shows what the product does', () => {
  let cwd: string;
  let db: string;
  let windows: Record<string, number>;
  let jobId: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(dir, 'quick-'));
    db = join(cwd, 'forge-data', 'forge.duckdb');
    ({ jobId, labels: { windows } } = generate(cwd, []));
  }, SLOW);

  it('a transformer outage: several homes of one transformer send a last gasp and, later, a power restore', async () => {
    const restored = await query(db, `
      SELECT transformer_id, count(*) AS meters FROM (
        SELECT meter_id, transformer_id,
               min(reading_ts_utc) FILTER (WHERE event_type = 'LAST_GASP') AS gasp,
               max(reading_ts_utc) FILTER (WHERE event_type = 'POWER_RESTORE') AS restore
        FROM ami_readings GROUP BY meter_id, transformer_id)
      WHERE gasp < restore GROUP BY transformer_id ORDER BY meters DESC`);
    expect(restored.length).toBeGreaterThanOrEqual(1);
    expect(restored[0]!.meters).toBeGreaterThanOrEqual(2);
    expect(windows.OUTAGE).toBeGreaterThanOrEqual(1);
  });

  it(`at least ${PER_KIND} labelled windows of each anomaly type, in the summary and in anomaly_labels`, async () => {
    const rows = await query(db, 'SELECT event_type, count(*) AS n FROM anomaly_labels GROUP BY event_type');
    const inTable = Object.fromEntries(rows.map((r) => [r.event_type as string, r.n as number]));
    for (const type of ANOMALY_TYPES) {
      expect(windows[type], type).toBeGreaterThanOrEqual(PER_KIND);
      expect(inTable[type], type).toBe(windows[type]);
    }
    expect(inTable.OUTAGE).toBe(windows.OUTAGE);
  });

  it('passes every validation check, the outage rows included', () => {
    const validate = runForge(['validate'], cwd);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('All checks passed.');
    expect(validate.stdout).toMatch(/PASS\s+outage_share\s+0\.[0-9]+% of readings in outage/);
  }, SLOW);

  it('verifies: forge verify regenerates the job (its record holds the events) and finds every reading as generated', () => {
    const verify = runForge(['verify', '--job', jobId], cwd);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/missing 0\s+duplicates 0\s+differing 0/);
  }, SLOW);

  it('has PV and EV homes for the report to draw (forge report html)', () => {
    const report = runForge(['report', 'html', '--db', db, '--out', 'report.html'], cwd);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(join(cwd, 'report.html'), 'utf8');
    const homes = /(\d+) PV homes, (\d+) EV homes/.exec(html);
    expect(homes).not.toBeNull();
    expect(Number(homes![1])).toBeGreaterThanOrEqual(3);
    expect(Number(homes![2])).toBeGreaterThanOrEqual(3);
  }, SLOW);
});

describe('a quiet fleet (--quiet-fleet, events: none in a file) has none of the injected events', () => {
  it('--quiet-fleet: every reading VALID with no event, no labels, and validation passes', async () => {
    const cwd = mkdtempSync(join(dir, 'quiet-'));
    const summary = generate(cwd, ['--quiet-fleet']);
    for (const n of Object.values(summary.labels.windows)) expect(n).toBe(0);
    const db = join(cwd, 'forge-data', 'forge.duckdb');
    const [counts] = await query(db, `SELECT count(*) AS rows, count(*) FILTER (WHERE event_type IS NOT NULL) AS events,
      count(*) FILTER (WHERE data_quality <> 'VALID' OR is_outage) AS flagged FROM ami_readings`);
    expect(counts).toEqual({ rows: 67_200, events: 0, flagged: 0 });
    expect(await query(db, 'SELECT * FROM anomaly_labels')).toEqual([]);
    expect(runForge(['validate'], cwd).stdout).toContain('All checks passed.');
  }, SLOW);

  it('a scenario file says events: none or quiet-fleet: true (the flag\'s spelling)', async () => {
    for (const [name, text] of [['events.yaml', 'events: none\n'], ['flag.yaml', 'quiet-fleet: true\n']] as const) {
      const cwd = mkdtempSync(join(dir, 'quiet-file-'));
      writeFileSync(join(cwd, name), `preset: quick\nmeters: 20\ndays: 2\n${text}`);
      const run = runForge(['generate', '--config', name, '--start', '2026-10-28', '--json'], cwd);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ scenario: { events: 'none' } });
      const [counts] = await query(join(cwd, 'forge-data', 'forge.duckdb'), 'SELECT count(*) FILTER (WHERE event_type IS NOT NULL) AS events FROM ami_readings');
      expect(counts).toEqual({ events: 0 });
    }
  }, SLOW);

  it('refuses a quiet fleet with a storm, or an unknown events mode, writing nothing (exit 2)', () => {
    for (const [args, message] of [[['--quiet-fleet', '--storm'], /storm: a quiet fleet/], [['--events', 'loud'], /events: expected one of demo, natural, none/]] as const) {
      const cwd = mkdtempSync(join(dir, 'refused-'));
      const run = runForge(['generate', '--preset', 'quick', ...args], cwd);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(cwd, 'forge-data'))).toBe(false);
    }
  }, SLOW);
});
