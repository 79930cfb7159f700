import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetImporter, type InventoryRow } from '../../src/fleet/fleet-import.js';
import { readPostgresInventory } from '../../src/sinks/postgres/postgres-inventory.js';
import { readInventory } from '../../src/warehouse/inventory-source.js';
import { PG_TEST_URL } from '../support/services.js';

let dir: string;
const table = `fleet_inventory_${process.pid}`;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forge-fleet-src-'));
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  await client.query(`CREATE TABLE ${table} ("METER NO" text, xfmr text, lat double precision, lon double precision, has_ev boolean)`);
  await client.query(`INSERT INTO ${table} VALUES ('P1', 'T1', 29.7, -95.3, true), ('P2', 'T1', 29.71, -95.31, false), ('P3', NULL, NULL, NULL, NULL)`);
  await client.end();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
});

const collect = (): { rows: [InventoryRow, number][]; add: (row: InventoryRow, line: number) => void } => {
  const rows: [InventoryRow, number][] = [];
  return { rows, add: (row, line) => void rows.push([row, line]) };
};
const MAP = { meter_id: 'METER NO', transformer_id: 'xfmr', latitude: 'lat', longitude: 'lon', ev: 'has_ev' };

describe('inventory sources', () => {
  it('reads a Postgres table through a cursor, every mapped column as text', async () => {
    const { rows, add } = collect();
    await readPostgresInventory(PG_TEST_URL, table, MAP, add);
    expect(rows).toEqual([
      [{ meter_id: 'P1', transformer_id: 'T1', latitude: '29.7', longitude: '-95.3', ev: 'true' }, 1],
      [{ meter_id: 'P2', transformer_id: 'T1', latitude: '29.71', longitude: '-95.31', ev: 'false' }, 2],
      [{ meter_id: 'P3', transformer_id: null, latitude: null, longitude: null, ev: null }, 3],
    ]);
    const importer = new FleetImporter({ seed: 42, area: 'TEXAS_GULF_COAST' });
    for (const [row, line] of rows) importer.add(row, line);
    const { fleet } = importer.finish();
    expect(fleet!.inventory.evKw[1]).toBe(0);
    expect([7.2, 1.4]).toContain(fleet!.inventory.evKw[0]);
  });

  it('names a missing table, a bad table name and a missing mapped column', async () => {
    await expect(readPostgresInventory(PG_TEST_URL, 'no_such_inventory', MAP, () => undefined)).rejects.toThrow(/postgres table no_such_inventory: .*does not exist/);
    await expect(readPostgresInventory(PG_TEST_URL, 'a;drop', MAP, () => undefined)).rejects.toThrow(/expected TABLE or SCHEMA.TABLE/);
    await expect(readPostgresInventory(PG_TEST_URL, table, { ...MAP, segment: 'kind' }, () => undefined)).rejects.toThrow(/--map segment=kind: no column "kind"/);
  });

  it('reads NDJSON (lines from 1), Parquet and a DuckDB table alike, taking columns named like fields without a map', async () => {
    const ndjson = join(dir, 'inv.ndjson');
    writeFileSync(ndjson, '{"meter_id":"N1","segment":"COMMERCIAL","pv_kw":3.5}\n{"meter_id":"N2","segment":"RESIDENTIAL","pv_kw":null}\n');
    const a = collect();
    await readInventory(ndjson, { map: {} }, a.add);
    expect(a.rows).toEqual([
      [{ meter_id: 'N1', segment: 'COMMERCIAL', pv_kw: '3.5' }, 1],
      [{ meter_id: 'N2', segment: 'RESIDENTIAL', pv_kw: null }, 2],
    ]);
    const db = join(dir, 'inv.duckdb');
    const parquet = join(dir, 'inv.parquet');
    const instance = await DuckDBInstance.create(db);
    const c = await instance.connect();
    await c.run(`CREATE TABLE meters AS SELECT * FROM read_json('${ndjson}', format = 'newline_delimited')`);
    await c.run(`COPY meters TO '${parquet}' (FORMAT parquet)`);
    c.closeSync();
    instance.closeSync();
    const b = collect();
    await readInventory(db, { table: 'meters', map: {} }, b.add);
    const p = collect();
    await readInventory(parquet, { map: {} }, p.add);
    expect(b.rows).toEqual(a.rows);
    expect(p.rows).toEqual(a.rows);
    await expect(readInventory(db, { map: {} }, () => undefined)).rejects.toThrow(/a DuckDB file needs --table/);
    await expect(readInventory(join(dir, 'inv.xlsx'), { map: {} }, () => undefined)).rejects.toThrow(/unknown file type ".xlsx"/);
  });
});
