import type * as SnowflakeSdk from 'snowflake-sdk';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardedJobKey, type Shard } from '../../scenario/shard.js';
import { ForgeError } from '../../util/forge-error.js';
import type { BatchInfo, JobOutcome, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { parsePrivateKey } from './snowflake-auth.js';

type Sdk = Pick<typeof SnowflakeSdk, 'createConnection' | 'configure'>;
export type Bind = SnowflakeSdk.Bind;

export type SnowflakeInsertAuth =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'keypair'; readonly privateKeyPem: string; readonly passphrase?: string }
  | { readonly kind: 'oauth'; readonly token: string };

export const SNOWFLAKE_INSERT_AUTH_KINDS = ['password', 'keypair', 'oauth'] as const;
export const DEFAULT_TABLE = 'AMI_READINGS';
export const CHECKPOINT_TABLE = 'FORGE_CHECKPOINTS';

/** The session settings both driver sinks take. */
export interface SnowflakeDriverOptions {
  /** Account identifier, e.g. `myorg-myaccount` or an account locator `xy12345.us-east-1` (the driver's `account`). */
  readonly account: string;
  /** Login name of the Snowflake user. */
  readonly user: string;
  readonly database: string;
  readonly schema: string;
  /** Warehouse the session uses; default the user's default warehouse. */
  readonly warehouse?: string;
  /** Target table in database.schema; default AMI_READINGS (`forge ddl --target snowflake` creates it). */
  readonly table?: string;
  readonly auth: SnowflakeInsertAuth;
  /** Endpoint instead of https://<account>.snowflakecomputing.com: a private-link URL, or a local server in tests. */
  readonly accessUrl?: string;
}

/** What every driver sink reports besides its rows. */
export interface SnowflakeDriverResult extends SinkResult {
  /** Batches not sent again because the job's checkpoint already held them (a resumed job). */
  readonly skippedBatches: number;
  readonly checkpoint: number | null;
}

/**
 * The part the two Snowflake sinks of the official driver (`snowflake-sdk`) share: the session (login with a password,
 * a key pair or an OAuth token), the target table's check, the job's checkpoint in FORGE_CHECKPOINTS(JOB_ID,
 * TABLE_NAME, SEQUENCE, ROWS, COMMITTED_AT), and a transaction per batch. A subclass says how a batch gets in:
 * `prepare` (outside the transaction, e.g. a PUT, which is not transactional) and `load` (inside it).
 *
 * Delivery: BEGIN; `load`; MERGE of the job's checkpoint row to the batch's sequence; COMMIT. Data and checkpoint
 * commit together, so after a crash the checkpoint names exactly the batches the table holds; `open` reads it and
 * `write` skips batches at or below it, so a resumed job loads nothing twice.
 *
 * The driver is loaded on first `open` (it is large and probes cloud metadata endpoints when loaded), and its own
 * log is silenced: by default it writes to stdout and `snowflake.log` in the working directory, whereas failures
 * reach the job here as ForgeErrors. No message built here quotes the password, token, key or passphrase.
 */
export abstract class SnowflakeDriverSink<P, R extends SnowflakeDriverResult> implements Sink {
  protected readonly o: SnowflakeDriverOptions & { readonly table: string };
  readonly target: string;
  /** `"DATABASE"."SCHEMA"`: where the table, the checkpoints and a stage live. */
  protected readonly schemaName: string;
  private readonly checkpoints: string;
  private readonly secrets: string[];
  private connection: SnowflakeSdk.Connection | null = null;
  protected fleet: Fleet | null = null;
  protected area: ServiceAreaName | null = null;
  /** The job's key in FORGE_CHECKPOINTS (and the stage sink's folder): the job id, with the shard when there is one. */
  protected jobId = '';
  private shard: Shard | null = null;
  /** A write that failed mid-transaction leaves the sink failed: the job aborts it and a resume takes over. */
  private readonly state = new SinkState(this);
  private resumedFrom: number | null = null;
  private committed: number | null = null;
  private inTransaction = false;
  private rows = 0;
  private skipped = 0;

  protected constructor(
    readonly name: string,
    options: SnowflakeDriverOptions,
  ) {
    const o = options;
    if (!o || typeof o !== 'object') throw this.invalid('options are required');
    // The driver's own rule for an account (word characters, single '.' or '-' between them), checked here first.
    if (typeof o.account !== 'string' || o.account.length > 255 || !/^\w+([.-]\w+)*$/.test(o.account)) {
      throw this.invalid('account must be an account identifier such as myorg-myaccount or xy12345.us-east-1');
    }
    if (typeof o.user !== 'string' || !/^[^\s"'\\]{1,255}$/.test(o.user)) throw this.invalid('user must be a Snowflake login name (no spaces or quotes)');
    this.checkIdentifier(o.database, 'database');
    this.checkIdentifier(o.schema, 'schema');
    if (o.warehouse !== undefined) this.checkIdentifier(o.warehouse, 'warehouse');
    const table = this.checkIdentifier(o.table ?? DEFAULT_TABLE, 'table');
    if (o.accessUrl !== undefined) this.checkUrl(o.accessUrl);
    this.secrets = this.checkAuth(o.auth);
    this.o = { ...o, table };
    this.schemaName = `${quote(o.database)}.${quote(o.schema)}`;
    this.target = `${this.schemaName}.${quote(table)}`;
    this.checkpoints = `${this.schemaName}.${quote(CHECKPOINT_TABLE)}`;
  }

  /** Outside the batch's transaction: what must exist before it (e.g. staged files). */
  protected abstract prepare(batch: ReadingBatch, info: BatchInfo): Promise<P>;
  /** Inside the batch's transaction: the statements that load it. */
  protected abstract load(batch: ReadingBatch, info: BatchInfo, prepared: P): Promise<void>;
  /** After the batch, committed or not (e.g. temporary files removed). */
  protected async cleanUp(_prepared: P | undefined): Promise<void> {}
  /** After login and the table checks, before the first batch. */
  protected async opened(): Promise<void> {}
  /** When the sink closes or aborts, before the session ends. */
  protected async closing(): Promise<void> {}
  /** Driver connection options beyond the session's (e.g. the array-binding threshold). */
  protected connectionExtras(): Record<string, unknown> {
    return {};
  }
  /** The result of `close`, from what the base class counted. */
  protected abstract result(base: SnowflakeDriverResult): R;

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    // A sharded job's checkpoint row, stage folder and file names carry its shard (shard.ts): shards never share one.
    this.shard = context.scenario.shard;
    this.jobId = shardedJobKey(context.jobId, this.shard);
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
      await this.opened();
    } catch (e) {
      await this.destroy();
      throw e;
    }
    this.state.opened();
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (this.resumedFrom !== null && info.sequence <= this.resumedFrom) {
      this.skipped++;
      return;
    }
    let prepared: P | undefined;
    try {
      prepared = await this.prepare(batch, info);
      this.inTransaction = true;
      await this.exec('BEGIN');
      await this.load(batch, info, prepared);
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
      this.state.failed();
      await this.rollback();
      throw e;
    } finally {
      await this.cleanUp(prepared);
    }
    this.committed = info.sequence;
    this.rows += batch.length;
  }

  /** Each write commits its transaction: nothing is pending. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
  }

  /** The last batch sequence committed for `jobId` into this table, or null when none. */
  async checkpoint(jobId: string): Promise<number | null> {
    this.state.assertOpen('checkpoint');
    const key = shardedJobKey(jobId, this.shard);
    return key === this.jobId ? this.committed : await this.readCheckpoint(key);
  }

  async close(_outcome?: JobOutcome): Promise<R> {
    this.state.assertOpen('close');
    this.state.closing();
    await this.closing();
    await this.destroy(true);
    return this.result({ sink: this.name, rows: this.rows, outputs: [], skippedBatches: this.skipped, checkpoint: this.committed });
  }

  async abort(_reason: unknown): Promise<void> {
    this.state.closing();
    try {
      await this.closing();
      await this.rollback();
      await this.destroy();
    } catch {
      // Best effort: the session ends with the connection (Snowflake rolls back an open transaction then).
    }
  }

  /** Runs one statement; rows as objects keyed by column name. SQL errors become FORGE_ERR_SINK_WRITE with Snowflake's code. */
  protected exec(sqlText: string, binds?: Bind[] | Bind[][]): Promise<Record<string, unknown>[]> {
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

  /** The text with every secret of the session (and anything shaped like a JWT or a PEM block) blanked. */
  protected scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '***').replace(/-----BEGIN[^]*?-----END[^-]*-----/g, '***');
  }

  protected invalid(problem: string): ForgeError {
    return new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${this.name} ${problem}`]);
  }

  /** Object names: letters, digits, '_' and '$' (Snowflake's unquoted identifiers), then quoted upper-case. */
  protected checkIdentifier(value: unknown, what: string): string {
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      throw this.invalid(`${what} must be a name of letters, digits, '_' and '$', starting with a letter or '_' (at most 255)`);
    }
    return value;
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

  private async connect(): Promise<SnowflakeSdk.Connection> {
    const sdk = await loadDriver();
    const o = this.o;
    const auth = o.auth;
    let connection: SnowflakeSdk.Connection;
    try {
      connection = sdk.createConnection({
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
        ...this.connectionExtras(),
      });
    } catch (e) {
      // Options the driver refuses although they passed the checks above (its messages name the option, not its value).
      throw this.invalid(this.scrub(`the Snowflake driver refused the connection options: ${driverError(e).message}`));
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

  /** The secrets of the auth option (to scrub from messages), after checking it. */
  private checkAuth(auth: SnowflakeInsertAuth | undefined): string[] {
    if (!auth || typeof auth !== 'object' || !SNOWFLAKE_INSERT_AUTH_KINDS.includes(auth.kind)) throw this.invalid(`auth.kind must be one of ${SNOWFLAKE_INSERT_AUTH_KINDS.join(', ')}`);
    if (auth.kind === 'password') {
      if (typeof auth.password !== 'string' || auth.password === '') throw this.invalid('auth.password is empty');
      return [auth.password];
    }
    if (auth.kind === 'oauth') {
      if (typeof auth.token !== 'string' || auth.token.trim() === '') throw this.invalid('auth.token is empty');
      return [auth.token];
    }
    if (typeof auth.privateKeyPem !== 'string') throw this.invalid('auth.privateKeyPem is required');
    // A readable RSA key (encrypted with the passphrase), its message never quoting the key.
    parsePrivateKey(auth.privateKeyPem, auth.passphrase);
    return [auth.privateKeyPem, ...(auth.passphrase ? [auth.passphrase] : [])];
  }

  private checkUrl(url: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw this.invalid('accessUrl is not a URL (expected e.g. https://myorg-myaccount.privatelink.snowflakecomputing.com)');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw this.invalid(`accessUrl must be https:// (or http:// for a local server), not ${parsed.protocol}//`);
    if (parsed.username || parsed.password || parsed.search || (parsed.pathname !== '/' && parsed.pathname !== '')) throw this.invalid('accessUrl must be a scheme, host and port only');
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

function driverError(e: unknown): { code: string; message: string; sqlState: string } {
  const err = (e ?? {}) as { code?: unknown; message?: unknown; sqlState?: unknown };
  return {
    code: err.code === undefined || err.code === null ? '' : String(err.code),
    message: typeof err.message === 'string' && err.message !== '' ? err.message.slice(0, 1000) : 'unknown error',
    sqlState: typeof err.sqlState === 'string' ? err.sqlState : '',
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

export const quote = (name: string): string => `"${name.toUpperCase()}"`;

const safeUrl = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
};
