import { nameplateColumns, TRANSFORMER_TABLE, TRANSFORMER_TABLE_COLUMNS, transformerTableDdl } from '../generator/transformer-columns.js';
import type { StageFile } from '../stage/stage-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { loadSideFile, type SideFileResult } from './side-file-load.js';

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
export function loadTransformerFile(warehouse: Warehouse, file: StageFile, path: string): Promise<SideFileResult> {
  return loadSideFile(warehouse, file, path, {
    table: 'stage_transformers',
    columns: TRANSFORMER_TABLE_COLUMNS,
    types: TYPES,
    suffix: 'QUALIFY row_number() OVER (PARTITION BY transformer_id) = 1',
    check: async (w) => {
      const bad = await w.number(`SELECT count(*) FROM stage_transformers WHERE transformer_id IS NULL OR transformer_id = '' OR NOT (kva > 0)`);
      if (bad > 0) throw new Error(`${bad} line(s) without a transformer_id or a positive kva`);
    },
    apply: async (w) => {
      await w.run(`INSERT OR REPLACE INTO ${TRANSFORMER_TABLE} SELECT * FROM stage_transformers`);
      await w.run(
        `UPDATE gold_transformer_hourly AS g SET nameplate_kw = n.nameplate_kw, over_nameplate = n.over_nameplate, nameplate_kva = n.nameplate_kva,
           nameplate_source = n.nameplate_source
         FROM (SELECT g2.transformer_id, g2.hour_utc, ${nameplateColumns('t.kva', 'g2.peak_kw')}
               FROM gold_transformer_hourly g2 JOIN stage_transformers t ON t.transformer_id = g2.transformer_id) AS n
         WHERE g.transformer_id = n.transformer_id AND g.hour_utc = n.hour_utc`,
      );
    },
  });
}
