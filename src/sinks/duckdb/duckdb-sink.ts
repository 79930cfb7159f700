import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { allocateBatch, copyRows, sliceBatch, type ReadingBatch } from '../../generator/reading-batch.js';
import { LIST, listValue, VARCHAR } from '@duckdb/node-api';
import type { AnomalyLabel } from '../../generator/anomaly-labels.js';
import { LABEL_TABLE, labelTableDdl } from '../../generator/label-columns.js';
import { emittedMeters, expectedRows } from '../../scenario/scenario.js';
import { shardText } from '../../scenario/shard.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError, isForgeError } from '../../util/forge-error.js';
import { BatchScan } from '../../warehouse/batch-scan.js';
import { LABEL_ROWS_SELECT, LABEL_ROWS_TYPES, labelRowsValues } from '../../warehouse/label-rows.js';
import { recordJobProgress, recordJobStart } from '../../warehouse/job-log.js';
import { STAR_SCHEMA, createStarSchema } from '../../warehouse/star-schema.js';
import { upsertTransformers } from '../../warehouse/upsert-transformers.js';
import { upsertMeters } from '../../warehouse/upsert-meters.js';
import { Warehouse } from '../../warehouse/warehouse.js';
import type { BatchInfo, JobOutcome, LabelInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { DEFAULT_DUCKDB_PATH } from './duckdb-path.js';

export interface DuckDbSinkOptions {
  /** Database file; created with its directory when absent. Default ./forge-data/forge.duckdb. */
  readonly path?: string;
  /** Add to a fact table that already holds rows (otherwise such a table is refused in `open`). */
  readonly append?: boolean;
  /**
   * DuckDB's buffer-pool limit for this sink. Default 256MB: left at DuckDB's default (80% of RAM) the pool keeps
   * written blocks cached and the process grew with the job (940 MB RSS at 38M rows); capped, RSS stays flat at the
   * same speed (invariant 4): 38.4M rows at 1.9M rows/s with 593 MB peak RSS at 256MB, 708 MB at 384MB, 806 MB at
   * 512MB. DuckDB syntax, e.g. '2GB'.
   */
  readonly memoryLimit?: string;
}

export { DEFAULT_DUCKDB_PATH };

/**
 * Writes readings into the warehouse star schema of a DuckDB file (ami_fact + ami_meters, the ami_readings view,
 * forge_jobs), with the transformer dimension ami_transformers (each transformer's kVA rating) beside it.
 *
 * Transactions: the job's rows are appended inside one transaction that `flush` and `close` commit, each together
 * with the job's row count in forge_jobs and its checkpoint in forge_checkpoints (invariant 2: the count, the
 * checkpoint and the rows commit at once). `abort` rolls back what was not flushed and marks the job aborted, so an
 * interrupted job leaves whole flushes, never a torn one. A batch job never flushes: it is one transaction, so a
 * killed one leaves nothing and its checkpoint is null; `forge generate --resume` then writes it whole (exactly once).
 */
/** Rows inserted per statement: large enough to amortise the statement, small enough to bound the queued batches. */
const INSERT_ROWS = 1_048_576;

export class DuckDbSink implements Sink {
  readonly name = 'duckdb';
  private readonly path: string;
  private readonly append: boolean;
  private readonly memoryLimit: string;
  private warehouse: Warehouse | null = null;
  private scan: BatchScan | null = null;
  /**
   * Rows accepted and not yet inserted are copied into `filling` (a batch cannot be kept: the job reuses its memory
   * once write resolves); when full it is inserted by one statement while the other buffer fills. Two buffers of at
   * most INSERT_ROWS rows, allocated once.
   */
  private buffers: ReadingBatch[] = [];
  private filling: ReadingBatch | null = null;
  private filled = 0;
  private inFlight: Promise<void> | null = null;
  private meterKeys: Int32Array = new Int32Array(0);
  private jobId = '';
  private meterIds: readonly string[] = [];
  /** Highest batch sequence accepted, and the one last committed (-1: none), for forge_checkpoints. */
  private sequence = -1;
  private committedSequence = -1;
  private rows = 0;
  private committedRows = 0;
  private readonly state = new SinkState(this);

  constructor(options: DuckDbSinkOptions = {}) {
    this.path = resolve(options.path ?? DEFAULT_DUCKDB_PATH);
    this.append = options.append ?? false;
    this.memoryLimit = options.memoryLimit ?? '256MB';
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    let warehouse: Warehouse;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      warehouse = await Warehouse.open(this.path, { memory_limit: this.memoryLimit });
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot open ${this.path}: ${errorText(e)}`], { cause: e });
    }
    try {
      // The refusal reads only: the file stays byte for byte as it was.
      const existing = await warehouse.number(
        `SELECT count(*) FROM duckdb_tables() WHERE schema_name = current_schema() AND table_name = $1`,
        [STAR_SCHEMA.fact],
      );
      const shard = context.scenario.shard;
      // A resumed job (context.resume) continues into its own table: what it committed is its own, and a batch job
      // commits once, at its end, so a killed run left nothing of it (checkpoint() says null until it completed).
      const refuse = existing > 0 && !this.append && !context.resume;
      if (refuse && shard) {
        // Shards run one after another into one file (DuckDB takes one writing process per file): a shard refuses
        // rows of its own meters, not its siblings'. Every shard upserts the whole fleet into ami_meters (keyed by
        // meter_id), so the dimension holds each meter once however many shards wrote the file.
        const { start, end } = emittedMeters(context.scenario);
        const reader = await warehouse.connection.runAndReadAll(
          `SELECT count(*) FROM ${STAR_SCHEMA.fact} AS f JOIN ${STAR_SCHEMA.meters} AS m ON m.meter_key = f.meter_key
           WHERE m.meter_id IN (SELECT unnest($1))`,
          [listValue(context.fleet.meterIds.slice(start, end))],
          [LIST(VARCHAR)],
        );
        const rows = Number(reader.getRows()[0]?.[0] ?? 0);
        if (rows > 0) throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [`${STAR_SCHEMA.fact} (for the meters of shard ${shardText(shard)})`, rows, this.path]);
      } else if (refuse) {
        const rows = await warehouse.number(`SELECT count(*) FROM ${STAR_SCHEMA.fact}`);
        if (rows > 0) throw new ForgeError('FORGE_ERR_TABLE_EXISTS', [STAR_SCHEMA.fact, rows, this.path]);
      }
      const connection = warehouse.connection;
      await connection.run('BEGIN TRANSACTION');
      await createStarSchema(connection, this.path);
      await connection.run(labelTableDdl('duckdb', LABEL_TABLE));
      this.meterKeys = await upsertMeters(connection, context.fleet, context.scenario.area);
      await upsertTransformers(connection, context.fleet);
      await recordJobStart(connection, context.jobId, context.scenario, this.name);
      await connection.run('COMMIT');
      await connection.run('BEGIN TRANSACTION');
      this.scan = await BatchScan.register(connection, STAR_SCHEMA.fact);
      const capacity = Math.max(1, Math.min(INSERT_ROWS, expectedRows(context.scenario)));
      const buffer = (): ReadingBatch => ({ ...allocateBatch(capacity, context.scenario.intervalMinutes), emittedUtcMs: new Float64Array(capacity) });
      this.buffers = [buffer(), buffer()];
      this.filling = this.buffers[0]!;
    } catch (e) {
      warehouse.close();
      if (isForgeError(e)) throw e;
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(e)], { cause: e });
    }
    this.warehouse = warehouse;
    this.jobId = context.jobId;
    this.meterIds = context.fleet.meterIds;
    this.state.opened();
  }

  /**
   * Adds label windows to anomaly_labels in the open transaction, so they commit with the readings (a batch job's
   * at its end, a stream's at each flush). A window the table already holds for the job (same meter, type and start:
   * a resumed run's, or a stopped run's cut short) is replaced by the one sent last.
   */
  async writeLabels(labels: readonly AnomalyLabel[], _info: LabelInfo): Promise<void> {
    this.openScan('writeLabels');
    if (labels.length === 0) return;
    try {
      await this.warehouse!.connection.run(`INSERT OR REPLACE INTO ${LABEL_TABLE} ${LABEL_ROWS_SELECT}`, labelRowsValues(this.jobId, labels, this.meterIds), LABEL_ROWS_TYPES);
    } catch (e) {
      throw this.writeError(e);
    }
  }

  /**
   * Copies the batch into the filling buffer; a full buffer goes into DuckDB in one statement, which runs while the
   * next batches fill the other buffer (generation and insertion overlap; a second full buffer waits for the running
   * insert: backpressure). Rows become durable at `flush` or `close`, with the job's count.
   */
  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.openScan('write');
    const keys = this.meterKeys.length;
    for (let i = 0; i < batch.length; i++) {
      if (batch.meterIndex[i]! >= keys) {
        throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `meter index ${batch.meterIndex[i]} is outside the fleet of ${keys} meters`]);
      }
    }
    if (batch.intervalMinutes !== this.filling!.intervalMinutes) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `a ${batch.intervalMinutes}-minute batch in a ${this.filling!.intervalMinutes}-minute job`]);
    }
    this.sequence = Math.max(this.sequence, info.sequence);
    // A stream's second copy of a reading is dropped: the fact has no unique key, and batches arrive in order, so
    // the first copy was accepted before it (and commits no later).
    const redelivery = batch.redelivery;
    for (let from = 0; from < batch.length; ) {
      if (redelivery && redelivery[from] === 1) {
        from++;
        continue;
      }
      let to = from + 1;
      while (to < batch.length && !(redelivery && redelivery[to] === 1)) to++;
      await this.appendRows(batch, from, to).catch((e: unknown) => {
        throw this.writeError(e);
      });
      from = to;
    }
  }

  /** Copies rows [from, to) into the filling buffer, handing full buffers to DuckDB. */
  private async appendRows(batch: ReadingBatch, from: number, to: number): Promise<void> {
    while (from < to) {
      const n = Math.min(to - from, this.filling!.length - this.filled);
      copyRows(batch, from, from + n, this.filling!, this.filled);
      this.filled += n;
      from += n;
      this.rows += n;
      if (this.filled === this.filling!.length) {
        await this.settle();
        this.inFlight = this.insertFilled();
      }
    }
  }

  /** Waits for the running insert, if any; its failure surfaces here. */
  private async settle(): Promise<void> {
    const running = this.inFlight;
    this.inFlight = null;
    if (running) await running;
  }

  async flush(): Promise<void> {
    this.openScan('flush');
    try {
      await this.settle();
      await this.insertFilled();
      await this.commit('running');
      await this.warehouse!.run('BEGIN TRANSACTION');
    } catch (e) {
      throw this.writeError(e);
    }
  }

  async close(outcome: JobOutcome = 'completed'): Promise<SinkResult> {
    this.openScan('close');
    try {
      await this.settle();
      await this.insertFilled();
      await this.commit(outcome);
    } catch (e) {
      throw this.writeError(e);
    }
    const warehouse = this.warehouse!;
    try {
      await warehouse.run('CHECKPOINT');
    } finally {
      warehouse.close();
      this.state.closing();
    }
    return { sink: this.name, rows: this.rows, outputs: [this.path] };
  }

  async abort(_reason: unknown): Promise<void> {
    const warehouse = this.warehouse;
    this.state.closing();
    if (!warehouse) return;
    this.filled = 0;
    await this.settle().catch(() => undefined);
    // abort must not throw. An open transaction is rolled back (and would be on close anyway); marking the job
    // aborted is best effort on a database that may be what failed.
    await warehouse.run('ROLLBACK').catch(() => undefined);
    await recordJobProgress(warehouse.connection, this.jobId, 0, 'aborted').catch(() => undefined);
    warehouse.close();
  }

  /** The last batch sequence this sink committed for the job, or null: where a resumed stream starts after. */
  async checkpoint(jobId: string): Promise<number | null> {
    this.state.assertOpen('checkpoint');
    const reader = await this.warehouse!.connection.runAndReadAll(`SELECT sequence FROM ${STAR_SCHEMA.checkpoints} WHERE job_id = $1`, [jobId]);
    const row = reader.getRows()[0];
    return row ? Number(row[0]) : null;
  }

  /** Commits the open transaction with the job's row count and checkpoint brought up to date in it. */
  private async commit(status: 'running' | JobOutcome): Promise<void> {
    const connection = this.warehouse!.connection;
    await recordJobProgress(connection, this.jobId, this.rows - this.committedRows, status);
    if (this.sequence > this.committedSequence) {
      await connection.run(
        `INSERT INTO ${STAR_SCHEMA.checkpoints} (job_id, sequence, committed_at) VALUES ($1, $2, now())
         ON CONFLICT (job_id) DO UPDATE SET sequence = greatest(${STAR_SCHEMA.checkpoints}.sequence, excluded.sequence), committed_at = excluded.committed_at`,
        [this.jobId, this.sequence],
      );
    }
    await connection.run('COMMIT');
    this.committedRows = this.rows;
    this.committedSequence = this.sequence;
  }

  /** A database error (disk full, I/O) as a coded sink error naming the file; the job then aborts the sink. */
  private writeError(e: unknown): ForgeError {
    return isForgeError(e) ? e : new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `${this.path}: ${errorText(e)}`], { cause: e });
  }

  private openScan(operation: string): BatchScan {
    this.state.assertOpen(operation);
    return this.scan!;
  }

  /** Inserts the filled rows in one statement, in the open transaction, and switches to the other buffer. */
  private async insertFilled(): Promise<void> {
    if (this.filled === 0) return;
    const rows = sliceBatch(this.filling!, 0, this.filled);
    this.filling = this.filling === this.buffers[0] ? this.buffers[1]! : this.buffers[0]!;
    this.filled = 0;
    await this.openScan('insert').insert(STAR_SCHEMA.fact, [rows], this.meterKeys);
  }
}
