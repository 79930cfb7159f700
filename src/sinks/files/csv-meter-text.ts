import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Fleet } from '../../fleet/fleet.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { quoteIdentifier, quoteLiteral } from '../../warehouse/sql-quote.js';
import { meterTableDdl } from '../../warehouse/star-schema.js';
import { upsertMeters } from '../../warehouse/upsert-meters.js';

const TABLE = 'csv_meter_text';
/** The per-meter columns of a CSV row after meter_id, in FLAT_COLUMNS order (transformer_id ... longitude). */
const REST = ['transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude'] as const;

/**
 * Each meter's CSV fields as DuckDB's CSV writer writes them: the meter_id field, and the seven per-meter fields from
 * transformer_id to longitude (joined by commas). DuckDB itself writes them, once per meter (a COPY of the meter
 * dimension, read back), so their quoting and number text are its own whatever an imported fleet's ids hold; the
 * per-row fields are CsvRowEncoder's.
 *
 * Held as the COPY's bytes plus three offsets a meter (about 100 bytes a meter).
 */
export class CsvMeterText {
  private constructor(
    readonly bytes: Uint8Array,
    /** By fleet index: where the meter_id field starts, ends (exclusive), and where the rest starts and ends. */
    readonly idStart: Int32Array,
    readonly idEnd: Int32Array,
    readonly restEnd: Int32Array,
    /** The longest meter text, both parts, in bytes. */
    readonly maxBytes: number,
  ) {}

  static async build(connection: DuckDBConnection, fleet: Fleet, area: ServiceAreaName): Promise<CsvMeterText> {
    const dir = await mkdtemp(join(tmpdir(), 'forge-csv-meters-'));
    const file = join(dir, 'meters.csv');
    try {
      await connection.run(meterTableDdl(TABLE));
      const keys = await upsertMeters(connection, fleet, area, TABLE);
      await connection.run(
        `COPY (SELECT meter_key, meter_id, ${REST.join(', ')} FROM ${quoteIdentifier(TABLE)} ORDER BY meter_key) TO ${quoteLiteral(file)} (FORMAT csv, HEADER false)`,
      );
      await connection.run(`DROP TABLE ${quoteIdentifier(TABLE)}`);
      return CsvMeterText.parse(new Uint8Array(await readFile(file)), keys);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Splits the COPY's records (meter_key, meter_id, rest) at the commas and newlines outside quotes. */
  private static parse(bytes: Uint8Array, keys: Int32Array): CsvMeterText {
    const byKey = new Map<number, number>();
    keys.forEach((key, index) => byKey.set(key, index));
    const n = keys.length;
    const idStart = new Int32Array(n).fill(-1);
    const idEnd = new Int32Array(n);
    const restEnd = new Int32Array(n);
    let maxBytes = 0;
    let pos = 0;
    while (pos < bytes.length) {
      let key = 0;
      while (bytes[pos] !== 44) key = key * 10 + (bytes[pos++]! - 48);
      const index = byKey.get(key);
      if (index === undefined) throw new Error(`meter text: key ${key} is not the fleet's`);
      const start = ++pos;
      pos = fieldEnd(bytes, pos);
      idStart[index] = start;
      idEnd[index] = pos;
      let end = pos + 1;
      for (let f = 0; f < REST.length; f++) end = fieldEnd(bytes, f === 0 ? end : end + 1);
      if (bytes[end] !== 10) throw new Error(`meter text: record of key ${key} does not end after ${REST.length + 2} fields`);
      restEnd[index] = end;
      maxBytes = Math.max(maxBytes, end - start);
      pos = end + 1;
    }
    if (idStart.includes(-1)) throw new Error('meter text: a meter of the fleet has no record');
    return new CsvMeterText(bytes, idStart, idEnd, restEnd, maxBytes);
  }
}

/** The position of the comma or newline that ends the field starting at `pos` (quoted fields may hold both). */
function fieldEnd(bytes: Uint8Array, pos: number): number {
  if (bytes[pos] === 34) {
    pos++;
    for (;;) {
      if (bytes[pos] === 34) {
        if (bytes[pos + 1] === 34) pos += 2;
        else return pos + 1;
      } else {
        if (pos >= bytes.length) throw new Error('meter text: unterminated quoted field');
        pos++;
      }
    }
  }
  while (pos < bytes.length && bytes[pos] !== 44 && bytes[pos] !== 10) pos++;
  return pos;
}
