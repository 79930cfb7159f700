import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS } from '../../generator/reading-records.js';
import { emittedMeters } from '../../scenario/scenario.js';
import { shardedJobKey, shardText, type Shard } from '../../scenario/shard.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';
import type { BatchInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { CopyBinaryEncoder } from './copy-binary-encoder.js';
import { DEFAULT_PG_TABLE, DEFAULT_PG_URL, parsePgTableName, pgUrlProblem, quotePgIdentifier, redactPgUrl } from './postgres-options.js';
import { errorText } from '../../util/error-text.js';

export interface PostgresSinkOptions {
  /** Connection URL, postgres://user[:password]@host[:port]/database[?...]. Default postgres://postgres@127.0.0.1:5432/postgres. */
  readonly url?: string;
  /** Table of readings, a plain lower-case name. Default ami_readings. */
  readonly table?: string;
  /** Schema of the table and of forge_checkpoints; created when absent. Default: the connection's current schema. */
  readonly schema?: string;
  /** Add to a table that already holds rows (otherwise such a table is refused in `open`). */
  readonly append?: boolean;
  /** How a lost connection is retried during `write`. */
  readonly retry?: PostgresRetryOptions;
  /** Told when the sink loses its connection ('degraded') and when a write goes through again ('recovered'). */
  readonly onStatus?: (status: PostgresSinkStatus) => void;
  /** application_name of the sink's connections (pg_stat_activity). Default flux-data-forge. */
  readonly applicationName?: string;
  /** Time allowed to establish one connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

export interface PostgresRetryOptions {
  /** First wait after a lost connection. Default 100 ms; each further wait doubles. */
  readonly initialDelayMs?: number;
  /** Longest single wait. Default 5 s. */
  readonly maxDelayMs?: number;
  /** Give up (FORGE_ERR_SINK_CONNECT) when a batch has not gone through this long after its first failure. Default 60 s. */
  readonly maxRetryMs?: number;
}

export type PostgresSinkStatus =
  | { readonly state: 'degraded'; readonly error: string }
  | { readonly state: 'recovered'; readonly attempts: number; readonly downMs: number };

/** The flat reading schema (DESIGN.md) as Postgres column types, in FLAT_COLUMNS order. */
const COLUMN_TYPES: Readonly<Record<(typeof FLAT_COLUMNS)[number], string>> = {
  meter_id: 'text',
  reading_ts: 'timestamp without time zone',
  reading_ts_utc: 'timestamp with time zone',
  interval_minutes: 'smallint',
  usage_kwh: 'double precision',
  voltage: 'double precision',
  power_factor: 'double precision',
  temperature_c: 'double precision',
  transformer_id: 'text',
  circuit_id: 'text',
  substation_id: 'text',
  service_area: 'text',
  customer_segment: 'text',
  latitude: 'double precision',
  longitude: 'double precision',
  is_outage: 'boolean',
  data_quality: 'text',
  event_type: 'text',
  emission_pattern: 'text',
};
const NULLABLE = new Set<string>(['event_type']);
/** After the reading's columns: when a stream emitted it (NULL for batch jobs). */
const DELIVERY_COLUMNS = '"emitted_at" timestamp with time zone';
const KEY = ['meter_id', 'reading_ts_utc'] as const;
const COLUMN_LIST = [...FLAT_COLUMNS, 'emitted_at'].map((c) => `"${c}"`).join(', ');
const CHECKPOINTS = 'forge_checkpoints';
/** Per connection (temporary tables are private to their session); emptied by every commit. */
const STAGING = 'pg_temp."forge_staging"';

const columnDefinitions = (withNotNull: boolean): string =>
  `${FLAT_COLUMNS.map((c) => `"${c}" ${COLUMN_TYPES[c]}${withNotNull && !NULLABLE.has(c) ? ' NOT NULL' : ''}`).join(', ')}, ${DELIVERY_COLUMNS}`;

/**
 * Writes readings into one Postgres table with the flat reading schema, keyed by (meter_id, reading_ts_utc).
 *
 * Each `write` is one transaction that holds the batch's rows and the job's checkpoint in forge_checkpoints (the last
 * batch sequence committed and the job's rows); `write` resolves after the COMMIT, so the caller's await is the
 * backpressure and everything accepted is durable. Invariant 2 follows: the checkpoint commits with the data, and a
 * batch delivered again (a retry after a lost connection whose COMMIT may or may not have landed, a resumed job)
 * adds no row and does not count its rows twice.
 *
 * Two ways in, both binary COPY (see copy-binary-encoder.ts):
 * - direct: COPY into the table itself, as fast as a plain COPY. Used for new data. If a row is already there
 *   (unique violation) the transaction is rolled back and the batch goes the staged way.
 * - staged: COPY into a session-private temporary table, then INSERT ... ON CONFLICT DO NOTHING into the table:
 *   idempotent, but the conflict check costs about as much again as the COPY. Used for a batch retried after a lost
 *   connection and after a conflict (until a batch goes in whole again).
 *
 * A lost connection during `write` (server restart, pg_terminate_backend, network) is retried on a new connection
 * with exponential backoff; `degraded` is true meanwhile and `onStatus` is told. Any other error (a table whose
 * schema changed, a constraint) fails the write at once with a ForgeError, the transaction rolled back.
 *
 * `flush` has nothing to do: every accepted batch is already committed. `close` ends the connection.
 */
export class PostgresSink implements Sink {
  readonly name = 'postgres';
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly schema: string | undefined;
  private readonly table: string;
  /** Quoted, schema-qualified when a schema is given: safe to place in SQL. */
  private readonly target: string;
  private readonly checkpoints: string;
  private readonly append: boolean;
  private readonly retry: Required<PostgresRetryOptions>;
  private readonly onStatus: ((status: PostgresSinkStatus) => void) | undefined;
  private readonly applicationName: string;
  private readonly connectTimeoutMs: number;

  private client: pg.Client | null = null;
  /** Set by the client's 'error' event: the connection is gone even if no query has failed yet. */
  private broken = false;
  private encoder: CopyBinaryEncoder | null = null;
  /** The job's checkpoint key: the job id, with the shard when the job is one (shard.ts). */
  private jobId = '';
  private shard: Shard | null = null;
  /** The checkpoint's key: the table as named in the database (schema-qualified). */
  private checkpointTable = '';
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly stop = new AbortController();
  private accepted = 0;
  private inserted = 0;
  private degradedSince: number | null = null;
  /** The last batch met rows already in the table: send the next one the staged way too. */
  private stageNext = false;
  private attempts = 0;

  constructor(options: PostgresSinkOptions = {}) {
    this.url = options.url ?? DEFAULT_PG_URL;
    const problem = pgUrlProblem(this.url);
    if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`pgUrl: ${problem}`]);
    this.shownUrl = redactPgUrl(this.url);
    this.table = options.table ?? DEFAULT_PG_TABLE;
    if (options.schema !== undefined) quotePgIdentifier(options.schema);
    this.schema = options.schema;
    const qualify = (name: string): string => (this.schema ? `${quotePgIdentifier(this.schema)}.` : '') + quotePgIdentifier(name);
    this.target = qualify(this.table);
    this.checkpoints = qualify(CHECKPOINTS);
    this.append = options.append ?? false;
    this.retry = {
      initialDelayMs: options.retry?.initialDelayMs ?? 100,
      maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      maxRetryMs: options.retry?.maxRetryMs ?? 60_000,
    };
    this.onStatus = options.onStatus;
    this.applicationName = options.applicationName ?? 'flux-data-forge';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** Builds the sink from a `table` or `schema.table` text (the CLI's --pg-table). */
  static fromTableName(name: string, options: Omit<PostgresSinkOptions, 'table' | 'schema'> = {}): PostgresSink {
    const { schema, table } = parsePgTableName(name);
    return new PostgresSink({ ...options, table, ...(schema ? { schema } : {}) });
  }

  /** True from a lost connection (noticed while idle or by a write) until a write goes through again. */
  get degraded(): boolean {
    return this.degradedSince !== null;
  }

  /** Readings accepted (committed) by this sink's writes; a batch delivered twice counts once per delivery. */
  get acceptedRows(): number {
    return this.accepted;
  }

  /** Rows the INSERTs actually added: less than accepted when some were already in the table (redelivery, append). */
  get insertedRows(): number {
    return this.inserted;
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    const client = await this.connect(false);
    try {
      // Everything that may refuse reads only: a refused job leaves the database as it was.
      const exists = await this.tableExists(client, this.table);
      const shard = context.scenario.shard;
      if (exists) {
        await this.checkSchema(client);
        if (!this.append && shard) {
          // Shards of one split share the table: a shard refuses rows of its own meters only, not its siblings'.
          const { start, end } = emittedMeters(context.scenario);
          const ids = context.fleet.meterIds.slice(start, end);
          const has = await client.query(`SELECT EXISTS (SELECT 1 FROM ${this.target} WHERE meter_id = ANY($1::text[])) AS has`, [ids]);
          if (has.rows[0]?.has === true) {
            const count = await client.query(`SELECT count(*) AS n FROM ${this.target} WHERE meter_id = ANY($1::text[])`, [ids]);
            throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [`${this.target} (for the meters of shard ${shardText(shard)})`, String(count.rows[0]?.n), this.shownUrl]);
          }
        } else if (!this.append) {
          const has = await client.query(`SELECT EXISTS (SELECT 1 FROM ${this.target}) AS has`);
          if (has.rows[0]?.has === true) {
            const count = await client.query(`SELECT count(*) AS n FROM ${this.target}`);
            throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [this.target, String(count.rows[0]?.n), this.shownUrl]);
          }
        }
      }
      await client.query('BEGIN');
      // Shards (or any jobs) opening the same database at once: concurrent CREATE ... IF NOT EXISTS of one name can
      // still fail on the catalog's unique index, so the creation is serialised by a transaction-scoped lock.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('flux-data-forge:ddl'))`);
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotePgIdentifier(this.schema)}`);
      if (!exists) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.target} (${columnDefinitions(true)}, PRIMARY KEY (${KEY.join(', ')}))`);
      } else {
        // Tables written before streams had no emission time: the column is added (NULL for their rows).
        await client.query(`ALTER TABLE ${this.target} ADD COLUMN IF NOT EXISTS ${DELIVERY_COLUMNS}`);
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.checkpoints} (job_id text NOT NULL, table_name text NOT NULL, sequence bigint NOT NULL, ` +
          `rows bigint NOT NULL, committed_at timestamptz NOT NULL, PRIMARY KEY (job_id, table_name))`,
      );
      await client.query('COMMIT');
      const qualified = await client.query<{ name: string }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::regclass`,
        [this.target],
      );
      this.checkpointTable = qualified.rows[0]!.name;
      await this.prepareSession(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      if (isForgeError(e)) throw e;
      throw this.writeError(e);
    }
    this.client = client;
    this.encoder = new CopyBinaryEncoder(context.fleet, context.scenario.area);
    this.shard = context.scenario.shard;
    this.jobId = shardedJobKey(context.jobId, this.shard);
    this.state = 'open';
  }

  /** Resolves when the batch is committed, together with the job's checkpoint (see the class comment). */
  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.requireOpen('write');
    if (batch.length === 0) return;
    let delayMs = this.retry.initialDelayMs;
    let firstFailure = 0;
    // After a lost connection the last attempt's COMMIT may have landed. The direct way would still be safe (it
    // fails on the first row already there and falls back), but the staged way goes there without the wasted COPY.
    let staged = this.stageNext;
    for (;;) {
      let client: pg.Client | null = null;
      try {
        client = await this.connection();
        let inserted: number;
        if (staged) {
          inserted = await this.commitBatch(client, batch, info.sequence, 'staged');
        } else {
          try {
            inserted = await this.commitBatch(client, batch, info.sequence, 'direct');
          } catch (e) {
            if (errorCode(e) !== UNIQUE_VIOLATION) throw e;
            await client.query('ROLLBACK');
            staged = true;
            inserted = await this.commitBatch(client, batch, info.sequence, 'staged');
          }
        }
        this.stageNext = staged && inserted < batch.length;
        this.accepted += batch.length;
        this.inserted += inserted;
        this.recovered();
        return;
      } catch (e) {
        if (this.state !== 'open') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'write interrupted by abort'], { cause: e });
        if (!isConnectionError(e)) {
          if (client && !this.broken) await client.query('ROLLBACK').catch(() => this.dropConnection());
          throw isForgeError(e) ? e : this.writeError(e);
        }
        this.dropConnection();
        staged = true;
        const now = performance.now();
        if (firstFailure === 0) firstFailure = now;
        this.markDegraded(e);
        if (now - firstFailure + delayMs > this.retry.maxRetryMs) {
          throw new ForgeError(
            'FORGE_ERR_SINK_CONNECT',
            [this.name, this.shownUrl, `lost the connection and could not write batch ${info.sequence} within ${Math.round((now - firstFailure) / 1000)} s: ${errorText(e)}`],
            { cause: e },
          );
        }
        try {
          await sleep(delayMs, undefined, { signal: this.stop.signal });
        } catch {
          throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'write interrupted by abort'], { cause: e });
        }
        delayMs = Math.min(delayMs * 2, this.retry.maxDelayMs);
      }
    }
  }

  /** Nothing is pending: each `write` commits before it resolves. */
  async flush(): Promise<void> {
    this.requireOpen('flush');
  }

  async close(): Promise<SinkResult> {
    this.requireOpen('close');
    this.state = 'closed';
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
    return { sink: this.name, rows: this.accepted, outputs: [`${this.shownUrl}#${this.checkpointTable}`] };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state = 'closed';
    this.stop.abort();
    const client = this.client;
    this.client = null;
    // An uncommitted batch is rolled back by the server when the session ends; committed ones stay, with their
    // checkpoint, for a resumed job.
    if (client) await client.end().catch(() => undefined);
  }

  /**
   * The last batch sequence committed for a job into this sink's table, or null when none was: a resumed job
   * continues after it. A sharded job's checkpoint is keyed `<job>.shard-i-of-N`. Valid after `open`.
   */
  async checkpoint(jobId: string): Promise<number | null> {
    return this.committedSequence(jobId);
  }

  async committedSequence(jobId: string): Promise<number | null> {
    this.requireOpen('committedSequence');
    const client = await this.connection();
    const result = await client.query<{ sequence: string }>(
      `SELECT sequence FROM ${this.checkpoints} WHERE job_id = $1 AND table_name = $2`,
      [shardedJobKey(jobId, this.shard), this.checkpointTable],
    );
    const row = result.rows[0];
    return row ? Number(row.sequence) : null;
  }

  /**
   * One transaction: the rows (directly, or through staging and ON CONFLICT DO NOTHING), then the checkpoint, then
   * COMMIT; returns the rows added. The checkpoint's rows grow only when the sequence is past the one recorded, so a
   * redelivered batch is not counted twice.
   */
  private async commitBatch(client: pg.Client, batch: ReadingBatch, sequence: number, way: 'direct' | 'staged'): Promise<number> {
    const chunks = this.encoder!.chunks(batch);
    await client.query('BEGIN');
    let inserted: number;
    if (way === 'direct') {
      inserted = await copyInto(client, `COPY ${this.target} (${COLUMN_LIST}) FROM STDIN WITH (FORMAT binary)`, chunks);
    } else {
      await copyInto(client, `COPY ${STAGING} (${COLUMN_LIST}) FROM STDIN WITH (FORMAT binary)`, chunks);
      const insert = await client.query(
        `INSERT INTO ${this.target} (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM ${STAGING} ON CONFLICT (${KEY.join(', ')}) DO NOTHING`,
      );
      inserted = insert.rowCount ?? 0;
    }
    await client.query(
      `INSERT INTO ${this.checkpoints} AS c (job_id, table_name, sequence, rows, committed_at) VALUES ($1, $2, $3, $4, now()) ` +
        `ON CONFLICT (job_id, table_name) DO UPDATE SET ` +
        `rows = c.rows + CASE WHEN EXCLUDED.sequence > c.sequence THEN EXCLUDED.rows ELSE 0 END, ` +
        `sequence = GREATEST(c.sequence, EXCLUDED.sequence), committed_at = EXCLUDED.committed_at`,
      [this.jobId, this.checkpointTable, sequence, batch.length],
    );
    await client.query('COMMIT');
    return inserted;
  }

  /** The open connection, or a new one (with its staging table) after a loss. */
  private async connection(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.dropConnection();
    const client = await this.connect(true);
    try {
      await this.prepareSession(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.state !== 'open') {
      await client.end().catch(() => undefined);
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'write interrupted by abort']);
    }
    this.client = client;
    return client;
  }

  /**
   * A connected client. In `open` (retrying = false) any failure is final and reported with the URL; during a write
   * the raw error goes back to the retry loop, which decides by its kind.
   */
  private async connect(retrying: boolean): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: this.applicationName,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
    });
    // Without a listener a connection lost while idle would be an uncaught 'error' event. The sink is degraded from
    // then until a write goes through on a new connection; every write so far was acknowledged, so none is in doubt.
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.broken = true;
      this.markDegraded(error);
    });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      if (retrying) throw e;
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, errorText(e)], { cause: e });
    }
    return client;
  }

  private async prepareSession(client: pg.Client): Promise<void> {
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${STAGING.slice('pg_temp.'.length)} (${columnDefinitions(false)}) ON COMMIT DELETE ROWS`);
  }

  private dropConnection(): void {
    const client = this.client;
    this.client = null;
    this.broken = false;
    if (client) void client.end().catch(() => undefined);
  }

  private async tableExists(client: pg.Client, table: string): Promise<boolean> {
    const result = await client.query<{ oid: string | null }>(`SELECT to_regclass($1) AS oid`, [
      this.schema ? `${quotePgIdentifier(this.schema)}.${quotePgIdentifier(table)}` : quotePgIdentifier(table),
    ]);
    return result.rows[0]?.oid != null;
  }

  /** An existing table must have every flat column with its type and a unique key on (meter_id, reading_ts_utc). */
  private async checkSchema(client: pg.Client): Promise<void> {
    const columns = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute ` +
        `WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [this.target],
    );
    const have = new Map(columns.rows.map((r) => [r.name, r.type]));
    const problems: string[] = [];
    for (const c of FLAT_COLUMNS) {
      const type = have.get(c);
      if (type === undefined) problems.push(`no column ${c}`);
      else if (type !== COLUMN_TYPES[c]) problems.push(`${c} is ${type}, expected ${COLUMN_TYPES[c]}`);
    }
    const key = await client.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 2 ` +
        `AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) ` +
        `= ARRAY['meter_id', 'reading_ts_utc']) AS ok`,
      [this.target],
    );
    if (key.rows[0]?.ok !== true) problems.push('no primary key or unique index on (meter_id, reading_ts_utc)');
    if (problems.length > 0) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `table ${this.target} in ${this.shownUrl} does not have the reading schema: ${problems.join('; ')}`]);
    }
  }

  private markDegraded(error: unknown): void {
    this.attempts++;
    if (this.degradedSince !== null) return;
    this.degradedSince = performance.now();
    this.onStatus?.({ state: 'degraded', error: errorText(error) });
  }

  private recovered(): void {
    if (this.degradedSince === null) return;
    const status: PostgresSinkStatus = { state: 'recovered', attempts: this.attempts, downMs: Math.round(performance.now() - this.degradedSince) };
    this.degradedSince = null;
    this.attempts = 0;
    this.onStatus?.(status);
  }

  private writeError(e: unknown): ForgeError {
    return new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `${this.target} in ${this.shownUrl}: ${errorText(e)}`], { cause: e });
  }

  private requireOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${this.state === 'new' ? 'before open' : 'after close'}`]);
    }
  }
}

/**
 * Streams the chunks through COPY FROM STDIN, encoding the next chunk while the server stores the last; resolves
 * with the rows copied once the server has acknowledged the COPY. Stops sending at the first error (the server
 * ignores what follows an error anyway).
 */
async function copyInto(client: pg.Client, sql: string, chunks: Iterable<Buffer>): Promise<number> {
  const stream = client.query(copyFrom(sql));
  let failure: unknown = null;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('error', (e) => {
      failure = e;
      reject(e);
    });
    stream.once('finish', () => resolve());
  });
  done.catch(() => undefined);
  for (const chunk of chunks) {
    if (failure !== null) break;
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]).catch(() => undefined);
  }
  if (failure === null) stream.end();
  await done;
  return stream.rowCount;
}

const UNIQUE_VIOLATION = '23505';

const errorCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** SQLSTATEs after which the same batch can go through on a new connection. */
const RETRY_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, server stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: server starting up or in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const RETRY_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

/** A lost or refused connection (retry on a new one), as opposed to an error in what was sent (fail fast). */
export function isConnectionError(e: unknown): boolean {
  if (isForgeError(e) || !(e instanceof Error)) return false;
  const code = errorCode(e);
  if (code !== undefined && (code.startsWith('08') || RETRY_SQLSTATES.has(code) || RETRY_ERRNOS.has(code))) return true;
  return /Connection terminated|not queryable|timeout expired|Connection ended/i.test(e.message);
}
