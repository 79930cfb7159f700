import pg from 'pg';
import type { FleetField, InventoryRow } from '../../fleet/fleet-import.js';
import { resolveFleetColumns } from '../../fleet/fleet-mapping.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';

/** Rows fetched from the cursor at a time: bounded memory whatever the table's size. */
const FETCH_ROWS = 10_000;
const NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Reads a meter inventory from a Postgres table for `forge fleet import` (the fleet import's other sources are read
 * by DuckDB: warehouse/inventory-source.ts). Every mapped column as text, through a cursor in a read-only
 * transaction, each row handed to `onRow` with its row number.
 */
export async function readPostgresInventory(
  url: string,
  table: string,
  map: Partial<Record<FleetField, string>>,
  onRow: (row: InventoryRow, line: number) => void,
): Promise<void> {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [`postgres table ${table}`, 'expected TABLE or SCHEMA.TABLE (letters, digits, _ and $)']);
  }
  const relation = parts.map((p) => `"${p}"`).join('.');
  const source = `postgres table ${table}`;
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const probe = await client.query(`SELECT * FROM ${relation} LIMIT 0`);
    const mapped = Object.entries(resolveFleetColumns(source, probe.fields.map((f) => f.name), map)) as [FleetField, string][];
    const select = mapped.map(([field, column]) => `"${column.replace(/"/g, '""')}"::text AS ${field}`).join(', ');
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE forge_inventory NO SCROLL CURSOR FOR SELECT ${select} FROM ${relation}`);
    let line = 0;
    for (;;) {
      const batch = await client.query<Record<FleetField, string | null>>(`FETCH ${FETCH_ROWS} FROM forge_inventory`);
      if (batch.rows.length === 0) break;
      for (const row of batch.rows) onRow(row, ++line);
    }
    await client.query('COMMIT');
  } catch (e) {
    if (isForgeError(e)) throw e;
    throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [source, errorText(e)], { cause: e });
  } finally {
    await client.end().catch(() => undefined);
  }
}
