import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-labels-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('forge generate --anomaly-rate and forge split (CLI)', () => {
  it('generates with per-kind rates, reports labels, and splits the output by meter into Parquet sets', () => {
    const run = runForge(['generate', '--meters', '40', '--days', '3', '--start', '2025-04-01', '--interval', '60', '--anomaly-rate', 'meter_fault=0.05,comm_gap=0.2', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { labels: { windows: Record<string, number>; achievedRates: Record<string, number> }; scenario: { anomalyRate: unknown } };
    expect(summary.scenario.anomalyRate).toEqual({ meter_fault: 0.05, comm_gap: 0.2 });
    expect(summary.labels.windows.ESTIMATED_READ).toBeGreaterThan(0);
    expect(summary.labels.achievedRates.comm_gap).toBeGreaterThan(0.1);
    const text = runForge(['generate', '--meters', '5', '--days', '1', '--start', '2025-04-01', '--out', 'other.duckdb'], dir);
    expect(text.stdout).toMatch(/labels: [\d,]+ anomaly windows/);

    const split = runForge(['split', '--out', 'forge-data/forge.duckdb', '--by', 'meter', '--ratios', '0.5,0.25,0.25', '--to', 'splits'], dir);
    expect(split.code, split.stderr).toBe(0);
    expect(split.stdout).toMatch(/train\s+20 meters/);
    for (const part of ['train', 'validation', 'test']) {
      expect(existsSync(join(dir, 'splits', part, 'readings.parquet'))).toBe(true);
      expect(existsSync(join(dir, 'splits', part, 'anomaly_labels.parquet'))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, 'splits', 'split.json'), 'utf8'))).toMatchObject({ by: 'meter', ratios: [0.5, 0.25, 0.25], seed: 42 });
  });

  it('refuses a bad rate, bad ratios or a bad --by with exit 2 and nothing written', () => {
    const bad = runForge(['generate', '--meters', '5', '--days', '1', '--anomaly-rate', 'theft=2', '--out', 'bad.duckdb'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/anomalyRate/);
    expect(existsSync(join(dir, 'bad.duckdb'))).toBe(false);
    const ratios = runForge(['split', '--out', 'forge-data/forge.duckdb', '--ratios', '0.5,0.5,0.5', '--to', 'bad-splits'], dir);
    expect(ratios.code).toBe(2);
    expect(ratios.stderr).toMatch(/ratios: "0.5,0.5,0.5" sum to 1.5/);
    const by = runForge(['split', '--out', 'forge-data/forge.duckdb', '--by', 'customer', '--to', 'bad-splits'], dir);
    expect(by.code).toBe(2);
    expect(by.stderr).toMatch(/by: "customer"/);
    expect(existsSync(join(dir, 'bad-splits'))).toBe(false);
  });
});
