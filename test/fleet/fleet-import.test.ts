import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { FleetImporter, meterKeys, type InventoryRow } from '../../src/fleet/fleet-import.js';
import { parseFleetMap } from '../../src/fleet/fleet-mapping.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { isForgeError } from '../../src/util/forge-error.js';
import { loadFleetFile, withFleetFile, writeFleetFile } from '../../src/warehouse/fleet-file.js';
import { readInventory } from '../../src/warehouse/inventory-source.js';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-fleet-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = join(import.meta.dirname, '../../examples/fleet-inventory.csv');
const MAP = 'meter_id=METER_NO,transformer_id=XFMR,feeder_id=CIRCUIT,substation_id=SUBSTN,latitude=LAT,longitude=LON,segment=CLASS,building_type=BLDG,rate_class=RATE,pv_kw=PV_KW,ev=HAS_EV,transformer_kva=XFMR_KVA,install_date=INSTALLED';

function importRows(rows: InventoryRow[], skipBadRows = false): ReturnType<FleetImporter['finish']> {
  const importer = new FleetImporter({ seed: 42, area: 'TEXAS_GULF_COAST', skipBadRows });
  rows.forEach((r, i) => importer.add(r, i + 2));
  return importer.finish();
}

describe('fleet import: checks', () => {
  it('refuses each kind of bad row, naming the line, the column and why, and keeps nothing without --skip-bad-rows', () => {
    const { fleet, report } = importRows([
      { meter_id: 'A1', transformer_id: 'T1', substation_id: 'S1' },
      { meter_id: 'A1' },
      { meter_id: 'A2', segment: 'RESIDENTAL' },
      { meter_id: 'A3', latitude: '95.1', longitude: '-95' },
      { meter_id: 'A4', transformer_id: 'T1', substation_id: 'S2' },
      { meter_id: 'X'.repeat(65) },
      { meter_id: '' },
      { meter_id: 'A5', latitude: '29.7' },
    ]);
    expect(fleet).toBeNull();
    const reasons = report.problemList.map((p) => `${p.line} ${p.column}: ${p.reason}`);
    expect(reasons).toEqual([
      '3 meter_id: duplicate meter id "A1" (first on line 2)',
      '4 segment: unknown segment "RESIDENTAL" (known: RESIDENTIAL, COMMERCIAL, INDUSTRIAL)',
      '5 latitude: "95.1" is not a number from -90 to 90',
      '6 substation_id: transformer "T1" is in substation "S1" in an earlier row, here in "S2"',
      expect.stringMatching(/^7 meter_id: "X+\.\.\." is 65 characters, longer than the 64 the schema allows$/),
      '8 meter_id: the meter id is missing',
      '9 longitude: a location needs both latitude and longitude',
    ]);
    expect(report.problems).toBe(7);
  });

  it('with skipBadRows keeps the good rows and counts the skipped ones', () => {
    const { fleet, report } = importRows([{ meter_id: 'A1' }, { meter_id: 'A1' }, { meter_id: 'A2', transformer_kva: 'big', transformer_id: 'T' }, { meter_id: 'A3' }], true);
    expect(fleet?.inventory.meterIds).toEqual(['A1', 'A3']);
    expect(report.skippedRows).toBe(2);
  });

  it('refuses a transformer on two feeders and two ratings for one transformer', () => {
    const { report } = importRows([
      { meter_id: 'A1', transformer_id: 'T1', feeder_id: 'F1', transformer_kva: '25' },
      { meter_id: 'A2', transformer_id: 'T1', feeder_id: 'F2' },
      { meter_id: 'A3', transformer_id: 'T1', transformer_kva: '50' },
    ]);
    expect(report.problemList.map((p) => p.column)).toEqual(['feeder_id', 'transformer_kva']);
  });

  it('refuses an unknown field or a malformed pair in --map', () => {
    expect(() => parseFleetMap('meter=M')).toThrow(/unknown field "meter"/);
    expect(() => parseFleetMap('meter_id')).toThrow(/not field=COLUMN/);
    expect(parseFleetMap('meter_id=METER_NO, ev=HAS_EV')).toEqual({ meter_id: 'METER_NO', ev: 'HAS_EV' });
  });
});

describe('fleet import: filling', () => {
  it('fills topology, segments and locations deterministically from the ids and the seed, and reports the counts', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ meter_id: `M${i}` }));
    const a = importRows(rows);
    const b = importRows(rows);
    expect(a.fleet!.inventory).toEqual(b.fleet!.inventory);
    const inv = a.fleet!.inventory;
    expect(inv.size).toBe(3000);
    expect(inv.feederIds.length).toBeGreaterThanOrEqual(3);
    // Homes 3 to 10 to a transformer, C&I their own.
    const homes = new Map<number, number>();
    for (let i = 0; i < inv.size; i++) if (inv.segment[i] === 0) homes.set(inv.transformer[i]!, (homes.get(inv.transformer[i]!) ?? 0) + 1);
    expect(Math.max(...homes.values())).toBeLessThanOrEqual(10);
    for (let i = 0; i < inv.size; i++) expect(Math.abs(inv.latitude[i]! - 29.76)).toBeLessThan(1);
    const byColumn = Object.fromEntries(a.report.columns.map((c) => [c.column, c]));
    expect(byColumn.meter_id).toMatchObject({ given: 3000, filled: 0 });
    expect(byColumn.transformer_id).toMatchObject({ given: 0, filled: 3000 });
  });

  it('gives every meter a distinct key, whatever the ids (generated)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 300 }), (ids) => {
        expect(new Set(meterKeys(ids)).size).toBe(ids.length);
      }),
      { seed: 14, numRuns: 100 },
    );
    // Ids whose hashes clash are told apart too: a million distinct ids make about a hundred clashes.
    const ids = Array.from({ length: 200_000 }, (_, i) => `MTR${i}`);
    expect(new Set(meterKeys(ids)).size).toBe(ids.length);
  });
});

describe('fleet file', () => {
  it('imports the example inventory, writes the file, and a scenario on it generates and regenerates the same readings', async () => {
    const importer = new FleetImporter({ seed: 42, area: 'TEXAS_GULF_COAST' });
    await readInventory(EXAMPLE, { map: parseFleetMap(MAP) }, (row, line) => importer.add(row, line));
    const { fleet, report } = importer.finish();
    expect(report.problems).toBe(0);
    expect(report.meters).toBe(50);
    const path = join(dir, 'example.parquet');
    const sha = await writeFleetFile(path, fleet!);
    const input = await withFleetFile({ fleetFile: path, days: 1, start: '2026-07-01' });
    expect(input).toMatchObject({ meters: 50, fleetHash: sha, area: 'TEXAS_GULF_COAST' });
    const scenario = resolveScenario(input);
    const built = buildFleet(scenario);
    expect(built.meterIds.slice(0, 2)).toEqual(['HOU100001', 'HOU100002']);
    expect(built.transformerIds).toContain('T-CI-6');
    // Imported ratings kept (T-CI-6 is rated 1,000 kVA in the inventory), the rest drawn from the standard sizes.
    expect(built.transformerKva[built.transformerIds.indexOf('T-CI-6')]).toBe(1000);
    for (const kva of built.transformerKva) expect([10, 15, 25, 37.5, 50, 75, 100, 112.5, 150, 167, 225, 300, 500, 750, 1000, 1500, 2000, 2500]).toContain(kva);
    const day = generationDays(scenario)[0]!;
    const one = new ReadingGenerator(scenario, built).generate(day, 0, 50);
    await loadFleetFile(path, sha);
    const two = new ReadingGenerator(scenario).generate(day, 0, 50);
    expect(Array.from(two.usageKwh)).toEqual(Array.from(one.usageKwh));
  });

  it('refuses a changed file, a conflicting meter count and a file that is not a fleet file', async () => {
    const importer = new FleetImporter({ seed: 1, area: 'TEXAS_GULF_COAST' });
    importer.add({ meter_id: 'A' }, 2);
    const path = join(dir, 'one.parquet');
    const sha = await writeFleetFile(path, importer.finish().fleet!);
    await expect(withFleetFile({ fleetFile: path, meters: 2 })).rejects.toThrow(/has 1 meters/);
    await expect(loadFleetFile(path, 'f'.repeat(64))).rejects.toThrow(/changed since the scenario was made/);
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'a,b\n1,2\n');
    await expect(loadFleetFile(other)).rejects.toSatisfy((e: unknown) => isForgeError(e) && e.code === 'FORGE_ERR_FLEET_FILE');
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('forge fleet import (CLI)', () => {
  it('writes nothing and exits 2 on a bad row; with --skip-bad-rows writes the good ones', () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'METER_NO,CLASS\nA1,RESIDENTIAL\nA1,RESIDENTIAL\nA2,HOUSE\nA3,\n');
    const out = join(dir, 'bad.parquet');
    const refused = runForge(['fleet', 'import', csv, '--map', 'meter_id=METER_NO,segment=CLASS', '--out', out], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/3\s+meter_id\s+duplicate meter id "A1" \(first on line 2\)/);
    expect(refused.stderr).toMatch(/4\s+segment\s+unknown segment "HOUSE"/);
    expect(existsSync(out)).toBe(false);
    const kept = runForge(['fleet', 'import', csv, '--map', 'meter_id=METER_NO,segment=CLASS', '--out', out, '--skip-bad-rows', '--json'], dir);
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ meters: 2, skippedRows: 2 });
    expect(existsSync(out)).toBe(true);
  });
});
