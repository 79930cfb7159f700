import { nameplateColumns, TRANSFORMER_TABLE, TRANSFORMER_TABLE_COLUMNS, transformerTableDdl } from '../generator/transformer-columns.js';
import type { StageFile } from '../stage/stage-store.js';
import { errorText } from '../util/error-text.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { sideFileHistory } from './side-file-history.js';

/** The pipeline's transformer ratings, as the DuckDB warehouse and `forge ddl` keep them (transformer-columns.ts). */
export const PIPELINE_TRANSFORMERS_DDL = transformerTableDdl('duckdb', TRANSFORMER_TABLE);

const TYPES = `{transformer_id: 'VARCHAR', kva: 'DOUBLE', phases: 'INTEGER', circuit_id: 'VARCHAR', substation_id: 'VARCHAR', meters: 'INTEGER'}`;

/**
 * Loads a stage's transformer file (stage/transformer-keys.ts) into ami_transformers, exactly once like a readings
 * file: the rows and the file's history row commit together. A transformer already there (another job over the same
 * ids) takes this file's rating: the last file loaded wins. Gold hours already computed for its transformers take
 * the rating too, in the same transaction, so gold does not depend on the order the files were loaded in. A file
 * DuckDB cannot read, or with a line without an id or a positive kVA, is quarantined with the error.
 */
export async function loadTransformerFile(warehouse: Warehouse, file: StageFile, path: string): Promise<{ key: string; rows: number; rejected: number } | { key: string; error: string }> {
  const history = sideFileHistory(warehouse, file);
  try {
    await warehouse.run(
      `CREATE OR REPLACE TEMP TABLE stage_transformers AS SELECT ${TRANSFORMER_TABLE_COLUMNS.join(', ')}
       FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${TYPES}, compression = '${path.endsWith('.gz') ? 'gzip' : 'uncompressed'}')
       QUALIFY row_number() OVER (PARTITION BY transformer_id) = 1`,
    );
    const bad = await warehouse.number(`SELECT count(*) FROM stage_transformers WHERE transformer_id IS NULL OR transformer_id = '' OR NOT (kva > 0)`);
    if (bad > 0) throw new Error(`${bad} line(s) without a transformer_id or a positive kva`);
  } catch (e) {
    const error = errorText(e).split(path).join(file.key).split('\n')[0]!;
    await warehouse.run('DROP TABLE IF EXISTS stage_transformers').catch(() => undefined);
    await history('QUARANTINED', 0, error);
    return { key: file.key, error };
  }
  await warehouse.run('BEGIN TRANSACTION');
  try {
    await warehouse.run(`INSERT OR REPLACE INTO ${TRANSFORMER_TABLE} SELECT * FROM stage_transformers`);
    await warehouse.run(
      `UPDATE gold_transformer_hourly AS g SET nameplate_kw = n.nameplate_kw, over_nameplate = n.over_nameplate, nameplate_kva = n.nameplate_kva,
         nameplate_source = n.nameplate_source
       FROM (SELECT g2.transformer_id, g2.hour_utc, ${nameplateColumns('t.kva', 'g2.peak_kw')}
             FROM gold_transformer_hourly g2 JOIN stage_transformers t ON t.transformer_id = g2.transformer_id) AS n
       WHERE g.transformer_id = n.transformer_id AND g.hour_utc = n.hour_utc`,
    );
    const rows = await warehouse.number(`SELECT count(*) FROM stage_transformers`);
    await history('LOADED', rows, null);
    await warehouse.run('COMMIT');
    return { key: file.key, rows, rejected: 0 };
  } catch (e) {
    await warehouse.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await warehouse.run('DROP TABLE IF EXISTS stage_transformers').catch(() => undefined);
  }
}
