import type * as SnowflakeSdk from 'snowflake-sdk';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, flatReading } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { ForgeError } from '../../util/forge-error.js';
import type { BatchInfo, JobOutcome, Sink, SinkContext, SinkResult } from '../sink.js';
import { parsePrivateKey } from './snowflake-auth.js';

type Sdk = Pick<typeof SnowflakeSdk, 'createConnection' | 'configure'>;
type Bind = SnowflakeSdk.Bind;

export type SnowflakeInsertAuth =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'keypair'; readonly privateKeyPem: string; readonly passphrase?: string }
  | { readonly kind: 'oauth'; readonly token: string };

export const SNOWFLAKE_INSERT_AUTH_KINDS = ['password', 'keypair', 'oauth'] as const;

export interface SnowflakeInsertSinkOptions {
  /** Account identifier, e.g. `myorg-myaccount` or an account locator `xy12345.us-east-1` (the driver's `account`). */
  readonly account: string;
  /** Login name of the Snowflake user. */
  readonly user: string;
  readonly database: string;
  readonly schema: string;
  /** Warehouse the session uses (the INSERTs need one); default the user's default warehouse. */
  readonly warehouse?: string;
  /** Target table in database.schema; default AMI_READINGS (`forge ddl --target snowflake` creates it). */
  readonly table?: string;
  readonly auth: SnowflakeInsertAuth;
  /** Endpoint instead of https://<account>.snowflakecomputing.com: a private-link URL, or a local server in tests. */
  readonly accessUrl?: string;
  /** Rows per INSERT (one array bind per column holds at most this many values). Default 10,000; at most 100,000. */
  readonly batchRows?: number;
}

export interface SnowflakeInsertSinkResult extends SinkResult {
  /** INSERT statements sent (a batch over batchRows takes several, in one transaction). */
  readonly inserts: number;
  /** Batches not sent again because the job's checkpoint already held them (a resumed job). */
  readonly skippedBatches: number;
  readonly checkpoint: number | null;
}

export const DEFAULT_TABLE = 'AMI_READINGS';
export const CHECKPOINT_TABLE = 'FORGE_CHECKPOINTS';
export const DEFAULT_BATCH_ROWS = 10_000;
export const MAX_BATCH_ROWS = 100_000;
/** The target table's columns in order: the flat reading upper-cased, plus EMITTED_AT (DESIGN.md; READING_COLUMNS). */
export const INSERT_COLUMNS: readonly string[] = [...FLAT_COLUMNS, 'emitted_at'].map((c) => c.toUpperCase());

/**
 * Writes readings into a Snowflake table through the official Node.js driver (`snowflake-sdk`): plain SQL over a
 * session, for accounts where Snowpipe Streaming is not available or a direct, transactional load is wanted.
 *
 * Delivery: each batch is one transaction: BEGIN; INSERT INTO <table> (<columns>) VALUES (?, ...) with array binds
 * (the driver sends one value array per column, `batchRows` rows per INSERT); a MERGE of the job's row in
 * FORGE_CHECKPOINTS(JOB_ID, TABLE_NAME, SEQUENCE, ROWS, COMMITTED_AT) to the batch's sequence; COMMIT. Data and
 * checkpoint commit together, so after a crash the checkpoint names exactly the batches the table holds; `open` reads
 * it and `write` skips batches at or below it, so a resumed job inserts nothing twice. Second copies the emitter
 * marks in `batch.redelivery` are inserted like any reading (the table has no enforced key; silver de-duplicates),
 * as the Snowpipe Streaming sink does.
 *
 * Values: text as is; READING_TS as `YYYY-MM-DD HH:MM:SS` (TIMESTAMP_NTZ, local wall clock); READING_TS_UTC and
 * EMITTED_AT as ISO 8601 with Z (TIMESTAMP_TZ); doubles as numbers (the driver sends their shortest round-trip text,
 * so no digits are lost; a non-finite number is sent as NULL, never as the text "null"); booleans; NULL event types;
 * EMITTED_AT NULL outside stream jobs.
 *
 * The driver is loaded on first `open` (it is large and probes cloud metadata endpoints when loaded), and its own
 * log is silenced: by default it writes to stdout and `snowflake.log` in the working directory, whereas failures
 * reach the job here as ForgeErrors. No message built here quotes the password, token, key or passphrase.
 */
export class SnowflakeInsertSink implements Sink {
  readonly name = 'snowflake-insert';
  private readonly o: Required<Pick<SnowflakeInsertSinkOptions, 'account' | 'user' | 'database' | 'schema' | 'table' | 'batchRows'>> & SnowflakeInsertSinkOptions;
  private readonly secrets: string[];
  /** Quoted, qualified names ("DB"."SCHEMA"."TABLE"). */
  readonly target: string;
  private readonly checkpoints: string;
  private readonly insertSql: string;
  private connection: SnowflakeSdk.Connection | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private jobId = '';
  private state: 'new' | 'open' | 'failed' | 'closed' = 'new';
  /** The sequence the job's checkpoint held at open (batches at or below it are skipped), and the latest committed. */
  private resumedFrom: number | null = null;
  private committed: number | null = null;
  private inTransaction = false;
  private rows = 0;
  private inserts = 0;
  private skipped = 0;

  constructor(options: SnowflakeInsertSinkOptions) {
    const o = options;
    if (!o || typeof o !== 'object') throw invalid('options are required');
    // The driver's own rule for an account (word characters, single '.' or '-' between them), checked here first.
    if (typeof o.account !== 'string' || o.account.length > 255 || !/^\w+([.-]\w+)*$/.test(o.account)) {
      throw invalid('account must be an account identifier such as myorg-myaccount or xy12345.us-east-1');
    }
    if (typeof o.user !== 'string' || !/^[^\s"'\\]{1,255}$/.test(o.user)) throw invalid('user must be a Snowflake login name (no spaces or quotes)');
    checkIdentifier(o.database, 'database');
    checkIdentifier(o.schema, 'schema');
    if (o.warehouse !== undefined) checkIdentifier(o.warehouse, 'warehouse');
    const table = checkIdentifier(o.table ?? DEFAULT_TABLE, 'table');
    const batchRows = o.batchRows ?? DEFAULT_BATCH_ROWS;
    if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > MAX_BATCH_ROWS) throw invalid(`batchRows must be an integer from 1 to ${MAX_BATCH_ROWS}`);
    if (o.accessUrl !== undefined) checkUrl(o.accessUrl);
    this.secrets = checkAuth(o.auth);
    this.o = { ...o, table, batchRows };
    const schema = `${quote(o.database)}.${quote(o.schema)}`;
    this.target = `${schema}.${quote(table)}`;
    this.checkpoints = `${schema}.${quote(CHECKPOINT_TABLE)}`;
    this.insertSql = `INSERT INTO ${this.target} (${INSERT_COLUMNS.map(quote).join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.jobId = context.jobId;
    this.connection = await this.connect();
    try {
      const found = await this.exec(
        `SELECT COUNT(*) AS "N" FROM ${quote(this.o.database)}."INFORMATION_SCHEMA"."TABLES" WHERE "TABLE_SCHEMA" = ? AND "TABLE_NAME" = ?`,
        [this.o.schema.toUpperCase(), this.o.table.toUpperCase()],
      );
      if (Number(found[0]?.N ?? 0) === 0) {
        throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `table ${this.target} does not exist (or this role cannot see it); create it with \`forge ddl --target snowflake\``]);
      }
      await this.exec(
        `CREATE TABLE IF NOT EXISTS ${this.checkpoints} ("JOB_ID" VARCHAR NOT NULL, "TABLE_NAME" VARCHAR NOT NULL, "SEQUENCE" NUMBER(38, 0) NOT NULL, "ROWS" NUMBER(38, 0) NOT NULL, "COMMITTED_AT" TIMESTAMP_TZ NOT NULL)`,
      );
      this.resumedFrom = await this.readCheckpoint(this.jobId);
      this.committed = this.resumedFrom;
    } catch (e) {
      await this.destroy();
      throw e;
    }
    this.state = 'open';
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.checkOpen('write');
    if (this.resumedFrom !== null && info.sequence <= this.resumedFrom) {
      this.skipped++;
      return;
    }
    try {
      this.inTransaction = true;
      await this.exec('BEGIN');
      for (let from = 0; from < batch.length; from += this.o.batchRows) {
        const to = Math.min(batch.length, from + this.o.batchRows);
        const result = await this.exec(this.insertSql, this.rowsOf(batch, from, to));
        this.inserts++;
        // Snowflake answers an INSERT with the rows it inserted; fewer than sent would be readings lost.
        const inserted = Number(result[0]?.['number of rows inserted']);
        if (inserted !== to - from) {
          throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `INSERT into ${this.target} reported ${Number.isNaN(inserted) ? 'no row count' : inserted} rows inserted for ${to - from} sent`]);
        }
      }
      await this.exec(
        `MERGE INTO ${this.checkpoints} AS "T" USING (SELECT ? AS "JOB_ID", ? AS "TABLE_NAME", ? AS "SEQUENCE", ? AS "ROWS") AS "S" ` +
          `ON "T"."JOB_ID" = "S"."JOB_ID" AND "T"."TABLE_NAME" = "S"."TABLE_NAME" ` +
          `WHEN MATCHED THEN UPDATE SET "SEQUENCE" = "S"."SEQUENCE", "ROWS" = "T"."ROWS" + "S"."ROWS", "COMMITTED_AT" = CURRENT_TIMESTAMP() ` +
          `WHEN NOT MATCHED THEN INSERT ("JOB_ID", "TABLE_NAME", "SEQUENCE", "ROWS", "COMMITTED_AT") VALUES ("S"."JOB_ID", "S"."TABLE_NAME", "S"."SEQUENCE", "S"."ROWS", CURRENT_TIMESTAMP())`,
        [this.jobId, this.tableKey(), info.sequence, batch.length],
      );
      await this.exec('COMMIT');
      this.inTransaction = false;
    } catch (e) {
      this.state = 'failed';
      await this.rollback();
      throw e;
    }
    this.committed = info.sequence;
    this.rows += batch.length;
  }

  /** Each write commits its transaction: nothing is pending. */
  async flush(): Promise<void> {
    this.checkOpen('flush');
  }

  /** The last batch sequence committed for `jobId` into this table, or null when none. */
  async checkpoint(jobId: string): Promise<number | null> {
    this.checkOpen('checkpoint');
    return jobId === this.jobId ? this.committed : await this.readCheckpoint(jobId);
  }

  async close(_outcome?: JobOutcome): Promise<SnowflakeInsertSinkResult> {
    this.checkOpen('close');
    this.state = 'closed';
    await this.destroy(true);
    return {
      sink: this.name,
      rows: this.rows,
      outputs: [`snowflake account ${this.o.account} table ${this.target}`],
      inserts: this.inserts,
      skippedBatches: this.skipped,
      checkpoint: this.committed,
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state = 'closed';
    try {
      await this.rollback();
      await this.destroy();
    } catch {
      // Best effort: the session ends with the connection (Snowflake rolls back an open transaction then).
    }
  }

  /** The job's checkpoint row is keyed by job and table, so one checkpoint table serves every target table. */
  private tableKey(): string {
    return `${this.o.database}.${this.o.schema}.${this.o.table}`.toUpperCase();
  }

  private async readCheckpoint(jobId: string): Promise<number | null> {
    const rows = await this.exec(`SELECT "SEQUENCE" FROM ${this.checkpoints} WHERE "JOB_ID" = ? AND "TABLE_NAME" = ?`, [jobId, this.tableKey()]);
    const value = rows[0]?.SEQUENCE;
    if (value === undefined || value === null) return null;
    const sequence = Number(value);
    if (!Number.isSafeInteger(sequence)) throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, this.checkpoints, `the checkpoint of job ${jobId} is not a batch sequence (${String(value)})`]);
    return sequence;
  }

  /** Rows [from, to) of the batch as bind rows in INSERT_COLUMNS order (the driver turns them into per-column arrays). */
  private rowsOf(batch: ReadingBatch, from: number, to: number): Bind[][] {
    const out: Bind[][] = new Array<Bind[]>(to - from);
    for (let row = from; row < to; row++) {
      const flat = flatReading(batch, row, this.fleet!, this.area!) as unknown as Record<string, string | number | boolean | null>;
      const values: Bind[] = FLAT_COLUMNS.map((c) => bindValue(flat[c]!));
      const emitted = batch.emittedUtcMs?.[row];
      values.push(emitted !== undefined && Number.isFinite(emitted) ? new Date(emitted).toISOString() : null);
      out[row - from] = values;
    }
    return out;
  }

  private async connect(): Promise<SnowflakeSdk.Connection> {
    const sdk = await loadDriver();
    const o = this.o;
    const auth = o.auth;
    let connection: SnowflakeSdk.Connection;
    try {
      connection = this.createConnection(sdk);
    } catch (e) {
      // Options the driver refuses although they passed the checks above (its messages name the option, not its value).
      throw invalid(this.scrub(`the Snowflake driver refused the connection options: ${driverError(e).message}`));
    }
    try {
      await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
    } catch (e) {
      const { code, message } = driverError(e);
      const where = o.accessUrl ? `account ${o.account} (${safeUrl(o.accessUrl)})` : `account ${o.account}`;
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, where, this.scrub(`login as ${o.user} (${auth.kind} auth) failed: ${code ? `${code}: ` : ''}${message}`)]);
    }
    return connection;
  }

  private createConnection(sdk: Sdk): SnowflakeSdk.Connection {
    const o = this.o;
    const auth = o.auth;
    return sdk.createConnection({
      account: o.account,
      username: o.user,
      database: o.database,
      schema: o.schema,
      ...(o.warehouse !== undefined ? { warehouse: o.warehouse } : {}),
      ...(o.accessUrl !== undefined ? { accessUrl: o.accessUrl.replace(/\/+$/, '') } : {}),
      ...(auth.kind === 'password'
        ? { authenticator: 'SNOWFLAKE', password: auth.password }
        : auth.kind === 'keypair'
          ? { authenticator: 'SNOWFLAKE_JWT', privateKey: auth.privateKeyPem, ...(auth.passphrase !== undefined ? { privateKeyPass: auth.passphrase } : {}) }
          : { authenticator: 'OAUTH', token: auth.token }),
      // Every INSERT sends its binds inline: above this count the driver would instead upload them to a temporary
      // stage (CREATE STAGE privileges, a PUT through cloud storage) and fall back to inline binds when that fails.
      arrayBindingThreshold: o.batchRows * INSERT_COLUMNS.length,
    });
  }

  /** Runs one statement; rows as objects keyed by column name. SQL errors become FORGE_ERR_SINK_WRITE with Snowflake's code. */
  private exec(sqlText: string, binds?: Bind[] | Bind[][]): Promise<Record<string, unknown>[]> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'no connection']));
    const what = sqlText.split(' ', 1)[0]!;
    return new Promise((resolve, reject) => {
      connection.execute({
        sqlText,
        ...(binds !== undefined ? { binds } : {}),
        complete: (err, _stmt, rows) => {
          if (!err) return resolve((rows ?? []) as Record<string, unknown>[]);
          const { code, message, sqlState } = driverError(err);
          const label = `${code ? `Snowflake error ${code}` : 'Snowflake error'}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`;
          reject(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, this.scrub(`${what} on ${this.target}: ${label}: ${message}`)]));
        },
      });
    });
  }

  private async rollback(): Promise<void> {
    if (!this.inTransaction || !this.connection) return;
    this.inTransaction = false;
    await this.exec('ROLLBACK').catch(() => undefined);
  }

  private async destroy(strict = false): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    await new Promise<void>((resolve, reject) =>
      connection.destroy((err) => {
        if (err && strict) reject(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, this.scrub(`closing the session failed: ${driverError(err).message}`)]));
        else resolve();
      }),
    );
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // A JWT (the driver's key-pair token) or a PEM block, should a driver message ever quote one.
    return out.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '***').replace(/-----BEGIN[^]*?-----END[^-]*-----/g, '***');
  }

  private checkOpen(operation: string): void {
    if (this.state !== 'open') {
      const why = this.state === 'new' ? 'before open' : this.state === 'failed' ? 'after a failed write' : 'after close';
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${why}`]);
    }
  }
}

let driver: Promise<Sdk> | null = null;

/** Loads snowflake-sdk once and silences its own logger (see the class comment). */
function loadDriver(): Promise<Sdk> {
  driver ??= import('snowflake-sdk').then((mod) => {
    // A CommonJS package: its module.exports is the default export under Node's ESM loader.
    const sdk: Sdk = mod.default;
    const quiet = (): void => undefined;
    sdk.configure({ customLogger: { error: quiet, warn: quiet, info: quiet, debug: quiet, trace: quiet } });
    return sdk;
  });
  return driver;
}

function bindValue(value: string | number | boolean | null): Bind {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

function driverError(e: unknown): { code: string; message: string; sqlState: string } {
  const err = (e ?? {}) as { code?: unknown; message?: unknown; sqlState?: unknown };
  return {
    code: err.code === undefined || err.code === null ? '' : String(err.code),
    message: typeof err.message === 'string' && err.message !== '' ? err.message.slice(0, 1000) : 'unknown error',
    sqlState: typeof err.sqlState === 'string' ? err.sqlState : '',
  };
}

const invalid = (problem: string): ForgeError => new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflake-insert ${problem}`]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

/** Object names: letters, digits, '_' and '$' (Snowflake's unquoted identifiers), then quoted upper-case. */
function checkIdentifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw invalid(`${what} must be a name of letters, digits, '_' and '$', starting with a letter or '_' (at most 255)`);
  }
  return value;
}

const quote = (name: string): string => `"${name.toUpperCase()}"`;

/** The secrets of the auth option (to scrub from messages), after checking it. */
function checkAuth(auth: SnowflakeInsertAuth | undefined): string[] {
  if (!auth || typeof auth !== 'object' || !SNOWFLAKE_INSERT_AUTH_KINDS.includes(auth.kind)) throw invalid(`auth.kind must be one of ${SNOWFLAKE_INSERT_AUTH_KINDS.join(', ')}`);
  if (auth.kind === 'password') {
    if (typeof auth.password !== 'string' || auth.password === '') throw invalid('auth.password is empty');
    return [auth.password];
  }
  if (auth.kind === 'oauth') {
    if (typeof auth.token !== 'string' || auth.token.trim() === '') throw invalid('auth.token is empty');
    return [auth.token];
  }
  if (typeof auth.privateKeyPem !== 'string') throw invalid('auth.privateKeyPem is required');
  // The colleague's check: a readable RSA key (encrypted with the passphrase), its message never quoting the key.
  parsePrivateKey(auth.privateKeyPem, auth.passphrase);
  return [auth.privateKeyPem, ...(auth.passphrase ? [auth.passphrase] : [])];
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('accessUrl is not a URL (expected e.g. https://myorg-myaccount.privatelink.snowflakecomputing.com)');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid(`accessUrl must be https:// (or http:// for a local server), not ${parsed.protocol}//`);
  if (parsed.username || parsed.password || parsed.search || (parsed.pathname !== '/' && parsed.pathname !== '')) throw invalid('accessUrl must be a scheme, host and port only');
}

const safeUrl = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
};
