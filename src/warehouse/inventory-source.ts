import { extname } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { resolveFleetColumns } from '../fleet/fleet-mapping.js';
import type { FleetField, InventoryRow } from '../fleet/fleet-import.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { quoteIdentifier, quoteLiteral } from './sql-quote.js';
import { Warehouse } from './warehouse.js';

/** Where a meter inventory comes from (`forge fleet import`); Postgres tables are read by sinks/postgres. */
export type InventoryFormat = 'csv' | 'parquet' | 'ndjson' | 'duckdb';

/** The format of a file by its extension. */
export function inventoryFormat(path: string, table: string | undefined): InventoryFormat {
  const ext = extname(path).toLowerCase();
  if (table !== undefined || ext === '.duckdb' || ext === '.db') return 'duckdb';
  if (ext === '.parquet') return 'parquet';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return 'csv';
  throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, `unknown file type "${ext}": expected .csv, .parquet, .ndjson or a .duckdb file with --table`]);
}

/** A source column name as a DuckDB identifier: only names the source itself reported are quoted this way. */
const column = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Reads the inventory with DuckDB in process, chunk by chunk (a million rows never sit in memory as objects), every
 * mapped column as text, and hands each row to `onRow` with its line: a CSV's header is line 1, an NDJSON file's
 * first record line 1, a table's or Parquet file's first row 1.
 */
export async function readInventory(
  path: string,
  options: { readonly table?: string; readonly map: Partial<Record<FleetField, string>> },
  onRow: (row: InventoryRow, line: number) => void,
): Promise<void> {
  const format = inventoryFormat(path, options.table);
  let warehouse: Warehouse;
  try {
    warehouse = await Warehouse.open(format === 'duckdb' ? path : ':memory:', format === 'duckdb' ? { access_mode: 'READ_ONLY' } : {});
  } catch (e) {
    throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, errorText(e)], { cause: e });
  }
  try {
    const relation =
      format === 'csv'
        ? `read_csv(${quoteLiteral(path)}, header = true, all_varchar = true)`
        : format === 'parquet'
          ? `read_parquet(${quoteLiteral(path)})`
          : format === 'ndjson'
            ? `read_json(${quoteLiteral(path)}, format = 'newline_delimited')`
            : tableName(path, options.table);
    let columns: string[];
    try {
      columns = (await warehouse.rows(`DESCRIBE SELECT * FROM ${relation}`)).map((r) => String(r.column_name));
    } catch (e) {
      throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, errorText(e)], { cause: e });
    }
    const mapped = Object.entries(resolveFleetColumns(path, columns, options.map)) as [FleetField, string][];
    const select = mapped.map(([field, c]) => `CAST(${column(c)} AS VARCHAR) AS ${field}`).join(', ');
    const offset = format === 'csv' ? 1 : 0;
    let line = offset;
    try {
      const result = await warehouse.connection.stream(`SELECT ${select} FROM ${relation}`);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const values: DuckDBValue[][] = mapped.map((_, c) => chunk.getColumnValues(c));
        for (let r = 0; r < chunk.rowCount; r++) {
          const row: Partial<Record<FleetField, string | null>> = {};
          for (let c = 0; c < mapped.length; c++) {
            const v = values[c]![r];
            row[mapped[c]![0]] = v === null || v === undefined ? null : String(v);
          }
          onRow(row, ++line);
        }
      }
    } catch (e) {
      if (e instanceof ForgeError) throw e;
      throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, errorText(e)], { cause: e });
    }
  } finally {
    warehouse.close();
  }
}

function tableName(path: string, table: string | undefined): string {
  if (table === undefined) throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, 'a DuckDB file needs --table']);
  const parts = table.split('.');
  if (parts.length > 2) throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [path, `--table ${table}: expected TABLE or SCHEMA.TABLE`]);
  return parts.map(quoteIdentifier).join('.');
}
