import { DuckDBInstance, type DuckDBConnection, type DuckDBValue, type Json } from '@duckdb/node-api';

/**
 * The DuckDB adapter shared by the DuckDB sink, the file sinks' staging area and (later) validate/verify. Only code in
 * warehouse/ and in the sinks that use it touches @duckdb/node-api.
 *
 * Every session runs with TimeZone = 'UTC', so TIMESTAMPTZ values render as UTC whatever the machine's zone and
 * `reading_ts_utc` reads back as the instant the generator produced.
 */
export class Warehouse {
  /** ':memory:' or the database file. */
  readonly path: string;
  /** The primary session; `connect` opens more (a COPY on one while another appends). */
  readonly connection: DuckDBConnection;
  private readonly instance: DuckDBInstance;
  private readonly sessions: DuckDBConnection[];
  private closed = false;

  private constructor(path: string, instance: DuckDBInstance, connection: DuckDBConnection) {
    this.path = path;
    this.instance = instance;
    this.connection = connection;
    this.sessions = [connection];
  }

  /** Opens (creating if absent) a database file, or an in-memory database for ':memory:'. */
  static async open(path: string, options: Record<string, string> = {}): Promise<Warehouse> {
    const instance = await DuckDBInstance.create(path, options);
    try {
      const connection = await instance.connect();
      await connection.run(`SET TimeZone = 'UTC'`);
      return new Warehouse(path, instance, connection);
    } catch (e) {
      instance.closeSync();
      throw e;
    }
  }

  /** Another session on the same database, also in UTC. Closed with the warehouse. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    this.sessions.push(connection);
    return connection;
  }

  async run(sql: string, values?: DuckDBValue[]): Promise<void> {
    await this.connection.run(sql, values);
  }

  /** Rows as JSON-compatible objects (BIGINT as text, timestamps as text). For small results. */
  async rows(sql: string, values?: DuckDBValue[]): Promise<Record<string, Json>[]> {
    const reader = await this.connection.runAndReadAll(sql, values);
    return reader.getRowObjectsJson();
  }

  /** The first column of the first row as a number (counts, sums). */
  async number(sql: string, values?: DuckDBValue[]): Promise<number> {
    const reader = await this.connection.runAndReadAll(sql, values);
    const v = reader.getRows()[0]?.[0];
    return v === null || v === undefined ? 0 : Number(v);
  }

  /** Releases every session and the database. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions) s.closeSync();
    this.instance.closeSync();
  }
}
