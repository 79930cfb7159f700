import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, flatReading } from '../../generator/reading-records.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt } from '../../util/parse-int.js';
import type { BatchInfo } from '../sink.js';
import { quote, SnowflakeDriverSink, type Bind, type SnowflakeDriverOptions, type SnowflakeDriverResult } from './snowflake-driver-sink.js';

export { CHECKPOINT_TABLE, DEFAULT_TABLE, SNOWFLAKE_INSERT_AUTH_KINDS, type SnowflakeInsertAuth } from './snowflake-driver-sink.js';

export interface SnowflakeInsertSinkOptions extends SnowflakeDriverOptions {
  /** Rows per INSERT (one array bind per column holds at most this many values). Default 10,000; at most 100,000. */
  readonly batchRows?: number;
}

export interface SnowflakeInsertSinkResult extends SnowflakeDriverResult {
  /** INSERT statements sent (a batch over batchRows takes several, in one transaction). */
  readonly inserts: number;
}

export const DEFAULT_BATCH_ROWS = 10_000;
export const MAX_BATCH_ROWS = 100_000;
/** The table's columns in INSERT order: the flat reading, then EMITTED_AT. */
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
 * The session, checkpoint and transaction are SnowflakeDriverSink's.
 */
export class SnowflakeInsertSink extends SnowflakeDriverSink<undefined, SnowflakeInsertSinkResult> {
  private readonly batchRows: number;
  private readonly insertSql: string;
  private inserts = 0;

  constructor(options: SnowflakeInsertSinkOptions) {
    super('snowflake-insert', options);
    this.batchRows = checkInt(options.batchRows ?? DEFAULT_BATCH_ROWS, `${this.name} batchRows`, { min: 1, max: MAX_BATCH_ROWS });
    this.insertSql = `INSERT INTO ${this.target} (${INSERT_COLUMNS.map(quote).join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;
  }

  protected async prepare(): Promise<undefined> {
    return undefined;
  }

  protected async load(batch: ReadingBatch, _info: BatchInfo): Promise<void> {
    for (let from = 0; from < batch.length; from += this.batchRows) {
      const to = Math.min(batch.length, from + this.batchRows);
      const result = await this.exec(this.insertSql, this.rowsOf(batch, from, to));
      this.inserts++;
      // Snowflake answers an INSERT with the rows it inserted; fewer than sent would be readings lost.
      const inserted = Number(result[0]?.['number of rows inserted']);
      if (inserted !== to - from) {
        throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `INSERT into ${this.target} reported ${Number.isNaN(inserted) ? 'no row count' : inserted} rows inserted for ${to - from} sent`]);
      }
    }
  }

  /**
   * Every INSERT sends its binds inline: above this count the driver would instead upload them to a temporary stage
   * (CREATE STAGE privileges, a PUT through cloud storage) and fall back to inline binds when that fails.
   */
  protected override connectionExtras(): Record<string, unknown> {
    return { arrayBindingThreshold: this.batchRows * INSERT_COLUMNS.length };
  }

  protected result(base: SnowflakeDriverResult): SnowflakeInsertSinkResult {
    return { ...base, outputs: [`snowflake account ${this.o.account} table ${this.target}`], inserts: this.inserts };
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
}

function bindValue(value: string | number | boolean | null): Bind {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
