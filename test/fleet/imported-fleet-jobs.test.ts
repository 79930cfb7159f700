import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { FleetImporter } from '../../src/fleet/fleet-import.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';
import { withFleetFile, writeFleetFile } from '../../src/warehouse/fleet-file.js';
import { fleetMap } from '../../src/server/fleet-map.js';
import { duckReadings, startJob, useTestServer, waitForJob } from '../support/server-jobs.js';

const test = useTestServer('forge-fleet-server-');
let outside: string;
let fleetPath: string;
const METERS = 240;

beforeAll(async () => {
  outside = mkdtempSync(join(tmpdir(), 'forge-fleet-outside-'));
  const importer = new FleetImporter({ seed: 42, area: 'TEXAS_GULF_COAST' });
  for (let i = 0; i < METERS; i++) importer.add({ meter_id: `UTIL-${i}`, ...(i % 7 === 0 ? { segment: 'COMMERCIAL' } : {}) }, i + 2);
  const fleet = importer.finish().fleet!;
  fleetPath = join(test.dir, 'fleet.parquet');
  await writeFleetFile(fleetPath, fleet);
  await writeFleetFile(join(outside, 'fleet.parquet'), fleet);
});
afterAll(() => rmSync(outside, { recursive: true, force: true }));

async function scenarioOf(extra: Record<string, unknown> = {}): Promise<Scenario> {
  return resolveScenario(await withFleetFile({ fleetFile: fleetPath, days: 1, start: '2026-07-01', ...extra }));
}

async function rows(scenario: Scenario, workers: number): Promise<string[]> {
  const fleet = buildFleet(scenario);
  const out: string[] = [];
  for await (const { batch } of emitBatches(scenario, { workers, unitRows: 2000 })) {
    for (let r = 0; r < batch.length; r++) out.push(`${fleet.meterIds[batch.meterIndex[r]!]}|${batch.tsUtcMs[r]}|${batch.usageKwh[r]}`);
  }
  return out;
}

describe('an imported fleet everywhere an invented one goes', () => {
  it('generates the same rows on worker threads as on the main thread, and shards split the imported list', async () => {
    const whole = await scenarioOf();
    expect(whole.meters).toBe(METERS);
    const inline = await rows(whole, 0);
    expect(await rows(whole, 1)).toEqual(inline);
    const parts = [];
    for (let i = 0; i < 3; i++) parts.push(...(await rows(await scenarioOf({ shard: `${i}/3` }), 0)));
    expect(parts.sort()).toEqual([...inline].sort());
    expect(new Set(inline.map((r) => r.split('|')[0])).size).toBe(METERS);
  });

  it('draws the map from the imported meters', async () => {
    const map = fleetMap(await scenarioOf());
    expect(map.meters).toBe(METERS);
    expect(map.latitude.every((lat) => Math.abs(lat - 29.76) < 1)).toBe(true);
  });

  it('runs a server job on a fleet file in the data directory, and refuses one outside it with nothing written', async () => {
    const refused = await test.server.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'batch', scenario: { fleetFile: join(outside, 'fleet.parquet'), days: 1, start: '2026-07-01' }, output: { sink: 'duckdb', out: join(test.dir, 'refused.duckdb') } },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/scenario\.fleetFile/);
    expect(existsSync(join(test.dir, 'refused.duckdb'))).toBe(false);

    const out = join(test.dir, 'imported.duckdb');
    const first = await startJob(test.server, { kind: 'batch', scenario: { fleetFile: 'fleet.parquet', days: 1, start: '2026-07-01' }, output: { sink: 'duckdb', out } });
    expect(first.scenario).toMatchObject({ meters: METERS, fleetFile: fleetPath });
    const done = await waitForJob(test.server, first.jobId);
    expect(done.status, JSON.stringify(done.errors ?? null)).toBe('completed');
    expect(await duckReadings(out)).toEqual({ rows: METERS * 96, keys: METERS * 96 });
  });
});
