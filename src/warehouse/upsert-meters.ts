import type { DuckDBConnection } from '@duckdb/node-api';
import type { Fleet } from '../fleet/fleet.js';
import { SEGMENTS } from '../scenario/enums.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import { STAR_SCHEMA } from './star-schema.js';
import { quoteIdentifier } from './sql-quote.js';

const STAGE = 'forge_meter_stage';

/**
 * Puts the fleet's meters into the meter dimension and returns the key of each fleet index (the map
 * ColumnarAppender takes).
 *
 * A meter_id already present keeps its meter_key, so facts written by earlier jobs still join; its attributes are
 * overwritten with this fleet's (type-1 dimension: the latest job's topology wins; with the same seed and area they
 * are identical anyway). New meter_ids get keys after the current maximum, in fleet order. Runs in the caller's
 * transaction, if any.
 */
export async function upsertMeters(connection: DuckDBConnection, fleet: Fleet, area: ServiceAreaName, table: string = STAR_SCHEMA.meters): Promise<Int32Array> {
  const target = quoteIdentifier(table);
  await connection.run(`CREATE OR REPLACE TEMPORARY TABLE ${STAGE} (idx INTEGER, meter_id VARCHAR, transformer_id VARCHAR, circuit_id VARCHAR, substation_id VARCHAR, service_area VARCHAR, customer_segment VARCHAR, latitude DOUBLE, longitude DOUBLE)`);
  const appender = await connection.createAppender(STAGE);
  try {
    for (let i = 0; i < fleet.size; i++) {
      appender.appendInteger(i);
      appender.appendVarchar(fleet.meterIds[i]!);
      appender.appendVarchar(fleet.transformerIds[fleet.transformer[i]!]!);
      appender.appendVarchar(fleet.feederIds[fleet.feeder[i]!]!);
      appender.appendVarchar(fleet.substationIds[fleet.substation[i]!]!);
      appender.appendVarchar(area);
      appender.appendVarchar(SEGMENTS[fleet.segment[i]!]!);
      appender.appendDouble(fleet.latitude[i]!);
      appender.appendDouble(fleet.longitude[i]!);
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  const attributes = ['transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude'];
  await connection.run(
    `UPDATE ${target} AS d SET ${attributes.map((a) => `${a} = s.${a}`).join(', ')} FROM ${STAGE} AS s
     WHERE d.meter_id = s.meter_id AND (${attributes.map((a) => `d.${a} IS DISTINCT FROM s.${a}`).join(' OR ')})`,
  );
  await connection.run(
    `INSERT INTO ${target} (meter_key, meter_id, ${attributes.join(', ')})
     SELECT (SELECT coalesce(max(meter_key), 0) FROM ${target}) + row_number() OVER (ORDER BY s.idx), s.meter_id, ${attributes.map((a) => `s.${a}`).join(', ')}
     FROM ${STAGE} AS s ANTI JOIN ${target} AS d ON d.meter_id = s.meter_id`,
  );
  const reader = await connection.runAndReadAll(`SELECT d.meter_key FROM ${STAGE} AS s JOIN ${target} AS d ON d.meter_id = s.meter_id ORDER BY s.idx`);
  const keys = Int32Array.from(reader.getColumns()[0] ?? [], Number);
  await connection.run(`DROP TABLE ${STAGE}`);
  if (keys.length !== fleet.size) throw new Error(`meter dimension returned ${keys.length} keys for ${fleet.size} meters`);
  return keys;
}
