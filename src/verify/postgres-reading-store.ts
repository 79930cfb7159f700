import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { parsePgTableName, pgUrlProblem, quotePgIdentifier, redactPgUrl } from '../sinks/postgres/postgres-options.js';
import { ForgeError } from '../util/forge-error.js';
import { eventCodeOf, NULL_OUTAGE, NULL_POWER_FACTOR, NULL_QUALITY, NULL_TEMPERATURE, NULL_USAGE, NULL_VOLTAGE, qualityCode } from './reading-record.js';
import { allocateSinkRows, type ReadingStore, type SinkRows } from './reading-store.js';
import { errorText } from '../util/error-text.js';

const CHUNK_ROWS = 4_096;
const COLUMNS = ['meter_id', 'reading_ts_utc', 'usage_kwh', 'voltage', 'power_factor', 'temperature_c', 'is_outage', 'data_quality', 'event_type'] as const;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds from the Unix epoch to 2000-01-01, Postgres's epoch for binary time stamps. */
const PG_EPOCH_US = 946_684_800_000_000;
/** Session settings that carry a request's bound values into the COPY (COPY takes no parameters). */
const SETTING_METERS = 'forge_verify.meter_ids';
const SETTING_FROM = 'forge_verify.from_utc';
const SETTING_TO = 'forge_verify.to_utc';

/**
 * Reads a Postgres sink's table (the flat reading schema). Each request is one `COPY (SELECT ...) TO STDOUT` in
 * binary format, streamed and decoded as it arrives: doubles and time stamps come as their exact bits, whatever the
 * server's float output settings. COPY accepts no bound parameters, so the request's values (meter ids, window) are
 * bound into session settings with `set_config($1, ...)` first and the query reads them back with
 * `current_setting(...)` (in scalar subqueries, evaluated once): no value is ever pasted into SQL, and only the
 * quoted, validated table name is.
 *
 * Two query shapes, chosen by the table's indexes. With an index led by meter_id (the sink's primary key
 * (meter_id, reading_ts_utc)), `meter_id = ANY (array)` is one index scan already in the requested order, no sort
 * (measured: 1.34M rows in 0.7 s). Without one (a table whose key was dropped), the same test would search the array
 * for every row (126 s), so the meters are a semi-join against `unnest(array)` instead (2 s).
 */
export class PostgresReadingStore implements ReadingStore {
  private constructor(
    private readonly client: pg.Client,
    readonly description: string,
    private readonly target: string,
    private readonly meterIndexed: boolean,
  ) {}

  /**
   * Connects and checks the table. An unreachable server or refused login is FORGE_ERR_SINK_CONNECT; a table that does
   * not exist or lacks a reading column is FORGE_ERR_OUTPUT_NOT_FOUND. URLs are shown without their password.
   */
  static async open(url: string, table: string): Promise<PostgresReadingStore> {
    const problem = pgUrlProblem(url);
    if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`pgUrl: ${problem}`]);
    const { schema, table: name } = parsePgTableName(table);
    const target = (schema ? `${quotePgIdentifier(schema)}.` : '') + quotePgIdentifier(name);
    const shownUrl = redactPgUrl(url);
    const client = new pg.Client({ connectionString: url, application_name: 'flux-data-forge-verify', connectionTimeoutMillis: 10_000 });
    let failure: Error | null = null;
    client.on('error', (error) => (failure ??= error));
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['postgres', shownUrl, errorText(e)], { cause: e });
    }
    try {
      if (failure) throw failure;
      const found = await client.query<{ name: string | null }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
        [target],
      );
      const qualified = found.rows[0]?.name;
      if (!qualified) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${shownUrl}#${table} (no such table)`]);
      const columns = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
        [target],
      );
      const have = new Set(columns.rows.map((r) => r.name));
      const absent = COLUMNS.filter((c) => !have.has(c));
      if (absent.length > 0) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${shownUrl}#${qualified} (the table has no column ${absent.join(', ')})`]);
      const indexed = await client.query<{ indexed: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] ` +
          `WHERE i.indrelid = to_regclass($1) AND a.attname = 'meter_id') AS indexed`,
        [target],
      );
      return new PostgresReadingStore(client, `postgres ${shownUrl}#${qualified}`, target, indexed.rows[0]?.indexed === true);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  async *rows(meterIds: readonly string[], fromMs: number, toMs: number): AsyncGenerator<SinkRows> {
    try {
      yield* this.copyRows(meterIds, fromMs, toMs);
    } catch (e) {
      if (e instanceof ForgeError) throw e;
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', ['postgres', this.description.slice('postgres '.length), `reading failed: ${errorText(e)}`], { cause: e });
    }
  }

  private async *copyRows(meterIds: readonly string[], fromMs: number, toMs: number): AsyncGenerator<SinkRows> {
    await this.client.query(`SELECT set_config($1, $2::text[]::text, false), set_config($3, $4, false), set_config($5, $6, false)`, [
      SETTING_METERS, meterIds, SETTING_FROM, new Date(fromMs).toISOString(), SETTING_TO, new Date(toMs).toISOString(),
    ]);
    const meters = this.meterIndexed
      ? `r.meter_id = ANY ((SELECT current_setting('${SETTING_METERS}'))::text[])`
      : `r.meter_id IN (SELECT unnest(current_setting('${SETTING_METERS}')::text[]))`;
    const sql =
      `COPY (SELECT r.meter_id::text, r.reading_ts_utc::timestamptz, r.usage_kwh::float8, r.voltage::float8, r.power_factor::float8, ` +
      `r.temperature_c::float8, r.is_outage::boolean, r.data_quality::text, r.event_type::text FROM ${this.target} AS r ` +
      `WHERE ${meters} ` +
      `AND r.reading_ts_utc >= (SELECT current_setting('${SETTING_FROM}')::timestamptz) AND r.reading_ts_utc < (SELECT current_setting('${SETTING_TO}')::timestamptz) ` +
      `ORDER BY r.meter_id, r.reading_ts_utc) TO STDOUT (FORMAT binary)`;
    const stream = this.client.query(copyTo(sql));
    const decoder = new CopyBinaryDecoder(new Map(meterIds.map((id, i) => [id, i])));
    try {
      for await (const piece of stream as AsyncIterable<Buffer>) {
        for (const rows of decoder.decode(piece)) yield rows;
      }
      const rest = decoder.finish();
      if (rest) yield rest;
    } finally {
      if (!stream.readableEnded) stream.destroy();
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/**
 * Decodes COPY binary output of the nine columns above into SinkRows chunks. Input arrives in pieces that cut tuples
 * anywhere; an incomplete tuple waits for the next piece.
 */
class CopyBinaryDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private headerRead = false;
  private ended = false;
  private readonly out = allocateSinkRows(CHUNK_ROWS);
  private lastIdBytes: Buffer = Buffer.alloc(0);
  private lastOffset = -1;

  constructor(private readonly offsets: ReadonlyMap<string, number>) {}

  /** Every full chunk completed by this piece (each overwritten by the next: consume before resuming). */
  *decode(piece: Buffer): Generator<SinkRows> {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, piece]) : piece;
    let pos = 0;
    if (!this.headerRead) {
      if (buf.length < 19) {
        this.pending = buf;
        return;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY output is not in binary format');
      const extension = buf.readInt32BE(15);
      if (buf.length < 19 + extension) {
        this.pending = buf;
        return;
      }
      pos = 19 + extension;
      this.headerRead = true;
    }
    const out = this.out;
    while (!this.ended && buf.length - pos >= 2) {
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        this.ended = true;
        pos += 2;
        break;
      }
      if (fields !== COLUMNS.length) throw new Error(`COPY tuple has ${fields} fields, expected ${COLUMNS.length}`);
      // Field offsets of the tuple, or stop if it is not complete yet.
      let p = pos + 2;
      let complete = true;
      const starts = FIELD_STARTS;
      const lengths = FIELD_LENGTHS;
      for (let f = 0; f < COLUMNS.length; f++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const length = buf.readInt32BE(p);
        starts[f] = p + 4;
        lengths[f] = length;
        p += 4 + Math.max(0, length);
        if (p > buf.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      const i = out.length;
      out.meter[i] = this.meterAt(buf, starts[0]!, lengths[0]!);
      out.tsUs[i] = Number(buf.readBigInt64BE(starts[1]!)) + PG_EPOCH_US;
      out.usage[i] = readDouble(buf, starts[2]!, lengths[2]!);
      out.voltage[i] = readDouble(buf, starts[3]!, lengths[3]!);
      out.powerFactor[i] = readDouble(buf, starts[4]!, lengths[4]!);
      out.temperature[i] = readDouble(buf, starts[5]!, lengths[5]!);
      out.outage[i] = lengths[6] === -1 ? 0 : buf[starts[6]!] === 1 ? 1 : 0;
      out.quality[i] = lengths[7] === -1 ? 0 : qualityCode(buf.toString('utf8', starts[7]!, starts[7]! + lengths[7]!));
      out.event[i] = lengths[8] === -1 ? 0 : eventCodeOf(buf.toString('utf8', starts[8]!, starts[8]! + lengths[8]!));
      out.nulls[i] =
        (lengths[2] === -1 ? NULL_USAGE : 0) | (lengths[3] === -1 ? NULL_VOLTAGE : 0) | (lengths[4] === -1 ? NULL_POWER_FACTOR : 0) |
        (lengths[5] === -1 ? NULL_TEMPERATURE : 0) | (lengths[6] === -1 ? NULL_OUTAGE : 0) | (lengths[7] === -1 ? NULL_QUALITY : 0);
      out.length = i + 1;
      pos = p;
      if (out.length === CHUNK_ROWS) {
        yield out;
        out.length = 0;
      }
    }
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  /** The last, partial chunk once the stream has ended, or null. */
  finish(): SinkRows | null {
    if (!this.ended) throw new Error('COPY output ended without its trailer');
    if (this.out.length === 0) return null;
    return this.out;
  }

  /**
   * The meter's position in the request (-1 if it was not asked for). Rows come grouped by meter, so the text is
   * decoded only when the bytes differ from the previous row's.
   */
  private meterAt(buf: Buffer, start: number, length: number): number {
    if (length === this.lastIdBytes.length && buf.compare(this.lastIdBytes, 0, length, start, start + length) === 0) return this.lastOffset;
    this.lastIdBytes = Buffer.from(buf.subarray(start, start + length));
    this.lastOffset = this.offsets.get(this.lastIdBytes.toString('utf8')) ?? -1;
    return this.lastOffset;
  }

}

const readDouble = (buf: Buffer, start: number, length: number): number => (length === -1 ? 0 : buf.readDoubleBE(start));

const FIELD_STARTS = new Int32Array(COLUMNS.length);
const FIELD_LENGTHS = new Int32Array(COLUMNS.length);
