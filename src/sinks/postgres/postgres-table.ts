import type pg from 'pg';
import { FLAT_COLUMNS, isNullable, READING_KEY, READING_TABLE_COLUMNS, sqlType } from '../../generator/reading-columns.js';
import { emittedMeters } from '../../scenario/scenario.js';
import { shardText } from '../../scenario/shard.js';
import { ForgeError } from '../../util/forge-error.js';
import type { SinkContext } from '../sink.js';
import { CHECKPOINTS, checkpointsDdl } from './postgres-checkpoints.js';
import { POSTGRES_SINK } from './postgres-errors.js';
import { quotePgIdentifier } from './postgres-options.js';

/** The table of readings a Postgres sink writes, and forge_checkpoints beside it, named safely for SQL. */
export interface PgTable {
  readonly schema: string | undefined;
  readonly table: string;
  /** Quoted, schema-qualified when a schema is given: safe to place in SQL. */
  readonly target: string;
  /** forge_checkpoints in the same schema, quoted likewise. */
  readonly checkpoints: string;
  /** The server's URL with its password redacted, for messages. */
  readonly shownUrl: string;
}

/** Checks and quotes the names (FORGE_ERR_INVALID_IDENTIFIER for anything but a plain lower-case name). */
export function pgTable(table: string, schema: string | undefined, shownUrl: string): PgTable {
  if (schema !== undefined) quotePgIdentifier(schema);
  const qualify = (name: string): string => (schema ? `${quotePgIdentifier(schema)}.` : '') + quotePgIdentifier(name);
  return { schema, table, target: qualify(table), checkpoints: qualify(CHECKPOINTS), shownUrl };
}

/** The table's columns (reading-columns.ts), quoted, in order: what every COPY and INSERT of the sink names. */
export const COLUMN_LIST = READING_TABLE_COLUMNS.map((c) => `"${c}"`).join(', ');

/** Column definitions in Postgres types; `withNotNull` adds the schema's NOT NULLs (the table, not its staging copy). */
export const columnDefinitions = (withNotNull: boolean): string =>
  READING_TABLE_COLUMNS.map((c) => `"${c}" ${sqlType('postgres', c)}${withNotNull && !isNullable(c) ? ' NOT NULL' : ''}`).join(', ');

/**
 * Makes the table ready for a job, or refuses it. A table that exists must have the reading schema (checkSchema) and,
 * unless `append`, no rows: for a shard, no rows of its own meters (shards of one split share the table). Then the
 * schema, the table and forge_checkpoints are created as needed. Everything that may refuse reads only: a refused
 * job leaves the database as it was.
 *
 * Returns the table's name as the database knows it (schema-qualified), the key of the job's checkpoints.
 */
export async function prepareTable(client: pg.Client, t: PgTable, job: { readonly append: boolean; readonly context: SinkContext }): Promise<string> {
  const exists = await tableExists(client, t);
  if (exists) {
    await checkSchema(client, t);
    if (!job.append) await refuseHeldRows(client, t, job.context);
  }
  await client.query('BEGIN');
  // Shards (or any jobs) opening the same database at once: concurrent CREATE ... IF NOT EXISTS of one name can
  // still fail on the catalog's unique index, so the creation is serialised by a transaction-scoped lock.
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('flux-data-forge:ddl'))`);
  if (t.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotePgIdentifier(t.schema)}`);
  if (!exists) {
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.target} (${columnDefinitions(true)}, PRIMARY KEY (${READING_KEY.join(', ')}))`);
  } else {
    // Tables written before streams had no emission time: the column is added (NULL for their rows).
    await client.query(`ALTER TABLE ${t.target} ADD COLUMN IF NOT EXISTS "emitted_at" ${sqlType('postgres', 'emitted_at')}`);
  }
  await client.query(checkpointsDdl(t.checkpoints));
  await client.query('COMMIT');
  const qualified = await client.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::regclass`,
    [t.target],
  );
  return qualified.rows[0]!.name;
}

async function tableExists(client: pg.Client, t: PgTable): Promise<boolean> {
  const result = await client.query<{ oid: string | null }>(`SELECT to_regclass($1) AS oid`, [
    t.schema ? `${quotePgIdentifier(t.schema)}.${quotePgIdentifier(t.table)}` : quotePgIdentifier(t.table),
  ]);
  return result.rows[0]?.oid != null;
}

/** FORGE_ERR_TABLE_EXISTS when the table holds rows the job would add to: all of them, or a shard's own meters'. */
async function refuseHeldRows(client: pg.Client, t: PgTable, context: SinkContext): Promise<void> {
  const shard = context.scenario.shard;
  if (shard) {
    const { start, end } = emittedMeters(context.scenario);
    const ids = context.fleet.meterIds.slice(start, end);
    const has = await client.query(`SELECT EXISTS (SELECT 1 FROM ${t.target} WHERE meter_id = ANY($1::text[])) AS has`, [ids]);
    if (has.rows[0]?.has === true) {
      const count = await client.query(`SELECT count(*) AS n FROM ${t.target} WHERE meter_id = ANY($1::text[])`, [ids]);
      throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [`${t.target} (for the meters of shard ${shardText(shard)})`, String(count.rows[0]?.n), t.shownUrl]);
    }
    return;
  }
  const has = await client.query(`SELECT EXISTS (SELECT 1 FROM ${t.target}) AS has`);
  if (has.rows[0]?.has === true) {
    const count = await client.query(`SELECT count(*) AS n FROM ${t.target}`);
    throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [t.target, String(count.rows[0]?.n), t.shownUrl]);
  }
}

/** An existing table must have every flat column with its type and a unique key on (meter_id, reading_ts_utc). */
async function checkSchema(client: pg.Client, t: PgTable): Promise<void> {
  const columns = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute ` +
      `WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [t.target],
  );
  const have = new Map(columns.rows.map((r) => [r.name, r.type]));
  const problems: string[] = [];
  for (const c of FLAT_COLUMNS) {
    const type = have.get(c);
    const expected = sqlType('postgres', c);
    if (type === undefined) problems.push(`no column ${c}`);
    else if (type !== expected) problems.push(`${c} is ${type}, expected ${expected}`);
  }
  // The key's columns in attname order (the names compare bytewise, as JavaScript's default sort does).
  const key = await client.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = ${READING_KEY.length} ` +
      `AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) ` +
      `= $2::text[]) AS ok`,
    [t.target, [...READING_KEY].sort()],
  );
  if (key.rows[0]?.ok !== true) problems.push(`no primary key or unique index on (${READING_KEY.join(', ')})`);
  if (problems.length > 0) {
    throw new ForgeError('FORGE_ERR_SINK_WRITE', [POSTGRES_SINK, `table ${t.target} in ${t.shownUrl} does not have the reading schema: ${problems.join('; ')}`]);
  }
}
