import type { DuckDBConnection } from '@duckdb/node-api';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { ColumnarAppender } from '../../warehouse/columnar-appender.js';
import { quoteLiteral } from '../../warehouse/sql-quote.js';
import { STAGE_COLUMNS, factTableDdl } from '../../warehouse/star-schema.js';

/**
 * A date's rows staged in an in-memory DuckDB table (STAGE_COLUMNS, filled by ColumnarAppender), later written to a
 * file by DuckDB's COPY of `select` (readingsSelect over the table and the meter dimension): the Parquet and NDJSON
 * path of FileSink.
 */
export class CopyStage {
  private constructor(
    private readonly table: string,
    private readonly appender: ColumnarAppender,
  ) {}

  /** Creates the table `table` on `connection` (the session that appends). */
  static async open(connection: DuckDBConnection, table: string): Promise<CopyStage> {
    await connection.run(factTableDdl(table, { columns: STAGE_COLUMNS }));
    return new CopyStage(table, await ColumnarAppender.create(connection, table, STAGE_COLUMNS));
  }

  append(batch: ReadingBatch, meterKeys: Int32Array): void {
    this.appender.append(batch, meterKeys);
  }

  /** Ends appending: the rows are in the table. */
  close(): void {
    this.appender.close();
  }

  /**
   * COPYs the table through `select(table)` to `path` with `options`, on `session` (another session than the one that
   * appends, so the next date can be staged meanwhile), then drops the table.
   */
  async copy(session: DuckDBConnection, select: (table: string) => string, path: string, options: string): Promise<void> {
    await session.run(`COPY (${select(this.table)}) TO ${quoteLiteral(path)} (${options})`);
    await session.run(`DROP TABLE ${this.table}`);
  }

  /** Drops unflushed rows (abort path; the table goes with the in-memory database). */
  discard(): void {
    this.appender.discard();
  }
}
