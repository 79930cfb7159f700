import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import { Warehouse } from '../warehouse/warehouse.js';

/**
 * The head-end message as DuckDB column types, given to the JSON reader instead of letting it guess: time stamps stay
 * the message's text (a guess would turn them into TIMESTAMPs and change their text on the way back to JSON).
 */
export const MESSAGE_COLUMNS = {
  header: 'STRUCT(message_id VARCHAR, source_system VARCHAR, message_type VARCHAR, schema_version VARCHAR, emitted_at VARCHAR)',
  meter:
    'STRUCT(meter_id VARCHAR, transformer_id VARCHAR, circuit_id VARCHAR, substation_id VARCHAR, service_area VARCHAR, customer_segment VARCHAR, latitude DOUBLE, longitude DOUBLE)',
  reading:
    'STRUCT(reading_ts VARCHAR, reading_ts_utc VARCHAR, interval_minutes INTEGER, usage_kwh DOUBLE, voltage DOUBLE, power_factor DOUBLE, temperature_c DOUBLE)',
  quality: 'STRUCT(is_outage BOOLEAN, data_quality VARCHAR, event_type VARCHAR)',
  metadata: 'STRUCT(emission_pattern VARCHAR, generator VARCHAR)',
} as const;

const columnsLiteral = `{${Object.entries(MESSAGE_COLUMNS).map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`).join(', ')}}`;

/**
 * Head-end messages (NDJSON) as one Parquet file (zstd; five STRUCT columns, the message's groups), through an
 * in-memory DuckDB: the stage sink's Parquet format. The loader turns each row back into the same JSON message.
 */
export async function ndjsonToParquet(ndjson: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'forge-stage-parquet-'));
  const warehouse = await Warehouse.open(':memory:', { threads: '1' });
  try {
    const source = join(dir, 'rows.json');
    const target = join(dir, 'rows.parquet');
    await writeFile(source, ndjson);
    await warehouse.run(
      `COPY (SELECT * FROM read_ndjson(${quoteLiteral(source)}, columns = ${columnsLiteral})) TO ${quoteLiteral(target)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    return await readFile(target);
  } finally {
    warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
