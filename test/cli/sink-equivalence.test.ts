import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';

/**
 * Determinism across sinks and settings: the same scenario written to DuckDB, Parquet, CSV and NDJSON, with
 * different worker counts and batch sizes, holds the same readings. Compared by a digest of every row's text in key order.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-equivalence-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = ['--meters', '40', '--days', '3', '--start', '2026-03-07', '--area', 'NYISO', '--seed', '7'];
const COLUMNS =
  'meter_id, strftime(reading_ts::TIMESTAMP, \'%Y-%m-%d %H:%M:%S\'), epoch(reading_ts_utc::TIMESTAMPTZ)::BIGINT, interval_minutes, usage_kwh, voltage, power_factor, ' +
  'temperature_c, transformer_id, circuit_id, substation_id, service_area, customer_segment, latitude, longitude, is_outage, data_quality, event_type, emission_pattern';

/** Digest of the readings in `from`; `attach` names a DuckDB file to attach (read-only) as `src` first. */
async function digest(from: string, attach?: string): Promise<{ rows: number; digest: string }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  if (attach) await connection.run(`ATTACH '${attach}' AS src (READ_ONLY)`);
  const reader = await connection.runAndReadAll(
    `SELECT count(*), md5(string_agg(concat_ws('|', ${COLUMNS}), '\n' ORDER BY meter_id, reading_ts_utc)) FROM ${from}`,
  );
  connection.closeSync();
  instance.closeSync();
  const [rows, md5] = reader.getRows()[0]!;
  return { rows: Number(rows), digest: String(md5) };
}

describe('the same scenario gives the same readings in every sink and with any workers or batch size', () => {
  it('DuckDB, Parquet, CSV and NDJSON agree row for row', async () => {
    const db = join(dir, 'a.duckdb');
    expect(runForge(['generate', ...SCENARIO, '--out', db, '--workers', '0'], dir).code).toBe(0);
    expect(runForge(['generate', ...SCENARIO, '--sink', 'parquet', '--out', join(dir, 'pq'), '--workers', '2', '--batch-size', '1000'], dir).code).toBe(0);
    expect(runForge(['generate', ...SCENARIO, '--sink', 'csv', '--out', join(dir, 'csv'), '--workers', '1', '--batch-size', '5000'], dir).code).toBe(0);
    expect(runForge(['generate', ...SCENARIO, '--sink', 'ndjson', '--out', join(dir, 'nd')], dir).code).toBe(0);

    const fromDuckDb = await digest('src.ami_readings', db);
    const fromParquet = await digest(`read_parquet('${join(dir, 'pq')}/*/*.parquet')`);
    const fromCsv = await digest(`read_csv('${join(dir, 'csv')}/*/*.csv', header = true, types = {'reading_ts_utc': 'TIMESTAMPTZ'})`);
    const fromNdjson = await digest(`read_json('${join(dir, 'nd')}/*/*.ndjson', columns = {${NDJSON_COLUMNS}})`);

    expect(fromDuckDb.rows).toBe(40 * 3 * 96);
    expect(fromParquet).toEqual(fromDuckDb);
    expect(fromCsv).toEqual(fromDuckDb);
    expect(fromNdjson).toEqual(fromDuckDb);
  });

  it('with PV export and a winter near 0 C, every sink holds the same zeros: no -0 anywhere (issue 12, case 8)', async () => {
    // Net usage of PV homes rounds to -0.000 and temperatures to -0.0 when the generator lets the sign of zero through:
    // JSON and CSV then write 0, DuckDB and Parquet keep -0, and digests (and verify --pipeline) disagree.
    const pv = ['--meters', '60', '--days', '3', '--start', '2026-02-28', '--area', 'ERCOT', '--seed', '11', '--pv-share', '1'];
    const db = join(dir, 'pv.duckdb');
    expect(runForge(['generate', ...pv, '--out', db], dir).code).toBe(0);
    for (const format of ['parquet', 'csv', 'ndjson']) {
      expect(runForge(['generate', ...pv, '--sink', format, '--out', join(dir, `pv-${format}`)], dir).code).toBe(0);
    }
    const fromDuckDb = await digest('src.ami_readings', db);
    expect(fromDuckDb.rows).toBe(60 * 3 * 96);
    expect(await digest(`read_parquet('${join(dir, 'pv-parquet')}/**/*.parquet')`)).toEqual(fromDuckDb);
    expect(await digest(`read_csv('${join(dir, 'pv-csv')}/**/*.csv', header = true, types = {'reading_ts_utc': 'TIMESTAMPTZ'})`)).toEqual(fromDuckDb);
    expect(await digest(`read_json('${join(dir, 'pv-ndjson')}/**/*.ndjson', columns = {${NDJSON_COLUMNS}})`)).toEqual(fromDuckDb);
    // The scenario does export (negative usage) and has zeros, and none of them carries a sign bit.
    const signs = await scalarRow(
      'SELECT count(*) FILTER (WHERE usage_kwh < 0), count(*) FILTER (WHERE usage_kwh = 0), ' +
        'count(*) FILTER (WHERE (usage_kwh = 0 AND signbit(usage_kwh)) OR (temperature_c = 0 AND signbit(temperature_c))) FROM src.ami_readings',
      db,
    );
    expect(signs[0]).toBeGreaterThan(0);
    expect(signs[1]).toBeGreaterThan(0);
    expect(signs[2]).toBe(0);
  });

  it('a different seed gives different readings', async () => {
    const db = join(dir, 'b.duckdb');
    expect(runForge(['generate', ...SCENARIO, '--seed', '8', '--out', db], dir).code).toBe(0);
    const a = await digest('src.ami_readings', join(dir, 'a.duckdb'));
    const b = await digest('src.ami_readings', db);
    expect(b.rows).toBe(a.rows);
    expect(b.digest).not.toBe(a.digest);
  });
});

/** The first row of `sql` as numbers, with the DuckDB file `attach` attached read-only as `src`. */
async function scalarRow(sql: string, attach: string): Promise<number[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`ATTACH '${attach}' AS src (READ_ONLY)`);
  const reader = await connection.runAndReadAll(sql);
  connection.closeSync();
  instance.closeSync();
  return reader.getRows()[0]!.map(Number);
}

const NDJSON_COLUMNS = [
  "meter_id: 'VARCHAR'", "reading_ts: 'TIMESTAMP'", "reading_ts_utc: 'TIMESTAMPTZ'", "interval_minutes: 'INTEGER'", "usage_kwh: 'DOUBLE'",
  "voltage: 'DOUBLE'", "power_factor: 'DOUBLE'", "temperature_c: 'DOUBLE'", "transformer_id: 'VARCHAR'", "circuit_id: 'VARCHAR'",
  "substation_id: 'VARCHAR'", "service_area: 'VARCHAR'", "customer_segment: 'VARCHAR'", "latitude: 'DOUBLE'", "longitude: 'DOUBLE'",
  "is_outage: 'BOOLEAN'", "data_quality: 'VARCHAR'", "event_type: 'VARCHAR'", "emission_pattern: 'VARCHAR'",
].join(', ');
