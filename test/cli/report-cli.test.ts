import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import type { ReliabilityReport } from '../../src/validate/reliability-report.js';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Three weeks of a Houston utility's first 2,000 meters, hourly, with a storm on the 10th. */
const KEYS = { area: 'TEXAS_GULF_COAST', meters: 2_000, days: 21, start: '2025-08-01', interval: 60, seed: 42, storm: '2025-08-10' } as const;

/** The interruptions the generator produces for KEYS, counted in memory: runs of a meter's outage readings. */
function expectedInterruptions(): { count: number; minutes: number } {
  const scenario = resolveScenario(KEYS);
  const generator = new ReadingGenerator(scenario);
  const out = new Uint8Array(scenario.meters);
  let count = 0;
  let minutes = 0;
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      const m = batch.meterIndex[r]!;
      if (batch.isOutage[r] === 1) {
        if (out[m] === 0) count++;
        minutes += scenario.intervalMinutes;
      }
      out[m] = batch.isOutage[r]!;
    }
  }
  return { count, minutes };
}

describe('forge report reliability', () => {
  it('reports IEEE 1366 indices of a generated output that agree with the generator, the storm a major event day', () => {
    const db = join(dir, 'storm.duckdb');
    const flags = ['--area', KEYS.area, '--meters', String(KEYS.meters), '--days', String(KEYS.days), '--start', KEYS.start, '--interval', String(KEYS.interval), '--seed', String(KEYS.seed), '--storm', KEYS.storm];
    const generated = runForge(['generate', ...flags, '--out', db], dir);
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    const before = sha(db);

    const run = runForge(['report', 'reliability', '--out', db, '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ReliabilityReport;
    const expected = expectedInterruptions();
    expect(report.customers).toBe(KEYS.meters);
    expect(report.days).toBe(KEYS.days);
    expect(report.all.interruptions).toBe(expected.count);
    expect(report.all.customerMinutes).toBe(expected.minutes);
    expect(report.all.saidiMinutes).toBeCloseTo(expected.minutes / KEYS.meters, 9);
    expect(report.all.caidiMinutes).toBeCloseTo(expected.minutes / expected.count, 9);
    expect(report.majorEventDays.map((d) => d.day)).toContain(KEYS.storm);
    expect(report.withoutMajorEvents.saidiMinutes).toBeLessThan(report.all.saidiMinutes);
    expect(report.restoration!.maxHours).toBeGreaterThan(report.restoration!.medianHours);
    // Read-only: the output is unchanged.
    expect(sha(db)).toBe(before);

    const text = runForge(['report', 'reliability', '--out', db], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/without major event days\s+SAIFI/);
    expect(text.stdout).toContain(`Major event days (T_MED`);
    expect(text.stdout).toContain(KEYS.storm);
  }, 120_000);

  it('a missing output is FORGE_ERR_OUTPUT_NOT_FOUND, exit 1, and creates nothing', () => {
    const missing = join(dir, 'missing.duckdb');
    const run = runForge(['report', 'reliability', '--out', missing], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FORGE_ERR_OUTPUT_NOT_FOUND');
    expect(run.stdout).toBe('');
    expect(existsSync(missing)).toBe(false);
  });

  it('a DuckDB file that is not a forge output is FORGE_ERR_OUTPUT_NOT_FOUND and stays as it was', async () => {
    const other = join(dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(other);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE t AS SELECT 1 AS x');
    connection.closeSync();
    instance.closeSync();
    const before = sha(other);
    const run = runForge(['report', 'reliability', '--out', other], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FORGE_ERR_OUTPUT_NOT_FOUND');
    expect(sha(other)).toBe(before);
  });

  it('an unknown report is a usage error', () => {
    const run = runForge(['report', 'nonsense'], dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command|error/i);
  });
});
