import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioFromFlags } from '../../src/cli/scenario-flags.js';
import { runForge } from '../support/run-forge.js';

// The files of examples/ are what a new user tries first: each scenario file must load, and each query of the SQL
// files must run and find rows in what forge itself writes (a DuckDB output and an ingested pipeline).

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'forge-examples-'));
const warehouse = join(dir, 'warehouse.duckdb');
const pipeline = join(dir, 'pipeline.duckdb');
const scenarioFiles = readdirSync(EXAMPLES).filter((f) => /^scenario-.*\.(ya?ml|json)$/.test(f));

/** The statements of a SQL file, each with the comment line just above it as its name. */
function statements(file: string): { name: string; sql: string }[] {
  const text = readFileSync(join(EXAMPLES, file), 'utf8');
  return text
    .split(/;\s*\n/)
    .map((chunk) => {
      const lines = chunk.trim().split('\n');
      const body = lines.filter((l) => !l.trimStart().startsWith('--')).join('\n').trim();
      const name = lines.filter((l) => l.startsWith('-- ')).at(-1)?.slice(3) ?? body.slice(0, 60);
      return { name, sql: body };
    })
    .filter((s) => s.sql !== '');
}

async function rowsOf(path: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRows();
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

beforeAll(() => {
  // The storm example, small: the same days, storm and shares with 40 meters.
  const args = ['--config', join(EXAMPLES, 'scenario-storm.yaml'), '--meters', '40'];
  const duck = runForge(['generate', ...args, '--sink', 'duckdb', '--out', warehouse], dir);
  expect(duck.code, duck.stderr).toBe(0);
  const stage = runForge(['generate', ...args, '--sink', 'stage', '--stage', join(dir, 'stage')], dir);
  expect(stage.code, stage.stderr).toBe(0);
  const ingest = runForge(['ingest', '--stage', join(dir, 'stage'), '--out', pipeline], dir);
  expect(ingest.code, ingest.stderr).toBe(0);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/ scenario files', () => {
  it('are there in YAML and JSON', () => {
    expect(scenarioFiles.some((f) => f.endsWith('.json'))).toBe(true);
    expect(scenarioFiles.some((f) => f.endsWith('.yaml'))).toBe(true);
  });

  it.each(scenarioFiles)('%s loads as a valid scenario', async (file) => {
    const scenario = await scenarioFromFlags({ config: join(EXAMPLES, file) }, new Date('2026-01-01T00:00:00Z'));
    expect(scenario.meters).toBeGreaterThan(0);
    expect(scenario.start).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it('include a quiet fleet: the Quick Demo without its events', async () => {
    const scenario = await scenarioFromFlags({ config: join(EXAMPLES, 'scenario-quiet-fleet.yaml') });
    expect(scenario).toMatchObject({ preset: 'quick', meters: 100, days: 7, events: 'none' });
  });

  it('take the flags\' spelling (pv-share) as the schema\'s (pvShare)', async () => {
    const scenario = await scenarioFromFlags({ config: join(EXAMPLES, 'scenario-storm.yaml') });
    expect(scenario).toMatchObject({ pvShare: 0.12, evShare: 0.08, storm: '2024-07-04', start: '2024-07-01' });
  });
});

describe('examples/warehouse-queries.sql on a DuckDB output', () => {
  it.each(statements('warehouse-queries.sql'))('$name', async ({ sql }) => {
    expect((await rowsOf(warehouse, sql)).length).toBeGreaterThan(0);
  });

  it('shows the storm: one day has far more customer minutes out than the quietest', async () => {
    const rows = await rowsOf(warehouse, statements('warehouse-queries.sql').find((s) => s.name.startsWith('Customer minutes out'))!.sql);
    const minutes = rows.map((r) => Number(r[2]));
    expect(Math.max(...minutes)).toBeGreaterThan(10 * Math.max(1, Math.min(...minutes)));
  });
});

describe('examples/pipeline-queries.sql on an ingested pipeline', () => {
  it.each(statements('pipeline-queries.sql'))('$name', async ({ sql }) => {
    expect((await rowsOf(pipeline, sql)).length).toBeGreaterThan(0);
  });

  it('reconciles silver with gold to the rounding', async () => {
    const [row] = await rowsOf(pipeline, statements('pipeline-queries.sql').find((s) => s.name.startsWith('Silver against gold'))!.sql);
    expect(Number(row![0])).toBe(7 * 24);
    expect(Number(row![1])).toBeLessThan(1e-6);
  });
});
