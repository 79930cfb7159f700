import pg from 'pg';
import type { AnomalyLabel } from '../../generator/anomaly-labels.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { shardedJobKey, type Shard } from '../../scenario/shard.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';
import type { BatchInfo, LabelInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { CopyBinaryEncoder } from './copy-binary-encoder.js';
import { awaitingAnswer, destroyConnection, endConnection, watchAnswers } from './pg-answer-watch.js';
import { readCheckpoint } from './postgres-checkpoints.js';
import { commitBatch, prepareStaging } from './postgres-copy.js';
import { connectFailed, connectionLost, isConnectionError, isUniqueViolation, POSTGRES_SINK, writeFailed, writeInterrupted } from './postgres-errors.js';
import { DEFAULT_PG_TABLE, DEFAULT_PG_URL, ON_CONFLICT_MODES, type OnConflict, parsePgTableName, pgConnectionSettings, type PgConnectionSettings, pgUrlProblem, redactPgUrl } from './postgres-options.js';
import { retryLostConnections, retryPolicy, type PostgresRetryOptions, type RetryPolicy } from './postgres-retry.js';
import { createLabelTable, insertLabels, pgLabelTable } from './postgres-labels.js';
import { pgTable, prepareTable, type PgTable } from './postgres-table.js';

// What other modules import from here: the sink, its options, and the names it is configured with.
export { isConnectionError, ON_CONFLICT_MODES, type OnConflict, type PostgresRetryOptions };

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
  /**
   * application_name of the sink's connections (pg_stat_activity). Default `flux-data-forge:<job id>` once opened
   * for a job, so an operator can find (or cancel) the job's sessions.
   */
  readonly applicationName?: string;
  /** Time allowed to establish one connection. Default 10 s (or FORGE_PG_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
  /** Timeouts and keepalive of the connections; defaults and FORGE_PG_*_MS variables in postgres-options.ts. */
  readonly connection?: Partial<PgConnectionSettings>;
  /**
   * What a batch does with readings whose key (meter_id, reading_ts_utc) the table already holds. Default 'error':
   * the same values are skipped (a redelivered batch, a resumed job, an append of the same scenario) and different
   * values refuse the batch (FORGE_ERR_CONFLICTING_ROWS, nothing of it committed); 'skip' keeps what the table holds;
   * 'replace' overwrites it with the new values.
   */
  readonly onConflict?: OnConflict;
}

export type PostgresSinkStatus =
  | { readonly state: 'degraded'; readonly error: string }
  | { readonly state: 'recovered'; readonly attempts: number; readonly downMs: number };

/**
 * Writes readings into one Postgres table with the flat reading schema, keyed by (meter_id, reading_ts_utc).
 *
 * Each `write` is one transaction that holds the batch's rows and the job's checkpoint in forge_checkpoints (the last
 * batch sequence committed and the job's rows); `write` resolves after the COMMIT, so the caller's await is the
 * backpressure and everything accepted is durable. Invariant 2 follows: the checkpoint commits with the data, and a
 * batch delivered again (a retry after a lost connection whose COMMIT may or may not have landed, a resumed job)
 * adds no row and does not count its rows twice.
 *
 * Two ways in, both binary COPY (postgres-copy.ts):
 * - direct: COPY into the table itself, as fast as a plain COPY. Used for new data. If a row is already there
 *   (unique violation) the transaction is rolled back and the batch goes the staged way.
 * - staged: COPY into a session-private temporary table, then INSERT ... ON CONFLICT into the table: idempotent, but
 *   the conflict check costs about as much again as the COPY. Used for a batch retried after a lost connection and
 *   after a conflict (until a batch goes in whole again).
 *
 * A lost connection during `write` (server restart, pg_terminate_backend, network; postgres-errors.ts tells) is
 * retried on a new connection with exponential backoff (postgres-retry.ts); `degraded` is true meanwhile and
 * `onStatus` is told. Any other error (a table whose schema changed, a constraint) fails the write at once with a
 * ForgeError, the transaction rolled back. `open` checks and creates the table (postgres-table.ts).
 *
 * `flush` has nothing to do: every accepted batch is already committed. `close` ends the connection.
 */
export class PostgresSink implements Sink {
  readonly name = POSTGRES_SINK;
  private readonly url: string;
  private readonly table: PgTable;
  private readonly append: boolean;
  private readonly retry: RetryPolicy;
  private readonly onStatus: ((status: PostgresSinkStatus) => void) | undefined;
  private readonly applicationName: string | undefined;
  /** The job the sink was opened for (its sessions' default application_name). */
  private sessionJob = '';
  private readonly connectionSettings: PgConnectionSettings;
  /** Every connection this sink has open (the current one, one being set up): a stop past its grace cuts them all. */
  private readonly clients = new Set<pg.Client>();
  /** Armed by the job's stop request: cuts the connections when the stop's grace has passed. */
  private stopTimer: NodeJS.Timeout | null = null;
  private readonly onConflict: OnConflict;

  private client: pg.Client | null = null;
  /** Set by the client's 'error' event: the connection is gone even if no query has failed yet. */
  private broken = false;
  private encoder: CopyBinaryEncoder | null = null;
  /** The job's checkpoint key: the job id, with the shard when the job is one (shard.ts). */
  private jobId = '';
  private meterIds: readonly string[] = [];
  private shard: Shard | null = null;
  /** The checkpoint's key: the table as named in the database (schema-qualified). */
  private checkpointTable = '';
  private readonly state = new SinkState(this);
  private readonly stop = new AbortController();
  private accepted = 0;
  private inserted = 0;
  private replaced = 0;
  private degradedSince: number | null = null;
  /** The last batch met rows already in the table: send the next one the staged way too. */
  private stageNext = false;
  private attempts = 0;

  constructor(options: PostgresSinkOptions = {}) {
    this.url = options.url ?? DEFAULT_PG_URL;
    const problem = pgUrlProblem(this.url);
    if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`pgUrl: ${problem}`]);
    this.table = pgTable(options.table ?? DEFAULT_PG_TABLE, options.schema, redactPgUrl(this.url));
    this.append = options.append ?? false;
    this.retry = retryPolicy(options.retry);
    this.onStatus = options.onStatus;
    this.applicationName = options.applicationName;
    this.connectionSettings = pgConnectionSettings(process.env, {
      ...options.connection,
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    });
    this.onConflict = options.onConflict ?? 'error';
    if (!ON_CONFLICT_MODES.includes(this.onConflict)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`onConflict: "${String(this.onConflict)}" is not one of ${ON_CONFLICT_MODES.join(', ')}`]);
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

  /** Rows whose values were overwritten (onConflict 'replace' only). */
  get replacedRows(): number {
    return this.replaced;
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    this.followStop(context.signal);
    this.sessionJob = context.jobId;
    const client = await this.connect(false);
    try {
      this.checkpointTable = await prepareTable(client, this.table, { append: this.append, context });
      await createLabelTable(client, pgLabelTable(this.table));
      await prepareStaging(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      if (isForgeError(e)) throw e;
      throw writeFailed(this.table.target, this.table.shownUrl, e);
    }
    this.client = client;
    this.encoder = new CopyBinaryEncoder(context.fleet, context.scenario.area);
    this.shard = context.scenario.shard;
    this.jobId = shardedJobKey(context.jobId, this.shard);
    this.meterIds = context.fleet.meterIds;
    this.state.opened();
  }

  /**
   * Adds label windows to anomaly_labels beside the readings table (postgres-labels.ts), in a statement of their own
   * between batches: they are written before the batch whose checkpoint covers their date, and a resumed run's
   * windows replace those of the same key, so each window is one row.
   */
  async writeLabels(labels: readonly AnomalyLabel[], _info: LabelInfo): Promise<void> {
    this.state.assertOpen('writeLabels');
    if (labels.length === 0) return;
    try {
      await insertLabels(await this.connection(), pgLabelTable(this.table), this.sessionJob, labels, this.meterIds);
    } catch (e) {
      throw isForgeError(e) ? e : writeFailed(pgLabelTable(this.table), this.table.shownUrl, e);
    }
  }

  /**
   * Resolves when the batch is committed, together with the job's checkpoint (see the class comment). A lost
   * connection is retried (postgres-retry.ts); any other error rolls the transaction back and fails the write.
   */
  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (batch.length === 0) return;
    const into = { table: this.table, onConflict: this.onConflict, jobKey: this.jobId, checkpointTable: this.checkpointTable };
    const rows = { rows: batch.length, sequence: info.sequence };
    // After a lost connection the last attempt's COMMIT may have landed. The direct way would still be safe (it
    // fails on the first row already there and falls back), but the staged way goes there without the wasted COPY.
    let staged = this.stageNext;
    let client: pg.Client | null = null;
    const added = await retryLostConnections(this.retry, this.stop.signal, {
      attempt: async () => {
        client = null;
        client = await this.connection();
        if (staged) return commitBatch(client, this.encoder!.chunks(batch), rows, 'staged', into);
        try {
          return await commitBatch(client, this.encoder!.chunks(batch), rows, 'direct', into);
        } catch (e) {
          if (!isUniqueViolation(e)) throw e;
          await client.query('ROLLBACK');
          staged = true;
          return commitBatch(client, this.encoder!.chunks(batch), rows, 'staged', into);
        }
      },
      failed: async (e) => {
        if (!this.state.isOpen) return writeInterrupted(e);
        if (!isConnectionError(e)) {
          if (client && !this.broken) await client.query('ROLLBACK').catch(() => this.dropConnection());
          return isForgeError(e) ? e : writeFailed(this.table.target, this.table.shownUrl, e);
        }
        this.dropConnection();
        staged = true;
        this.markDegraded(e);
        return null;
      },
      gaveUp: (e, waitedMs) => connectionLost(this.table.shownUrl, info.sequence, waitedMs, e),
      interrupted: (e) => writeInterrupted(e),
    });
    this.stageNext = staged && added.inserted < batch.length;
    this.accepted += batch.length;
    this.inserted += added.inserted;
    this.replaced += added.replaced;
    this.recovered();
  }

  /** Nothing is pending: each `write` commits before it resolves. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
  }

  async close(): Promise<SinkResult> {
    this.state.assertOpen('close');
    this.state.closing();
    this.disarmStop();
    const client = this.client;
    this.client = null;
    if (client) await endConnection(client, this.connectionSettings.stopGraceMs);
    // The rows this sink added or overwrote, not those it was sent: readings the table already held are `skipped`.
    const skipped = this.accepted - this.inserted - this.replaced;
    return {
      sink: this.name,
      rows: this.inserted + this.replaced,
      outputs: [`${this.table.shownUrl}#${this.checkpointTable}`],
      ...(skipped > 0 ? { skipped } : {}),
      ...(this.replaced > 0 ? { replaced: this.replaced } : {}),
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state.closing();
    this.disarmStop();
    this.stop.abort();
    this.client = null;
    // An uncommitted batch is rolled back by the server when the session ends; committed ones stay, with their
    // checkpoint, for a resumed job. Cut, not ended politely: a hung server would never answer the goodbye.
    for (const client of this.clients) destroyConnection(client);
    this.clients.clear();
  }

  /**
   * A stop request gives the write in hand `stopGraceMs` to finish (a working server commits it well within that).
   * Past it, if the sink is still waiting on the server (a query unanswered, a connection being set up) or retrying
   * a lost one, it aborts: its connections are cut, the write fails, the job ends. Nothing committed is lost (each
   * batch commits with its checkpoint) and the cut batch is rolled back, so a resume continues exactly. A sink that
   * merely waits for the job's other sinks to finish is left to close normally.
   */
  private followStop(signal: AbortSignal | undefined): void {
    if (!signal) return;
    const check = (delayMs: number): void => {
      this.stopTimer = setTimeout(() => {
        if (this.state.current === 'closed') return;
        if (this.degraded || [...this.clients].some(awaitingAnswer)) void this.abort(new Error('stop grace passed'));
        else check(250);
      }, delayMs);
      this.stopTimer.unref();
    };
    const arm = (): void => {
      if (this.state.current !== 'closed' && !this.stopTimer) check(this.connectionSettings.stopGraceMs);
    };
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  }

  private disarmStop(): void {
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.stopTimer = null;
  }

  /**
   * The last batch sequence committed for a job into this sink's table, or null when none was: a resumed job
   * continues after it. A sharded job's checkpoint is keyed `<job>.shard-i-of-N`. Valid after `open`.
   */
  async checkpoint(jobId: string): Promise<number | null> {
    return this.committedSequence(jobId);
  }

  async committedSequence(jobId: string): Promise<number | null> {
    this.state.assertOpen('committedSequence');
    const client = await this.connection();
    return readCheckpoint(client, this.table.checkpoints, shardedJobKey(jobId, this.shard), this.checkpointTable);
  }

  /** The open connection, or a new one (with its staging table) after a loss. */
  private async connection(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.dropConnection();
    const client = await this.connect(true);
    try {
      await prepareStaging(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    if (!this.state.isOpen) {
      await client.end().catch(() => undefined);
      throw writeInterrupted();
    }
    this.client = client;
    return client;
  }

  /**
   * A connected client. In `open` (retrying = false) any failure is final and reported with the URL; during a write
   * the raw error goes back to the retry loop, which decides by its kind.
   */
  private async connect(retrying: boolean): Promise<pg.Client> {
    const settings = this.connectionSettings;
    const client = new pg.Client({
      connectionString: this.url,
      // Postgres keeps the first 63 bytes; a job id is at most 128 characters, its start identifies it.
      application_name: this.applicationName ?? `flux-data-forge${this.sessionJob ? `:${this.sessionJob}` : ''}`.slice(0, 63),
      connectionTimeoutMillis: settings.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: settings.keepAliveInitialDelayMs,
      statement_timeout: settings.statementTimeoutMs,
      idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    });
    this.clients.add(client);
    const unwatch = watchAnswers(client, settings.queryTimeoutMs);
    client.once('end', () => {
      unwatch();
      this.clients.delete(client);
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
      throw connectFailed(this.table.shownUrl, e);
    }
    return client;
  }

  private dropConnection(): void {
    const client = this.client;
    this.client = null;
    this.broken = false;
    if (client) void endConnection(client, this.connectionSettings.stopGraceMs);
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
}
