import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDdlOptions } from '../../src/ddl/ddl-options.js';
import { relationalDdl } from '../../src/ddl/relational-ddl.js';
import { snowflakeDdl } from '../../src/ddl/snowflake-ddl.js';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { recordOf } from '../../src/generator/reading-records.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';
import { runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-07-01', days: 1, meters: 12, seed: 2, storm: '2026-07-01' });

/** The scenario's readings as raw head-end messages (what lands in bronze), and their count and usage sum. */
async function messages(): Promise<{ lines: string[]; sum: number }> {
  const fleet = buildFleet(scenario);
  const lines: string[] = [];
  let sum = 0;
  for await (const { batch } of emitBatches(scenario, { workers: 0 })) {
    for (let row = 0; row < batch.length; row++) {
      lines.push(JSON.stringify(recordOf(batch, row, fleet, scenario.area, 'nested')));
      sum += batch.usageKwh[row]!;
    }
  }
  return { lines, sum };
}

describe('forge ddl --target snowflake', () => {
  const sql = snowflakeDdl(parseDdlOptions({ stageUrl: 's3://utility-landing/ami', database: 'grid_db' }));

  it('prints part 1 (no ACCOUNTADMIN): objects, tables, a file format and pipe per stage format, dynamic tables, the MERGE flow, streaming pipe', () => {
    for (const statement of [
      'CREATE DATABASE IF NOT EXISTS "GRID_DB";',
      'CREATE SCHEMA IF NOT EXISTS "GRID_DB"."AMI";',
      'CREATE WAREHOUSE IF NOT EXISTS "FORGE_WH"',
      'CREATE TABLE IF NOT EXISTS "GRID_DB"."AMI"."AMI_READINGS"',
      'CREATE TABLE IF NOT EXISTS "GRID_DB"."AMI"."BRONZE_AMI"',
      'CREATE FILE FORMAT IF NOT EXISTS "GRID_DB"."AMI"."AMI_JSON" TYPE = JSON COMPRESSION = AUTO STRIP_OUTER_ARRAY = FALSE;',
      `CREATE FILE FORMAT IF NOT EXISTS "GRID_DB"."AMI"."AMI_CSV" TYPE = CSV COMPRESSION = AUTO SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '"' EMPTY_FIELD_AS_NULL = TRUE;`,
      'CREATE FILE FORMAT IF NOT EXISTS "GRID_DB"."AMI"."AMI_PARQUET" TYPE = PARQUET;',
      'CREATE STAGE IF NOT EXISTS "GRID_DB"."AMI"."AMI_INTERNAL_STAGE";',
      'CREATE PIPE IF NOT EXISTS "GRID_DB"."AMI"."AMI_BRONZE_JSON_PIPE"\n  AUTO_INGEST = FALSE\nAS\nCOPY INTO "GRID_DB"."AMI"."BRONZE_AMI" ("RAW", "FILE_NAME", "ROW_NUMBER", "LOADED_AT")\nFROM (\n  SELECT $1, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, METADATA$START_SCAN_TIME\n  FROM @"GRID_DB"."AMI"."AMI_INTERNAL_STAGE"/raw/ami/\n)\nFILE_FORMAT = (FORMAT_NAME = "GRID_DB"."AMI"."AMI_JSON")\nPATTERN = \'.*[.]json([.]gz)?\';',
      "FILE_FORMAT = (FORMAT_NAME = \"GRID_DB\".\"AMI\".\"AMI_CSV\")\nPATTERN = '.*[.]csv([.]gz)?';",
      "FILE_FORMAT = (FORMAT_NAME = \"GRID_DB\".\"AMI\".\"AMI_PARQUET\")\nPATTERN = '.*[.]parquet';",
      "SELECT OBJECT_CONSTRUCT('header', OBJECT_CONSTRUCT('source_system', 'AMI_HEAD_END'",
      "'meter', OBJECT_CONSTRUCT('meter_id', $1, 'transformer_id', $9,",
      'CREATE OR REPLACE DYNAMIC TABLE "GRID_DB"."AMI"."SILVER_AMI"\n  TARGET_LAG = DOWNSTREAM\n  WAREHOUSE = "FORGE_WH"',
      'CREATE OR REPLACE DYNAMIC TABLE "GRID_DB"."AMI"."GOLD_TRANSFORMER_HOURLY"\n  TARGET_LAG = \'10 minutes\'\n  WAREHOUSE = "FORGE_WH"',
      'CREATE OR REPLACE DYNAMIC TABLE "GRID_DB"."AMI"."GOLD_OUTAGE_SUMMARY"',
      'so about 4.8 hours of warehouse time a day, 4.8 credits (XSMALL: 1 credit an hour), 144 a month.',
      'CREATE STREAM IF NOT EXISTS "GRID_DB"."AMI"."AMI_BRONZE_STREAM" ON TABLE "GRID_DB"."AMI"."BRONZE_AMI" APPEND_ONLY = TRUE;',
      'CREATE TASK IF NOT EXISTS "GRID_DB"."AMI"."AMI_SCHEDULED_FLOW"\n  WAREHOUSE = "FORGE_WH"\n  SCHEDULE = \'15 MINUTE\'\n  WHEN SYSTEM$STREAM_HAS_DATA(\'GRID_DB.AMI.AMI_BRONZE_STREAM\')\nAS\nMERGE INTO "GRID_DB"."AMI"."AMI_READINGS" AS "T"\nUSING (\nSELECT * FROM (',
      '  FROM "GRID_DB"."AMI"."AMI_BRONZE_STREAM"\n)\nWHERE "METER_ID" <> \'\' AND "READING_TS_UTC" IS NOT NULL AND "USAGE_KWH" IS NOT NULL AND "INTERVAL_MINUTES" IN (5, 15, 30, 60)\nQUALIFY ROW_NUMBER() OVER (PARTITION BY "METER_ID", "READING_TS_UTC" ORDER BY "LOADED_AT", "FILE_NAME", "ROW_NUMBER") = 1\n) AS "S"\nON "T"."METER_ID" = "S"."METER_ID" AND "T"."READING_TS_UTC" = "S"."READING_TS_UTC"\nWHEN NOT MATCHED THEN INSERT ("METER_ID", "READING_TS", "READING_TS_UTC",',
      'VALUES ("S"."METER_ID", "S"."READING_TS", "S"."READING_TS_UTC",',
      'ALTER TASK "GRID_DB"."AMI"."AMI_SCHEDULED_FLOW" RESUME;',
      "FROM TABLE(DATA_SOURCE(TYPE => 'STREAMING'))",
    ]) {
      expect(sql, statement).toContain(statement);
    }
    expect(sql).toContain('"RAW":meter.meter_id::VARCHAR AS "METER_ID"');
    expect(sql.match(/CREATE OR REPLACE DYNAMIC TABLE/g)).toHaveLength(7);
    // No watermark on the target's newest time (late readings lost), no ACCOUNTADMIN, no integration, no placeholder.
    expect(sql).not.toMatch(/MAX\("READING_TS_UTC"\)/);
    expect(sql).not.toMatch(/ACCOUNTADMIN;|STORAGE INTEGRATION|STORAGE_INTEGRATION|<account-id>|AMI_EXTERNAL_STAGE/);
  });

  it('says what the lag costs: a 1-minute lag keeps the warehouse awake all day; an hour, 0.8 h', () => {
    expect(snowflakeDdl(parseDdlOptions({ targetLag: '1 minute' }))).toContain('so about 24.0 hours of warehouse time a day, 24.0 credits (XSMALL: 1 credit an hour), 720 a month: the warehouse never sleeps.');
    expect(snowflakeDdl(parseDdlOptions({ targetLag: '1 hour' }))).toContain('so about 0.8 hours of warehouse time a day');
    expect(() => parseDdlOptions({ targetLag: '30 seconds' })).toThrow(/targetLag: Snowflake's minimum TARGET_LAG is 60 seconds/);
    const cli = runForge(['ddl', '--lag', '30m'], process.cwd());
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("TARGET_LAG = '30 minutes'");
    expect(runForge(['ddl', '--lag', '30s'], process.cwd()).code).toBe(2);
  });

  it('part 2 (--with-integration) comes after all of part 1, needs an IAM role ARN, and has an auto-ingest pipe per stage format', () => {
    const arn = 'arn:aws:iam::123456789012:role/forge-snowflake';
    const full = snowflakeDdl(parseDdlOptions({ stageUrl: 's3://utility-landing/ami', withIntegration: true, awsRoleArn: arn }));
    const part2 = full.indexOf('-- Part 2');
    expect(part2).toBeGreaterThan(full.indexOf('AMI_STREAMING_PIPE'));
    expect(full.slice(0, part2)).toBe(`${snowflakeDdl(parseDdlOptions({ stageUrl: 's3://utility-landing/ami' }))}\n`);
    const tail = full.slice(part2);
    for (const statement of [
      'USE ROLE ACCOUNTADMIN;',
      `CREATE STORAGE INTEGRATION IF NOT EXISTS "FORGE_S3_INTEGRATION"\n  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n  STORAGE_AWS_ROLE_ARN = '${arn}'\n  STORAGE_ALLOWED_LOCATIONS = ('s3://utility-landing/ami/');`,
      'GRANT USAGE ON INTEGRATION "FORGE_S3_INTEGRATION" TO ROLE SYSADMIN;',
      `CREATE STAGE IF NOT EXISTS "FORGE"."AMI"."AMI_EXTERNAL_STAGE"\n  URL = 's3://utility-landing/ami/'\n  STORAGE_INTEGRATION = "FORGE_S3_INTEGRATION";`,
    ]) expect(tail, statement).toContain(statement);
    for (const format of ['JSON', 'CSV', 'PARQUET']) {
      expect(tail).toContain(`CREATE PIPE IF NOT EXISTS "FORGE"."AMI"."AMI_BRONZE_${format}_AUTO_PIPE"\n  AUTO_INGEST = TRUE`);
    }
    expect(() => parseDdlOptions({ withIntegration: true })).toThrow(/awsRoleArn: required with withIntegration/);
    expect(() => parseDdlOptions({ withIntegration: true, awsRoleArn: 'arn:aws:iam::<account-id>:role/x' })).toThrow(/awsRoleArn/);
    expect(() => parseDdlOptions({ awsRoleArn: arn })).toThrow(/awsRoleArn: applies only with withIntegration/);
  });

  it('refuses names with quotes, semicolons or SQL, and bad stage URLs or lags, naming the field', () => {
    for (const [key, value] of [
      ['database', 'x"; DROP DATABASE prod; --'],
      ['schema', 'a b'],
      ['warehouse', 'wh;'],
      ['integration', "int'"],
      ['stageUrl', 's3://bucket/../../etc'],
      ['stageUrl', '/local/dir'],
      ['targetLag', "1 minute'; DROP TABLE x; --"],
    ] as const) {
      expect(() => parseDdlOptions({ [key]: value }), `${key}=${value}`).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringContaining(key) }));
    }
    expect(() => parseDdlOptions({ bogus: 1 })).toThrow(/unknown key "bogus"/);
  });

  it('the CLI prints it, and exits 2 on a bad target or name, printing nothing', () => {
    const ok = runForge(['ddl', '--target', 'snowflake', '--schema', 'meters'], process.cwd());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "FORGE"."METERS";');
    for (const args of [['ddl', '--target', 'oracle'], ['ddl', '--schema', 'x;y']]) {
      const bad = runForge(args, process.cwd());
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
    }
  });
});

describe('forge ddl --target duckdb', () => {
  it('runs in DuckDB; bronze -> silver (deduplicated) -> gold views reconcile with the engine', async () => {
    const warehouse = await Warehouse.open(':memory:');
    try {
      for (const statement of splitStatements(relationalDdl('duckdb', parseDdlOptions({})))) await warehouse.run(statement);
      const { lines, sum } = await messages();
      // Every message once, and the first 50 twice (a re-delivery): silver keeps one copy.
      const landed = [...lines, ...lines.slice(0, 50)];
      const file = join(await mkdtemp(join(tmpdir(), 'forge-ddl-')), 'landed.json');
      await writeFile(file, `${landed.join('\n')}\n`);
      await warehouse.run(`INSERT INTO ami.bronze_ami (raw, file_name, row_number) SELECT json, 'f.json.gz', row_number() OVER () FROM read_ndjson_objects(${quoteLiteral(file)})`);
      const silverInsert = splitStatements(relationalDdl('duckdb', parseDdlOptions({}))).find((s) => s.startsWith('INSERT INTO "ami"."silver_ami"'))!;
      await warehouse.run(silverInsert);
      expect(await warehouse.number('SELECT count(*) FROM ami.bronze_ami')).toBe(landed.length);
      expect(await warehouse.number('SELECT count(*) FROM ami.silver_ami')).toBe(lines.length);
      expect(await warehouse.number('SELECT round(sum(usage_kwh), 6) FROM ami.silver_ami')).toBeCloseTo(sum, 6);
      expect(await warehouse.number('SELECT round(sum(kwh), 6) FROM ami.gold_usage_hourly')).toBeCloseTo(sum, 6);
      expect(await warehouse.number('SELECT round(sum(kwh), 6) FROM ami.gold_transformer_hourly')).toBeCloseTo(sum, 6);
      expect(await warehouse.number('SELECT max(customers) FROM ami.gold_outage_summary')).toBe(12);
      // The storm day has outages: the summary counts them.
      expect(await warehouse.number('SELECT sum(customer_minutes_out) FROM ami.gold_outage_summary')).toBeGreaterThan(0);
    } finally {
      warehouse.close();
    }
  });
});

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe.runIf(gate.run)(`forge ddl --target postgres against ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let client: pg.Client;
  const schema = `ddl_${runId()}`;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client?.end();
  });

  it('runs in Postgres (twice: idempotent); silver deduplicates and gold reconciles', async () => {
    const sql = relationalDdl('postgres', parseDdlOptions({ schema }));
    await client.query(sql);
    await client.query(sql);
    const { lines, sum } = await messages();
    await client.query(`INSERT INTO ${schema}.bronze_ami (raw, file_name, row_number) SELECT m::jsonb, 'f.json.gz', ordinality FROM unnest($1::text[]) WITH ORDINALITY AS m`, [[...lines, ...lines.slice(0, 30)]]);
    await client.query(sql.slice(sql.indexOf(`INSERT INTO "${schema}"."silver_ami"`), sql.indexOf('ON CONFLICT DO NOTHING;') + 'ON CONFLICT DO NOTHING;'.length));
    const silver = await client.query(`SELECT count(*)::int AS n, sum(usage_kwh) AS s FROM ${schema}.silver_ami`);
    expect(silver.rows[0].n).toBe(lines.length);
    expect(Number(silver.rows[0].s)).toBeCloseTo(sum, 6);
    const gold = await client.query(`SELECT sum(kwh) AS s FROM ${schema}.gold_substation_hourly`);
    expect(Number(gold.rows[0].s)).toBeCloseTo(sum, 6);
  });
});

describe('postgres ddl services', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => expect(service).toMatchObject({ available: true }));
});

/** Statements of a printed script (no statement here contains a ';' inside a literal). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^(--[^\n]*\n|\s)+/g, '').trim())
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/;$/, ''));
}
