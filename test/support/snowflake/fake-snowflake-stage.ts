import { gunzipSync } from 'node:zlib';
import {
  AMI_READINGS_COLUMNS,
  castText,
  FakeSnowflakeSql,
  parseJson,
  QUALIFIED,
  type Cell,
  type FakeSqlSession,
  type FakeSqlStartOptions,
  type FakeSqlTxn,
  type SqlAnswer,
} from './fake-snowflake-sql.js';

export { AMI_READINGS_COLUMNS, type Binding, type Cell, type Checkpoint, type FakeSqlAuth, type RecordedSqlRequest, type RecordedStatement, type SqlFault } from './fake-snowflake-sql.js';

/** Where PUT sends files: an S3-compatible server (s3rver over TLS in the tests) and how to read objects back. */
export interface FakeStageStore {
  /** `endPoint` as Snowflake returns it (host:port; the driver prefixes https://). */
  readonly endPoint: string;
  readonly bucket: string;
  /** Folder in the bucket under which every named stage gets its own prefix. */
  readonly prefix: string;
  readonly region: string;
  readonly creds: { readonly AWS_KEY_ID: string; readonly AWS_SECRET_KEY: string; readonly AWS_TOKEN?: string };
  readonly getObject: (key: string) => Promise<Buffer | null>;
}

/**
 * FakeSnowflakeSql (fake-snowflake-sql.ts: login, sessions, transactions, the insert sink's statements, faults, JWT
 * verification) extended for the stage sink: it also answers `PUT file://<path> @<stage>/<folder>/ ...` the way
 * Snowflake does for a stage on S3 (the driver then uploads the file itself, to `stageInfo`), and
 * `COPY INTO <table> FROM @<stage>/<folder>/<file> ...` by reading the object back from the S3-compatible server
 * `stageInfo` points at, gunzipping it and appending its NDJSON rows to the table inside the session's transaction. It
 * also keeps Snowflake's load history: a file already loaded into a table is skipped; files a transaction loads enter
 * the history on COMMIT (after its rows and checkpoints) and are forgotten on ROLLBACK or when the session ends.
 * PUT answers carry no `encryptionMaterial`, so the driver uploads the file unencrypted (real internal stages hand out
 * a per-query key and the driver encrypts client-side); the driver's accelerate-configuration probe and its HEAD after
 * the upload go to the S3 server as they would to S3.
 */

const RE = {
  put: /^PUT file:\/\/(\S+) @"([A-Z0-9_$]+)"\."([A-Z0-9_$]+)"\."([A-Z0-9_$]+)"\/([^\s]*) AUTO_COMPRESS=FALSE OVERWRITE=TRUE$/,
  copy: new RegExp(`^COPY INTO ${QUALIFIED} FROM @${QUALIFIED}/(\\S+) FILE_FORMAT = \\(TYPE = JSON\\) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE$`),
};

export class FakeSnowflakeStage extends FakeSnowflakeSql {
  /** Where PUT points the driver; set by the test before any PUT. */
  store: FakeStageStore | null = null;
  /** Stages that exist, by qualified upper-case name (default FORGE.AMI.AMI_INTERNAL_STAGE). */
  readonly stages = new Set<string>(['FORGE.AMI.AMI_INTERNAL_STAGE']);
  /** Files each table has loaded (stage-relative keys), committed: Snowflake's COPY load history. */
  readonly loadHistory = new Map<string, Set<string>>();
  /** The PUT responses sent (data as the driver received it). */
  readonly putResponses: Record<string, unknown>[] = [];
  /** The files each open transaction has loaded, pending until its COMMIT. */
  private readonly pendingLoads = new WeakMap<FakeSqlTxn, { table: string; file: string }[]>();

  /** Starts the fake; `tables` lists the tables that exist (default FORGE.AMI.AMI_READINGS, empty). */
  static override async start(options: FakeSqlStartOptions): Promise<FakeSnowflakeStage> {
    return FakeSnowflakeSql.listen(options, (server) => new FakeSnowflakeStage(options, server));
  }

  /** Each named stage's folder in the bucket, as Snowflake gives every internal stage its own prefix. */
  stagePrefix(stage: string): string {
    return `${this.store!.prefix}${stage.toLowerCase().replace(/\./g, '-')}/`;
  }

  protected override extraStatement(session: FakeSqlSession, txt: string, { queryId, ok, fail }: SqlAnswer): unknown {
    let m: RegExpExecArray | null;
    if ((m = RE.put.exec(txt))) {
      const stage = `${m[2]}.${m[3]}.${m[4]}`;
      if (!this.stages.has(stage)) return fail('002003', `SQL compilation error:\nStage '${stage}' does not exist or not authorized.`, '02000');
      if (!this.store) return fail('000001', 'fake: no stage store configured', '00000');
      const folder = m[5]!;
      const data = {
        command: 'UPLOAD',
        src_locations: [m[1]!],
        autoCompress: false,
        sourceCompression: 'auto_detect',
        overwrite: true,
        parallel: 4,
        threshold: 209_715_200,
        encryptionMaterial: null,
        stageInfo: {
          locationType: 'S3',
          location: `${this.store.bucket}/${this.stagePrefix(stage)}${folder}`,
          path: `${this.stagePrefix(stage)}${folder}`,
          region: this.store.region,
          endPoint: this.store.endPoint,
          useS3RegionalUrl: false,
          isClientSideEncrypted: false,
          creds: { ...this.store.creds },
        },
        queryId,
        rowtype: [],
        rowset: [],
      };
      this.putResponses.push(data);
      return { success: true, code: null, message: null, data };
    }
    if ((m = RE.copy.exec(txt))) {
      const table = `${m[1]}.${m[2]}.${m[3]}`;
      const stage = `${m[4]}.${m[5]}.${m[6]}`;
      const file = m[7]!;
      if (!this.tables.has(table)) return fail('002003', `SQL compilation error:\nTable '${table}' does not exist or not authorized.`, '42S02');
      if (!this.stages.has(stage)) return fail('002003', `SQL compilation error:\nStage '${stage}' does not exist or not authorized.`, '02000');
      const key = `${stage}/${file}`;
      const pending = session.txn ? this.loadsOf(session.txn) : [];
      const loaded = this.history(table).has(key) || pending.some((l) => l.table === table && l.file === key);
      if (loaded) return ok([{ name: 'status', type: 'text' }], [['Copy executed with 0 files processed.']]);
      return this.copyRows(this.store!, `${this.stagePrefix(stage)}${file}`).then((rows) => {
        if (typeof rows === 'string') {
          this.violations.push(`COPY: ${rows}`);
          return fail('100069', rows, '22000');
        }
        if (session.txn) {
          session.txn.inserts.push({ table, rows });
          this.loadsOf(session.txn).push({ table, file: key });
        } else {
          this.tables.get(table)!.push(...rows);
          this.history(table).add(key);
        }
        const fixed = (name: string): { name: string; type: string } => ({ name, type: 'fixed' });
        return ok(
          [{ name: 'file', type: 'text' }, { name: 'status', type: 'text' }, fixed('rows_parsed'), fixed('rows_loaded'), fixed('error_limit'), fixed('errors_seen'), { name: 'first_error', type: 'text' }],
          [[`s3://${this.store!.bucket}/${this.stagePrefix(stage)}${file}`, 'LOADED', String(rows.length), String(this.reportInserted ?? rows.length), '1', '0', null]],
        );
      });
    }
    return undefined;
  }

  /** COMMIT applies the transaction's rows and checkpoints, then adds the files it loaded to the load history. */
  protected override commitTxn(txn: FakeSqlTxn): void {
    super.commitTxn(txn);
    for (const l of this.loadsOf(txn)) this.history(l.table).add(l.file);
  }

  /** The files a transaction has loaded so far. */
  private loadsOf(txn: FakeSqlTxn): { table: string; file: string }[] {
    let loads = this.pendingLoads.get(txn);
    if (!loads) this.pendingLoads.set(txn, (loads = []));
    return loads;
  }

  /** The committed load history of a table. */
  private history(table: string): Set<string> {
    let h = this.loadHistory.get(table);
    if (!h) this.loadHistory.set(table, (h = new Set()));
    return h;
  }

  /**
   * The rows of a staged NDJSON file (gzip detected by its magic bytes, as COMPRESSION = AUTO does), matched to the
   * table's columns case-insensitively and cast as Snowflake casts JSON values; or what is wrong with it.
   */
  private async copyRows(store: FakeStageStore, key: string): Promise<Record<string, Cell>[] | string> {
    const raw = await store.getObject(key);
    if (!raw) return `Remote file '${key}' was not found.`;
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    const rows: Record<string, Cell>[] = [];
    const lines = text.split('\n').filter((l) => l !== '');
    for (let i = 0; i < lines.length; i++) {
      const record = parseJson(lines[i]!) as Record<string, unknown> | null;
      if (!record || typeof record !== 'object' || Array.isArray(record)) return `line ${i + 1}: not a JSON object`;
      const row: Record<string, Cell> = {};
      for (const [k, v] of Object.entries(record)) {
        const column = Object.keys(AMI_READINGS_COLUMNS).find((c) => c === k.toUpperCase());
        if (!column) continue; // MATCH_BY_COLUMN_NAME ignores fields that name no column
        const type = AMI_READINGS_COLUMNS[column]!;
        const cast = castText(v === null ? null : typeof v === 'string' ? v : String(v), type);
        if (cast === undefined) return `line ${i + 1}: value ${JSON.stringify(v)} is not recognized for ${column} (${type})`;
        row[column] = cast;
      }
      for (const c of Object.keys(AMI_READINGS_COLUMNS)) if (!(c in row)) row[c] = null;
      rows.push(row);
    }
    return rows;
  }
}
