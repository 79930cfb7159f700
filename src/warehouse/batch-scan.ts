import { DuckDBTableFunction, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import type { ReadingBatch } from '../generator/reading-batch.js';
import { ForgeError } from '../util/forge-error.js';
import { CHUNK_ROWS, FactChunkWriter } from './fact-chunk-writer.js';
import { quoteIdentifier } from './sql-quote.js';
import { FACT_COLUMNS } from './star-schema.js';

let registered = 0;

/**
 * Inserts queued ReadingBatches into a fact-shaped table with one `INSERT ... SELECT` over a table function that
 * DuckDB pulls chunk by chunk (each filled by FactChunkWriter, one memcpy per column). Unlike the appender, DuckDB
 * then runs the insert as a pipeline of its own: measured into a DuckDB file on the 2-core dev machine, 2.2M rows/s
 * against 1.3 to 1.7M rows/s through the appender.
 *
 * DuckDB calls the scan's callbacks on the JavaScript thread, one statement at a time per BatchScan; the batches and
 * meter keys must not change while `insert` runs.
 */
export class BatchScan {
  readonly functionName: string;
  private readonly connection: DuckDBConnection;
  private readonly writer = new FactChunkWriter();
  private batches: readonly ReadingBatch[] = [];
  private meterKeys: Int32Array = new Int32Array(0);
  private batchIndex = 0;
  private offset = 0;
  private running = false;

  private constructor(connection: DuckDBConnection, functionName: string) {
    this.connection = connection;
    this.functionName = functionName;
  }

  /** Registers the scan on `connection` with the column types of `factTable` (which must be fact-shaped). */
  static async register(connection: DuckDBConnection, factTable: string): Promise<BatchScan> {
    const appender = await connection.createAppender(factTable);
    let types: DuckDBType[];
    try {
      types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    } finally {
      appender.closeSync();
    }
    if (types.length !== FACT_COLUMNS.length) {
      throw new ForgeError('FORGE_ERR_SINK_STATE', ['duckdb', `table ${factTable} is not fact-shaped (${types.length} columns)`]);
    }
    const scan = new BatchScan(connection, `forge_batches_${process.pid}_${registered++}`);
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name: scan.functionName,
        bindFunction: (info) => {
          FACT_COLUMNS.forEach((c, i) => info.addResultColumn(c.name, types[i]!));
        },
        initFunction: (info) => {
          info.setMaxThreads(1);
        },
        mainFunction: (_info, output) => {
          const batch = scan.batches[scan.batchIndex];
          if (!batch) {
            output.rowCount = 0;
            return;
          }
          const n = Math.min(CHUNK_ROWS, batch.length - scan.offset);
          output.rowCount = n;
          scan.writer.fill(output, batch, scan.meterKeys, scan.offset, n);
          scan.offset += n;
          if (scan.offset >= batch.length) {
            scan.batchIndex++;
            scan.offset = 0;
          }
        },
      }),
    );
    return scan;
  }

  /** Inserts every row of `batches` into `table` (in the connection's current transaction); returns the row count. */
  async insert(table: string, batches: readonly ReadingBatch[], meterKeys: Int32Array): Promise<number> {
    if (this.running) throw new ForgeError('FORGE_ERR_SINK_STATE', ['duckdb', 'an insert is already running on this scan']);
    this.running = true;
    this.batches = batches.filter((b) => b.length > 0);
    this.meterKeys = meterKeys;
    this.batchIndex = 0;
    this.offset = 0;
    try {
      const result = await this.connection.run(`INSERT INTO ${quoteIdentifier(table)} SELECT * FROM ${quoteIdentifier(this.functionName)}()`);
      return Number(result.rowsChanged);
    } finally {
      this.batches = [];
      this.running = false;
    }
  }
}
