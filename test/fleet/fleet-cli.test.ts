import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckReadings } from '../support/server-jobs.js';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-fleet-cli-'));
  mkdirSync(join(dir, 'examples'));
  for (const f of ['fleet-inventory.csv', 'fleet-import.yaml']) copyFileSync(join(import.meta.dirname, '../../examples', f), join(dir, 'examples', f));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('forge fleet import, then --fleet-file', () => {
  it('imports the example with its config file, streams the imported meters, and refuses a conflicting --meters', async () => {
    const imported = runForge(['fleet', 'import', '--config', 'examples/fleet-import.yaml', '--out', 'mine.parquet'], dir);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Rows read 50, meters 50; area TEXAS_GULF_COAST/);
    expect(imported.stdout).toMatch(/latitude\s+42\s+8\s+near the transformer/);

    const again = runForge(['fleet', 'import', '--config', 'examples/fleet-import.yaml', '--out', 'mine.parquet'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/mine\.parquet already exists/);

    const streamed = runForge(['stream', '--fleet-file', 'mine.parquet', '--speed', 'max', '--duration', '2h', '--sink', 'duckdb', '--out', 's.duckdb', '--json'], dir);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(await duckReadings(join(dir, 's.duckdb'))).toEqual({ rows: 50 * 8, keys: 50 * 8 });

    const conflicting = runForge(['generate', '--fleet-file', 'mine.parquet', '--meters', '10', '--days', '1', '--out', 'x.duckdb'], dir);
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(/meters: 10, but the fleet file mine\.parquet has 50 meters/);
  });
});
