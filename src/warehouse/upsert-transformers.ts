import type { DuckDBConnection } from '@duckdb/node-api';
import type { Fleet } from '../fleet/fleet.js';
import { transformerRecords } from '../fleet/transformer-records.js';
import { TRANSFORMER_TABLE, TRANSFORMER_TABLE_COLUMNS, transformerTableDdl } from '../generator/transformer-columns.js';
import { quoteIdentifier } from './sql-quote.js';

const STAGE = 'forge_transformer_stage';

/**
 * Puts the fleet's transformers with their ratings into the warehouse's transformer dimension (ami_transformers,
 * created when absent), beside ami_meters: a query of transformer loading joins it on transformer_id for each
 * nameplate, as the pipeline's gold does. Like the meter dimension it is type 1: a transformer already there takes
 * this fleet's values. Runs in the caller's transaction, if any.
 */
export async function upsertTransformers(connection: DuckDBConnection, fleet: Fleet, table: string = TRANSFORMER_TABLE): Promise<number> {
  const target = quoteIdentifier(table);
  await connection.run(transformerTableDdl('duckdb', target));
  await connection.run(`CREATE OR REPLACE TEMPORARY TABLE ${STAGE} AS SELECT * FROM ${target} LIMIT 0`);
  const records = transformerRecords(fleet);
  const appender = await connection.createAppender(STAGE);
  try {
    for (const r of records) {
      appender.appendVarchar(r.transformer_id);
      appender.appendDouble(r.kva);
      appender.appendInteger(r.phases);
      appender.appendVarchar(r.circuit_id);
      appender.appendVarchar(r.substation_id);
      appender.appendInteger(r.meters);
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  await connection.run(`INSERT OR REPLACE INTO ${target} (${TRANSFORMER_TABLE_COLUMNS.join(', ')}) SELECT ${TRANSFORMER_TABLE_COLUMNS.join(', ')} FROM ${STAGE}`);
  await connection.run(`DROP TABLE ${STAGE}`);
  return records.length;
}
