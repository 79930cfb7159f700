import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
import { errorText } from '../../util/error-text.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';

/** Rows fetched from the cursor at a time: bounded memory whatever the table's size. */
const FETCH_ROWS = 10_000;
const NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

const csvCell = (v: string | null): string => (v === null ? '' : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Copies interval readings from a Postgres table into a CSV file for `forge calibrate` (which reads files with
 * DuckDB): the given columns as text, under the given header names, through a cursor in a read-only transaction.
 * A missing column or table is FORGE_ERR_READINGS naming it; the file is written only as far as rows were read.
 */
export async function copyPostgresReadings(
  url: string,
  table: string,
  columns: readonly { readonly column: string; readonly as: string }[],
  csvPath: string,
): Promise<number> {
  const source = `postgres table ${table}`;
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    throw new ForgeError('FORGE_ERR_READINGS', [source, 'expected TABLE or SCHEMA.TABLE (letters, digits, _ and $)']);
  }
  const relation = parts.map((p) => `"${p}"`).join('.');
  const client = new pg.Client({ connectionString: url });
  const out = createWriteStream(csvPath);
  let rows = 0;
  try {
    await client.connect();
    const probe = await client.query(`SELECT * FROM ${relation} LIMIT 0`);
    const names = probe.fields.map((f) => f.name);
    for (const { column, as } of columns) {
      if (!names.includes(column)) throw new ForgeError('FORGE_ERR_READINGS', [source, `no column "${column}" for ${as} (columns: ${names.join(', ')}; name it with --map ${as}=<column>)`]);
    }
    const select = columns.map(({ column, as }) => `"${column.replace(/"/g, '""')}"::text AS "${as}"`).join(', ');
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE forge_readings NO SCROLL CURSOR FOR SELECT ${select} FROM ${relation}`);
    out.write(`${columns.map((c) => c.as).join(',')}\n`);
    for (;;) {
      const batch = await client.query<Record<string, string | null>>(`FETCH ${FETCH_ROWS} FROM forge_readings`);
      if (batch.rows.length === 0) break;
      const text = batch.rows.map((row) => columns.map((c) => csvCell(row[c.as] ?? null)).join(',')).join('\n');
      if (!out.write(`${text}\n`)) await once(out, 'drain');
      rows += batch.rows.length;
    }
    await client.query('COMMIT');
    return rows;
  } catch (e) {
    if (isForgeError(e)) throw e;
    throw new ForgeError('FORGE_ERR_READINGS', [source, errorText(e)], { cause: e });
  } finally {
    out.end();
    await once(out, 'close').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
