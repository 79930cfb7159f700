import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDdlOptions } from '../../src/ddl/ddl-options.js';
import { relationalDdl } from '../../src/ddl/relational-ddl.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-ddl-parity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The reading columns of a silver table, one canonical row per key, in key order. */
const silverRows = (table: string): string =>
  `SELECT meter_id, strftime(reading_ts, '%Y-%m-%d %H:%M:%S') AS reading_ts, epoch_ms(reading_ts_utc) AS utc_ms, interval_minutes, usage_kwh, voltage,
          power_factor, temperature_c, transformer_id, circuit_id, substation_id, service_area, customer_segment, latitude, longitude, is_outage,
          data_quality, event_type, emission_pattern, epoch_ms(emitted_at) AS emitted_ms
   FROM ${table} ORDER BY meter_id, reading_ts_utc`;

describe('forge ddl --target duckdb and forge ingest on the same stage files', () => {
  it('give the same silver, row for row, late, duplicated and backfilled readings included', { timeout: 300_000 }, async () => {
    const stage = join(dir, 'stage');
    const stream = runForge(
      ['stream', '--meters', '30', '--start', '2026-06-10', '--from', '2026-06-10T05:00:00Z', '--duration', '6h', '--speed', 'max', '--emission-pattern', 'DEGRADED_NETWORK',
        '--sink', 'stage', '--stage', stage, '--stage-roll-rows', '150', '--state-dir', join(dir, 'jobs')],
      dir,
    );
    expect(stream.code, stream.stderr).toBe(0);
    const db = join(dir, 'pipeline.duckdb');
    const ingest = runForge(['ingest', '--stage', stage, '--out', db], dir);
    expect(ingest.code, ingest.stderr).toBe(0);

    // The DDL flow on the same files: its bronze loaded file by file in key (landing) order, then its silver INSERT.
    const w = await Warehouse.open(':memory:');
    try {
      const statements = relationalDdl('duckdb', parseDdlOptions({}))
        .split(/;\s*\n/)
        .map((s) => s.replace(/^(--[^\n]*\n|\s)+/g, '').trim())
        .filter((s) => s.length > 0);
      for (const statement of statements.filter((s) => !s.startsWith('INSERT'))) await w.run(statement);
      // Readings (raw/ami) into bronze; the job's transformer file (raw/transformers) into the ratings table.
      const files = await new LocalStageStore(stage).list('raw/ami/');
      expect(files.length).toBeGreaterThan(1);
      const ratings = await new LocalStageStore(stage).list('raw/transformers/');
      expect(ratings).toHaveLength(1);
      await w.run(`INSERT INTO ami.ami_transformers SELECT * FROM read_json(${quoteLiteral(join(stage, ...ratings[0]!.key.split('/')))})`);
      for (const file of files) {
        await w.run(
          `INSERT INTO ami.bronze_ami (raw, file_name, row_number)
           SELECT json, ${quoteLiteral(file.key)}, row_number() OVER () FROM read_ndjson_objects(${quoteLiteral(join(stage, ...file.key.split('/')))}, format = 'newline_delimited')`,
        );
      }
      await w.run(statements.find((s) => s.startsWith('INSERT INTO "ami"."silver_ami"'))!);
      await w.run(`ATTACH ${quoteLiteral(db)} AS ingest (READ_ONLY)`);

      const viaDdl = await w.rows(silverRows('ami.silver_ami'));
      const viaIngest = await w.rows(silverRows('ingest.silver_ami'));
      expect(viaDdl.length).toBe(30 * 24);
      expect(viaDdl).toEqual(viaIngest);
      // Gold transformer loading agrees too, each transformer against its own nameplate.
      const loading = (table: string): string =>
        `SELECT transformer_id, epoch_ms(hour_utc) AS h, round(peak_kw, 9) AS peak_kw, meters, nameplate_kw, over_nameplate, nameplate_kva, nameplate_source
         FROM ${table} ORDER BY 1, 2`;
      const ddlLoading = await w.rows(loading('ami.gold_transformer_hourly'));
      expect(ddlLoading).toEqual(await w.rows(loading('ingest.gold_transformer_hourly')));
      expect(ddlLoading.every((r) => r.nameplate_source === 'FLEET')).toBe(true);
      // The stream did deliver late and duplicated readings: bronze holds more rows than keys, some emitted intervals late.
      expect(await w.number(`SELECT count(*) FROM ami.bronze_ami`)).toBeGreaterThan(viaDdl.length);
      expect(await w.number(`SELECT count(*) FROM ami.silver_ami WHERE emitted_at > reading_ts_utc + INTERVAL 45 MINUTE`)).toBeGreaterThan(0);
    } finally {
      w.close();
    }
  });
});
