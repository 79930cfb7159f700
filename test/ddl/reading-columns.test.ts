import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDdlOptions } from '../../src/ddl/ddl-options.js';
import { relationalDdl } from '../../src/ddl/relational-ddl.js';
import { snowflakeDdl } from '../../src/ddl/snowflake-ddl.js';
import {
  FLAT_COLUMNS,
  isNullable,
  LOGICAL_TYPES,
  READING_KEY,
  READING_TABLE_COLUMNS,
  SQL_DIALECTS,
  dialectType,
  sqlType,
  type SqlDialect,
} from '../../src/generator/reading-columns.js';
import { FLAT_COLUMNS as RECORD_COLUMNS, flatReading } from '../../src/generator/reading-records.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { quotePgIdentifier, redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { testJob, withTempDir, type TestJob } from '../support/fixtures.js';

/**
 * reading-columns.ts is the one declaration of the reading's columns: the tables `forge ddl` prints (Postgres,
 * DuckDB, Snowflake), the table the Postgres sink creates and the ami_readings view of the DuckDB sink must have
 * exactly its columns, in its order, with its types (read back from the databases where they can be run).
 */

interface Column {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
}

/** The columns of `CREATE TABLE IF NOT EXISTS <table> (...)` in a DDL script, as printed (one column a line). */
function createdColumns(sql: string, table: string): Column[] {
  const start = sql.indexOf(`CREATE TABLE IF NOT EXISTS ${table} (\n`);
  expect(start, `${table} is created`).toBeGreaterThanOrEqual(0);
  const body = sql.slice(sql.indexOf('\n', start) + 1, sql.indexOf('\n);', start));
  return body
    .split('\n')
    .map((line) => /^ {2}"([^"]+)" (.+?)( NOT NULL)?,?$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, name, type, notNull]) => ({ name: name!, type: type!, notNull: notNull !== undefined }));
}

/** The module's columns as `dialect` should create them; `withNulls` false for tables that state no NOT NULL. */
const expected = (dialect: SqlDialect, columns: readonly (typeof READING_TABLE_COLUMNS)[number][], withNulls: boolean): Column[] =>
  columns.map((c) => ({
    name: dialect === 'snowflake' ? c.toUpperCase() : c,
    type: sqlType(dialect, c),
    notNull: withNulls && !isNullable(c),
  }));

describe('the reading columns module', () => {
  it('declares the flat reading then emitted_at, a key inside it, and a type for every column in every dialect', () => {
    expect(READING_TABLE_COLUMNS).toEqual([...FLAT_COLUMNS, 'emitted_at']);
    // reading-records.ts re-exports the same list: the flat records and CSV headers follow it.
    expect(RECORD_COLUMNS).toBe(FLAT_COLUMNS);
    const job = testJob();
    expect(Object.keys(flatReading(job.batches[0]!.batch, 0, job.context.fleet, job.context.scenario.area))).toEqual([...FLAT_COLUMNS]);
    expect(READING_KEY.every((c) => (FLAT_COLUMNS as readonly string[]).includes(c))).toBe(true);
    expect(READING_KEY.some((c) => isNullable(c))).toBe(false);
    expect(READING_TABLE_COLUMNS.filter((c) => isNullable(c))).toEqual(['event_type', 'emitted_at']);
    for (const dialect of SQL_DIALECTS) {
      for (const type of LOGICAL_TYPES) expect(dialectType(dialect, type), `${dialect} ${type}`).toMatch(/^[A-Za-z_ ]+$/);
    }
    expect(sqlType('postgres', 'interval_minutes')).toBe('smallint');
    expect(sqlType('duckdb', 'reading_ts_utc')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(sqlType('snowflake', 'reading_ts')).toBe('TIMESTAMP_NTZ');
  });
});

describe('forge ddl prints the module\'s columns', () => {
  it('postgres and duckdb: the readings table (NOT NULL as declared) and silver have exactly them', () => {
    for (const target of ['postgres', 'duckdb'] as const) {
      const sql = relationalDdl(target, parseDdlOptions({}));
      expect(createdColumns(sql, '"ami"."ami_readings"'), target).toEqual(expected(target, READING_TABLE_COLUMNS, true));
      // Silver adds its load time after the reading's columns.
      const silver = createdColumns(sql, '"ami"."silver_ami"');
      expect(silver.slice(0, -1), target).toEqual(expected(target, READING_TABLE_COLUMNS, false));
      expect(silver.at(-1)?.name).toBe('loaded_at');
      expect(sql).toContain(`PRIMARY KEY (${READING_KEY.map((c) => `"${c}"`).join(', ')})`);
    }
  });

  it('snowflake: the target table, upper-cased, and the MERGE inserts every one of them', () => {
    const sql = snowflakeDdl(parseDdlOptions({ database: 'grid_db' }));
    expect(createdColumns(sql, '"GRID_DB"."AMI"."AMI_READINGS"')).toEqual(expected('snowflake', READING_TABLE_COLUMNS, false));
    expect(sql).toContain(`WHEN NOT MATCHED THEN INSERT (${READING_TABLE_COLUMNS.map((c) => `"${c.toUpperCase()}"`).join(', ')})`);
    // Silver (a dynamic table) casts each message field to the column's type.
    for (const c of READING_TABLE_COLUMNS) expect(sql).toMatch(new RegExp(`::${sqlType('snowflake', c)} AS "${c.toUpperCase()}"`));
  });
});

/** information_schema.columns of one table or view, in column order. */
const columnsSql = (schemaExpr: string): string =>
  `SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns ` +
  `WHERE table_schema = ${schemaExpr} AND table_name = $1 ORDER BY ordinal_position`;

describe('DuckDB: forge ddl\'s tables and the DuckDB sink\'s ami_readings, read back', () => {
  it('the DDL run in DuckDB gives the module\'s columns and types; the sink\'s view gives the flat ones', async () => {
    const w = await Warehouse.open(':memory:');
    try {
      const statements = relationalDdl('duckdb', parseDdlOptions({}))
        .split(/;\s*\n/)
        .map((s) => s.replace(/^(--[^\n]*\n|\s)+/g, '').trim())
        .filter((s) => s.length > 0 && !s.startsWith('INSERT'));
      for (const statement of statements) await w.run(statement);
      const table = await w.rows(columnsSql(`'ami'`), ['ami_readings']);
      expect(table.map((r) => [r.name, r.type, r.nullable === 'NO'])).toEqual(READING_TABLE_COLUMNS.map((c) => [c, sqlType('duckdb', c), !isNullable(c)]));
    } finally {
      w.close();
    }

    await withTempDir(async (dir) => {
      const path = join(dir, 'forge.duckdb');
      const job = testJob();
      const sink = new DuckDbSink({ path });
      await sink.open(job.context);
      for (const { batch, info } of job.batches) await sink.write(batch, info);
      await sink.close();
      const read = await Warehouse.open(path);
      try {
        // The view is the flat reading (the fact keeps emitted_at for the stream's bookkeeping).
        const view = await read.rows(columnsSql('current_schema()'), ['ami_readings']);
        expect(view.map((r) => [r.name, r.type])).toEqual(FLAT_COLUMNS.map((c) => [c, sqlType('duckdb', c)]));
      } finally {
        read.close();
      }
    });
  });
});

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

describe.runIf(gate.run)(`Postgres: forge ddl's tables and the sink's table, read back from ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  const sinkSchema = `forge_cols_sink_${process.pid}`;
  const ddlSchema = `forge_cols_ddl_${process.pid}`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });

  afterAll(async () => {
    if (!admin) return;
    for (const schema of [sinkSchema, ddlSchema]) await admin.query(`DROP SCHEMA IF EXISTS ${quotePgIdentifier(schema)} CASCADE`);
    await admin.end();
  });

  const columns = async (schema: string, table: string): Promise<[string, string, boolean][]> =>
    (await admin.query<{ name: string; type: string; nullable: string }>(columnsSql('$2'), [table, schema])).rows.map((r) => [r.name, r.type, r.nullable === 'NO']);
  const moduleColumns = READING_TABLE_COLUMNS.map((c): [string, string, boolean] => [c, sqlType('postgres', c), !isNullable(c)]);

  const writeJob = async (sink: PostgresSink, job: TestJob): Promise<number> => {
    await sink.open(job.context);
    for (const { batch, info } of job.batches) await sink.write(batch, info);
    return (await sink.close()).rows;
  };

  it('the table the sink creates has the module\'s columns, types and NOT NULLs', async () => {
    const job = testJob();
    expect(await writeJob(PostgresSink.fromTableName(`${sinkSchema}.readings`, { url: PG_TEST_URL }), job)).toBe(job.rows);
    expect(await columns(sinkSchema, 'readings')).toEqual(moduleColumns);
  });

  it('so does forge ddl\'s readings table, which the sink accepts and writes; with a type changed, the sink refuses it naming the module\'s type', async () => {
    await admin.query(relationalDdl('postgres', parseDdlOptions({ schema: ddlSchema })));
    expect(await columns(ddlSchema, 'ami_readings')).toEqual(moduleColumns);
    const silver = await columns(ddlSchema, 'silver_ami');
    expect(silver.slice(0, -1).map(([name, type]) => [name, type])).toEqual(moduleColumns.map(([name, type]) => [name, type]));

    const job = testJob();
    expect(await writeJob(PostgresSink.fromTableName(`${ddlSchema}.ami_readings`, { url: PG_TEST_URL }), job)).toBe(job.rows);

    await admin.query(`CREATE TABLE ${quotePgIdentifier(ddlSchema)}.changed (LIKE ${quotePgIdentifier(ddlSchema)}.ami_readings INCLUDING ALL)`);
    await admin.query(`ALTER TABLE ${quotePgIdentifier(ddlSchema)}.changed ALTER COLUMN interval_minutes TYPE integer`);
    await expect(PostgresSink.fromTableName(`${ddlSchema}.changed`, { url: PG_TEST_URL }).open(testJob().context)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_WRITE',
      message: expect.stringContaining(`interval_minutes is integer, expected ${sqlType('postgres', 'interval_minutes')}`),
    });
  });
});
