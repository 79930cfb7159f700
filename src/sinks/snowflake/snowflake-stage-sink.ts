import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type * as SnowflakeSdk from 'snowflake-sdk';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, recordOf } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { ForgeError } from '../../util/forge-error.js';
import type { BatchInfo, JobOutcome, Sink, SinkContext, SinkResult } from '../sink.js';
import { parsePrivateKey } from './snowflake-auth.js';
import { CHECKPOINT_TABLE, DEFAULT_TABLE, SNOWFLAKE_INSERT_AUTH_KINDS, type SnowflakeInsertAuth } from './snowflake-insert-sink.js';

type Sdk = Pick<typeof SnowflakeSdk, 'createConnection' | 'configure'>;
type Bind = SnowflakeSdk.Bind;

const gzipAsync = promisify(gzip);

export interface SnowflakeStageSinkOptions {
  /** Account identifier, e.g. `myorg-myaccount` or `xy12345.us-east-1` (the driver's `account`). */
  readonly account: string;
  readonly user: string;
  readonly database: string;
  readonly schema: string;
  /** Warehouse for COPY INTO; default the user's default warehouse. */
  readonly warehouse?: string;
  /** Target table in database.schema; default AMI_READINGS (`forge ddl --target snowflake` creates it). */
  readonly table?: string;
  /** Named stage in database.schema the files are PUT to; default AMI_INTERNAL_STAGE (`forge ddl --target snowflake`). */
  readonly stage?: string;
  readonly auth: SnowflakeInsertAuth;
  /** Endpoint instead of https://<account>.snowflakecomputing.com: a private-link URL, or a local server in tests. */
  readonly accessUrl?: string;
  /** Most rows per staged file (a larger batch is split into several files, one COPY each). Default 100,000. */
  readonly fileRows?: number;
  /** Local directory for the temporary files (a fresh subdirectory is made in it); default the OS temp directory. */
  readonly tmpDir?: string;
}

export interface SnowflakeStageSinkResult extends SinkResult {
  /** Files PUT to the stage and loaded by COPY INTO. */
  readonly files: number;
  /** Batches not sent again because the job's checkpoint already held them (a resumed job). */
  readonly skippedBatches: number;
  readonly checkpoint: number | null;
}

export const DEFAULT_STAGE = 'AMI_INTERNAL_STAGE';
export const DEFAULT_FILE_ROWS = 100_000;
export const MAX_FILE_ROWS = 1_000_000;
/** The staged records' keys: the flat reading upper-cased, plus EMITTED_AT (READING_COLUMNS of the medallion model). */
export const STAGE_COLUMNS: readonly string[] = [...FLAT_COLUMNS, 'emitted_at'].map((c) => c.toUpperCase());

/**
 * Loads readings into a Snowflake table by staging files, through the official Node.js driver (`snowflake-sdk`):
 * the bulk-load path (PUT + COPY INTO) for large volumes, where the insert sink's bound INSERTs would be slow.
 *
 * Per batch (per `fileRows` rows of it): the readings as NDJSON (one flat reading a line, upper-case keys matching
 * the table's columns, EMITTED_AT from the stream emitter or null), gzipped into a local temporary file named after
 * the job and the batch sequence; `PUT file://<tmp> @<stage>/<job>/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE` (the driver
 * asks Snowflake for the stage's cloud location and short-lived credentials, then uploads the file there itself);
 * then one transaction: BEGIN; `COPY INTO <table> FROM @<stage>/<job>/<file> FILE_FORMAT = (TYPE = JSON)
 * MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE`; the MERGE of the job's checkpoint row in FORGE_CHECKPOINTS (as the insert
 * sink does); COMMIT. The temporary file is removed afterwards, whatever happened.
 *
 * Exactly once: data and checkpoint commit together, `open` reads the checkpoint and `write` skips batches at or
 * below it. Snowflake adds a second guard: COPY keeps a load history per table (64 days) and skips a file whose name
 * (and content checksum) it has already loaded, unless FORCE = TRUE. So a staged file that was loaded is never loaded
 * again, even by a job that re-runs under the same id without resume; the sink therefore checks the rows COPY
 * reports loaded and fails (FORGE_ERR_SINK_WRITE) when they are fewer than the file holds, rather than count readings
 * Snowflake skipped. A COPY rolled back with its transaction leaves no load history, so the retried batch loads.
 * Files stay on the stage after loading (PURGE is not transactional); `REMOVE @<stage>/<job>/` clears them.
 *
 * The driver is loaded on first `open` and its own log is silenced, as in the insert sink; no message built here
 * quotes the password, token, key or passphrase.
 */
export class SnowflakeStageSink implements Sink {
  readonly name = 'snowflake-stage';
  private readonly o: Required<Pick<SnowflakeStageSinkOptions, 'account' | 'user' | 'database' | 'schema' | 'table' | 'stage' | 'fileRows' | 'tmpDir'>> & SnowflakeStageSinkOptions;
  private readonly secrets: string[];
  /** Quoted, qualified names ("DB"."SCHEMA"."TABLE"). */
  readonly target: string;
  readonly stageName: string;
  private readonly checkpoints: string;
  private connection: SnowflakeSdk.Connection | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private jobId = '';
  private workDir: string | null = null;
  private state: 'new' | 'open' | 'failed' | 'closed' = 'new';
  private resumedFrom: number | null = null;
  private committed: number | null = null;
  private inTransaction = false;
  private rows = 0;
  private files = 0;
  private skipped = 0;

  constructor(options: SnowflakeStageSinkOptions) {
    const o = options;
    if (!o || typeof o !== 'object') throw invalid('options are required');
    if (typeof o.account !== 'string' || o.account.length > 255 || !/^\w+([.-]\w+)*$/.test(o.account)) {
      throw invalid('account must be an account identifier such as myorg-myaccount or xy12345.us-east-1');
    }
    if (typeof o.user !== 'string' || !/^[^\s"'\\]{1,255}$/.test(o.user)) throw invalid('user must be a Snowflake login name (no spaces or quotes)');
    checkIdentifier(o.database, 'database');
    checkIdentifier(o.schema, 'schema');
    if (o.warehouse !== undefined) checkIdentifier(o.warehouse, 'warehouse');
    const table = checkIdentifier(o.table ?? DEFAULT_TABLE, 'table');
    const stage = checkIdentifier(o.stage ?? DEFAULT_STAGE, 'stage');
    const fileRows = o.fileRows ?? DEFAULT_FILE_ROWS;
    if (!Number.isInteger(fileRows) || fileRows < 1 || fileRows > MAX_FILE_ROWS) throw invalid(`fileRows must be an integer from 1 to ${MAX_FILE_ROWS}`);
    const tmp = o.tmpDir ?? tmpdir();
    // The PUT names the file unquoted (file://<path>): a path with spaces or quotes would not parse.
    if (typeof tmp !== 'string' || tmp === '' || /[\s'"]/.test(tmp)) throw invalid('tmpDir must be a directory path without spaces or quotes');
    if (o.accessUrl !== undefined) checkUrl(o.accessUrl);
    this.secrets = checkAuth(o.auth);
    this.o = { ...o, table, stage, fileRows, tmpDir: tmp };
    const schema = `${quote(o.database)}.${quote(o.schema)}`;
    this.target = `${schema}.${quote(table)}`;
    this.stageName = `${schema}.${quote(stage)}`;
    this.checkpoints = `${schema}.${quote(CHECKPOINT_TABLE)}`;
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    // The job id becomes a stage folder and a file name: letters, digits, '_', '-' and '.' only.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(context.jobId)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${this.name} job id ${JSON.stringify(context.jobId.slice(0, 80))} cannot name a stage folder (letters, digits, '_', '-', '.')`]);
    }
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
      this.workDir = await mkdtemp(join(this.o.tmpDir, 'forge-sf-stage-'));
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
    const staged: string[] = [];
    const local: string[] = [];
    try {
      // Stage every file of the batch first (outside the transaction: a PUT is not transactional), then load them.
      for (let from = 0, part = 0; from < batch.length; from += this.o.fileRows, part++) {
        const to = Math.min(batch.length, from + this.o.fileRows);
        const fileName = `${this.jobId}-${String(info.sequence).padStart(12, '0')}${batch.length > this.o.fileRows ? `-${part}` : ''}.json.gz`;
        const path = join(this.workDir!, fileName);
        local.push(path);
        await writeFile(path, await gzipAsync(Buffer.from(this.ndjson(batch, from, to), 'utf8')));
        await this.put(path, fileName);
        staged.push(fileName);
      }
      this.inTransaction = true;
      await this.exec('BEGIN');
      for (let i = 0; i < staged.length; i++) {
        const expected = Math.min(this.o.fileRows, batch.length - i * this.o.fileRows);
        const result = await this.exec(
          `COPY INTO ${this.target} FROM @${this.stageName}/${this.jobId}/${staged[i]} FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE`,
        );
        this.files++;
        const loaded = result.reduce((n, r) => n + (Number(r.rows_loaded ?? r.ROWS_LOADED) || 0), 0);
        if (loaded !== expected) {
          const status = String(result[0]?.status ?? result[0]?.STATUS ?? 'no status');
          throw new ForgeError('FORGE_ERR_SINK_WRITE', [
            this.name,
            `COPY INTO ${this.target} loaded ${loaded} rows of ${expected} from ${staged[i]} (${status.slice(0, 200)}); a file already in the table's load history is skipped`,
          ]);
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
    } finally {
      await Promise.all(local.map((p) => rm(p, { force: true })));
    }
    this.committed = info.sequence;
    this.rows += batch.length;
  }

  /** Each write commits its transaction: nothing is pending. */
  async flush(): Promise<void> {
    this.checkOpen('flush');
  }

  async checkpoint(jobId: string): Promise<number | null> {
    this.checkOpen('checkpoint');
    return jobId === this.jobId ? this.committed : await this.readCheckpoint(jobId);
  }

  async close(_outcome?: JobOutcome): Promise<SnowflakeStageSinkResult> {
    this.checkOpen('close');
    this.state = 'closed';
    await this.removeWorkDir();
    await this.destroy(true);
    return {
      sink: this.name,
      rows: this.rows,
      outputs: [`snowflake account ${this.o.account} table ${this.target} via stage @${this.stageName}/${this.jobId}/`],
      files: this.files,
      skippedBatches: this.skipped,
      checkpoint: this.committed,
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state = 'closed';
    try {
      await this.removeWorkDir();
      await this.rollback();
      await this.destroy();
    } catch {
      // Best effort: the session ends with the connection (Snowflake rolls back an open transaction then).
    }
  }

  private tableKey(): string {
    return `${this.o.database}.${this.o.schema}.${this.o.table}`.toUpperCase();
  }

  private async removeWorkDir(): Promise<void> {
    const dir = this.workDir;
    this.workDir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  /** Rows [from, to) as NDJSON: one flat reading a line, keys upper-cased, EMITTED_AT last. */
  private ndjson(batch: ReadingBatch, from: number, to: number): string {
    const lines: string[] = [];
    for (let row = from; row < to; row++) {
      const flat = recordOf(batch, row, this.fleet!, this.area!, 'flat') as unknown as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const c of FLAT_COLUMNS) {
        const v = flat[c];
        // JSON has no NaN or Infinity; JSON.stringify would write null anyway, said here explicitly.
        out[c.toUpperCase()] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
      }
      const emitted = batch.emittedUtcMs?.[row];
      out.EMITTED_AT = emitted !== undefined && Number.isFinite(emitted) ? new Date(emitted).toISOString() : null;
      lines.push(JSON.stringify(out));
    }
    return `${lines.join('\n')}\n`;
  }

  /** PUTs one local file to @stage/<job>/ through the driver and checks the driver reports it uploaded. */
  private async put(path: string, fileName: string): Promise<void> {
    const rows = await this.exec(`PUT file://${path} @${this.stageName}/${this.jobId}/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE`);
    const row = rows.find((r) => r.target === fileName || r.source === fileName);
    const status = String(row?.status ?? 'no result');
    if (status !== 'UPLOADED') {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, this.scrub(`PUT of ${fileName} to @${this.stageName}/${this.jobId}/ ended ${status}${row?.message ? `: ${String(row.message).slice(0, 500)}` : ''}`)]);
    }
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
      });
    } catch (e) {
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

  /** Runs one statement; rows as objects keyed by column name. Errors become FORGE_ERR_SINK_WRITE, scrubbed. */
  private exec(sqlText: string, binds?: Bind[]): Promise<Record<string, unknown>[]> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'no connection']));
    const what = sqlText.split(' ', 1)[0]!;
    const on = what === 'PUT' ? `@${this.stageName}` : this.target;
    return new Promise((resolve, reject) => {
      connection.execute({
        sqlText,
        ...(binds !== undefined ? { binds } : {}),
        complete: (err, _stmt, rows) => {
          if (!err) return resolve((rows ?? []) as Record<string, unknown>[]);
          const { code, message, sqlState } = driverError(err);
          const label = `${code ? `Snowflake error ${code}` : 'Snowflake error'}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`;
          reject(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, this.scrub(`${what} on ${on}: ${label}: ${message}`)]));
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
    // A JWT, a PEM block, or the stage's temporary cloud credentials should a driver message quote them.
    return out
      .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '***')
      .replace(/-----BEGIN[^]*?-----END[^-]*-----/g, '***')
      .replace(/(AWS_(?:KEY_ID|SECRET_KEY|TOKEN)|X-Amz-Credential|X-Amz-Security-Token|X-Amz-Signature)([=:"\s]+)[^\s&"',}]+/gi, '$1$2***');
  }

  private checkOpen(operation: string): void {
    if (this.state !== 'open') {
      const why = this.state === 'new' ? 'before open' : this.state === 'failed' ? 'after a failed write' : 'after close';
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${why}`]);
    }
  }
}

let driver: Promise<Sdk> | null = null;

function loadDriver(): Promise<Sdk> {
  driver ??= import('snowflake-sdk').then((mod) => {
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

const invalid = (problem: string): ForgeError => new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflake-stage ${problem}`]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

function checkIdentifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw invalid(`${what} must be a name of letters, digits, '_' and '$', starting with a letter or '_' (at most 255)`);
  }
  return value;
}

const quote = (name: string): string => `"${name.toUpperCase()}"`;

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
