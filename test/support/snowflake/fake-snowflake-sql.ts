import { createHash, createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local stand-in for the endpoints the Snowflake Node.js driver (`snowflake-sdk`) calls for a SQL session, as the
 * driver's source builds and reads them (lib/services/sf.js, lib/connection/statement.js, lib/authentication/):
 *
 * - `POST /session/v1/login-request?requestId&warehouse&databaseName&schemaName`: body `{ data: { ACCOUNT_NAME,
 *   LOGIN_NAME, AUTHENTICATOR, PASSWORD | TOKEN, CLIENT_APP_ID, CLIENT_APP_VERSION, CLIENT_ENVIRONMENT, ... } }`;
 *   answers `{ success: true, data: { token, masterToken, sessionId, validityInSeconds, parameters, sessionInfo } }`
 *   or `{ success: false, code: '390100', message }` (or an HTTP status, see `loginStatus`).
 * - `POST /queries/v1/query-request?requestId`: header `Authorization: Snowflake Token="<session token>"`, body
 *   `{ sqlText, bindings?, bindStage?, asyncExec?, ... }`, where array binds are `{ "1": { type, value: [...] }, ... }`
 *   (one array per `?`, values as text or null); answers `{ success: true, data: { queryId, rowtype, rowset, total,
 *   returned, queryResultFormat: 'json' } }` or `{ success: false, code, message, data: { sqlState, queryId } }`.
 * - `POST /session?delete=true` (destroy) and `POST /telemetry/send` (the driver's in-band telemetry, answered and
 *   recorded, never required).
 *
 * Request bodies are JSON, gzip-compressed when the driver managed to compress them in time (it compresses
 * asynchronously), so both are accepted.
 *
 * SQL: the fake is no SQL engine. It recognises the statements the insert sink sends (an INFORMATION_SCHEMA table
 * lookup, CREATE TABLE IF NOT EXISTS, SELECT of a checkpoint, BEGIN, INSERT ... VALUES (?, ...), MERGE of a checkpoint,
 * COMMIT, ROLLBACK) by their shape and keeps a transaction per session: inserted rows and checkpoint updates are
 * pending until COMMIT and dropped on ROLLBACK or when the session is deleted. Any other statement is answered with a
 * compilation error and recorded as a violation. INSERTs are checked against the target table's columns: the quoted
 * column list, one `?` per column, one bind array per column of one length, and every value accepted by its column
 * type (VARCHAR, TIMESTAMP_NTZ, TIMESTAMP_TZ, SMALLINT, FLOAT, BOOLEAN) as Snowflake would cast the text; a value it
 * would reject is answered with Snowflake's 100038 error and recorded in `violations`.
 *
 * Key-pair JWTs are verified without the driver's code: fingerprint from the public key's PEM text (base64 DER
 * SubjectPublicKeyInfo -> SHA-256 -> base64), the RS256 signature with node:crypto, iss `<ACCOUNT>.<USER>.SHA256:...`
 * and sub `<ACCOUNT>.<USER>`, exp after iat. The driver writes iat and exp in milliseconds (jsonwebtoken with
 * `Date.now()`); the fake does not judge the unit.
 *
 * Not checked: TLS and OCSP (plain HTTP), session renewal, result chunks, the stage-binding path (a `bindStage` in a
 * request is a violation), SQL semantics beyond the shapes above, privileges.
 *
 * Subclasses (fake-snowflake-stage.ts) recognise further statements through `extraStatement` and apply their own
 * pending transaction state on COMMIT through `commitTxn`.
 */

export type FakeSqlAuth =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'keypair'; readonly publicKeyPem: string }
  | { readonly kind: 'oauth'; readonly token: string };

export interface RecordedSqlRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  status: number;
}

export interface Binding {
  readonly type: string;
  readonly value: string | null | (string | null)[];
}

export interface RecordedStatement {
  readonly sessionId: string;
  readonly requestId: string;
  readonly sqlText: string;
  readonly bindings: Record<string, Binding> | undefined;
  readonly asyncExec: unknown;
  /** 'ok' or the error code answered. */
  outcome: string;
}

export interface SqlFault {
  /** Matched against the statement text. */
  readonly match: RegExp;
  readonly code: string;
  readonly message: string;
  readonly sqlState: string;
  times: number;
}

export interface Checkpoint {
  sequence: number;
  rows: number;
  committedAt: string;
}

export type ColumnType = 'VARCHAR' | 'TIMESTAMP_NTZ' | 'TIMESTAMP_TZ' | 'SMALLINT' | 'FLOAT' | 'BOOLEAN';
export type Cell = string | number | boolean | null;

/** AMI_READINGS as `forge ddl --target snowflake` creates it. */
export const AMI_READINGS_COLUMNS: Readonly<Record<string, ColumnType>> = {
  METER_ID: 'VARCHAR', READING_TS: 'TIMESTAMP_NTZ', READING_TS_UTC: 'TIMESTAMP_TZ', INTERVAL_MINUTES: 'SMALLINT', USAGE_KWH: 'FLOAT', VOLTAGE: 'FLOAT',
  POWER_FACTOR: 'FLOAT', TEMPERATURE_C: 'FLOAT', TRANSFORMER_ID: 'VARCHAR', CIRCUIT_ID: 'VARCHAR', SUBSTATION_ID: 'VARCHAR', SERVICE_AREA: 'VARCHAR',
  CUSTOMER_SEGMENT: 'VARCHAR', LATITUDE: 'FLOAT', LONGITUDE: 'FLOAT', IS_OUTAGE: 'BOOLEAN', DATA_QUALITY: 'VARCHAR', EVENT_TYPE: 'VARCHAR',
  EMISSION_PATTERN: 'VARCHAR', EMITTED_AT: 'TIMESTAMP_TZ',
};

/** A session's open transaction: what COMMIT applies and ROLLBACK (or the session's end) drops. */
export interface FakeSqlTxn {
  readonly inserts: { table: string; rows: Record<string, Cell>[] }[];
  readonly checkpoints: Map<string, Checkpoint>;
}

export interface FakeSqlSession {
  readonly id: string;
  readonly token: string;
  deleted: boolean;
  txn: FakeSqlTxn | null;
}

/** How a statement handler answers a query-request. */
export interface SqlAnswer {
  readonly queryId: string;
  readonly ok: (columns: { name: string; type: string }[], rowset: (string | null)[][]) => unknown;
  readonly fail: (code: string, message: string, sqlState: string) => unknown;
}

export interface FakeSqlStartOptions {
  account: string;
  user: string;
  auth: FakeSqlAuth;
  tables?: string[];
}

const IDENT = '"([A-Z0-9_$]+)"';
/** A quoted DB.SCHEMA.NAME, captured as three groups. */
export const QUALIFIED = `${IDENT}\\.${IDENT}\\.${IDENT}`;
const RE = {
  tableLookup: new RegExp(`^SELECT COUNT\\(\\*\\) AS "N" FROM ${IDENT}\\."INFORMATION_SCHEMA"\\."TABLES" WHERE "TABLE_SCHEMA" = \\? AND "TABLE_NAME" = \\?$`),
  createCheckpoints: new RegExp(`^CREATE TABLE IF NOT EXISTS ${QUALIFIED} \\(.*"JOB_ID".*"TABLE_NAME".*"SEQUENCE".*"ROWS".*"COMMITTED_AT".*\\)$`, 's'),
  selectCheckpoint: new RegExp(`^SELECT "SEQUENCE" FROM ${QUALIFIED} WHERE "JOB_ID" = \\? AND "TABLE_NAME" = \\?$`),
  insert: new RegExp(`^INSERT INTO ${QUALIFIED} \\(([^)]*)\\) VALUES \\(([?, ]*)\\)$`),
  mergeCheckpoint: new RegExp(`^MERGE INTO ${QUALIFIED} AS "T" USING \\(SELECT \\? AS "JOB_ID", \\? AS "TABLE_NAME", \\? AS "SEQUENCE", \\? AS "ROWS"\\) AS "S" ON .* WHEN MATCHED THEN UPDATE SET .* WHEN NOT MATCHED THEN INSERT .*$`),
};

export class FakeSnowflakeSql {
  readonly requests: RecordedSqlRequest[] = [];
  readonly statements: RecordedStatement[] = [];
  readonly violations: string[] = [];
  /** Committed rows of each table that exists, by qualified upper-case name (DB.SCHEMA.TABLE). */
  readonly tables = new Map<string, Record<string, Cell>[]>();
  /** Committed checkpoints by `${jobId}|${tableName}`, once a checkpoint table exists. */
  readonly checkpoints = new Map<string, Checkpoint>();
  checkpointTable: string | null = null;
  readonly faults: SqlFault[] = [];
  /** Answer logins with this HTTP status (e.g. 401) and a JSON error instead of checking credentials. */
  loginStatus: number | null = null;
  /**
   * Quote the submitted PASSWORD or TOKEN in the login error message (no real server should; this lets a test prove
   * the sink scrubs secrets from whatever text it is given).
   */
  echoSecretsInLoginErrors = false;
  /** Report this many rows inserted instead of the true count (a test of the sink's check), once set. */
  reportInserted: number | null = null;
  /** Login bodies as received, for assertions on their fields. */
  readonly logins: Record<string, unknown>[] = [];
  url = '';
  private readonly sessions = new Map<string, FakeSqlSession>();
  private readonly fingerprint: string | null = null;
  private readonly publicKey: KeyObject | null = null;

  protected constructor(
    readonly options: { readonly account: string; readonly user: string; readonly auth: FakeSqlAuth },
    private readonly server: Server,
  ) {
    if (options.auth.kind === 'keypair') {
      const der = Buffer.from(options.auth.publicKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      this.fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64')}`;
      this.publicKey = createPublicKey(options.auth.publicKeyPem);
    }
  }

  /** Starts the fake; `tables` lists the tables that exist (default FORGE.AMI.AMI_READINGS, empty). */
  static async start(options: FakeSqlStartOptions): Promise<FakeSnowflakeSql> {
    return FakeSnowflakeSql.listen(options, (server) => new FakeSnowflakeSql(options, server));
  }

  /** Creates a fake (of this class or a subclass) around a new server and starts listening. */
  protected static async listen<T extends FakeSnowflakeSql>(options: FakeSqlStartOptions, create: (server: Server) => T): Promise<T> {
    let fake: T | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake!.handle(req, Buffer.concat(chunks), res));
    });
    fake = create(server);
    for (const t of options.tables ?? ['FORGE.AMI.AMI_READINGS']) fake.tables.set(t.toUpperCase(), []);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** The query-requests whose SQL starts with `prefix`. */
  sql(prefix: string): RecordedStatement[] {
    return this.statements.filter((s) => s.sqlText.startsWith(prefix));
  }

  /** Sessions opened and not deleted. */
  get openSessions(): number {
    return [...this.sessions.values()].filter((s) => !s.deleted).length;
  }

  private handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
        body = JSON.parse(text) as unknown;
      } catch {
        this.violations.push(`${req.method} ${url.pathname}: body is not JSON (gzip or plain)`);
      }
    }
    const record: RecordedSqlRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, status: 200 };
    this.requests.push(record);
    const send = (status: number, payload: unknown): void => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== 'POST') {
      this.violations.push(`${req.method} ${url.pathname}: unexpected method`);
      return send(405, { success: false, code: '000405', message: 'method not allowed' });
    }
    if (url.pathname === '/session/v1/login-request') return this.login(record, body, send);
    const session = this.sessionOf(req.headers);
    if (!session) {
      // Snowflake's answer to a request without a valid session token.
      return send(200, { success: false, code: '390112', message: 'Your session has expired. Please login again.', data: null });
    }
    if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
      this.endSession(session);
      return send(200, { success: true, code: null, message: null, data: null });
    }
    if (url.pathname === '/telemetry/send') return send(200, { success: true, data: 'Log Received' });
    if (url.pathname === '/queries/v1/query-request') {
      if (!url.searchParams.get('requestId')) this.violations.push('query-request without requestId');
      const answer = this.query(session, url.searchParams.get('requestId') ?? '', body);
      if (answer instanceof Promise) void answer.then((a) => send(200, a));
      else send(200, answer);
      return;
    }
    this.violations.push(`POST ${url.pathname}: unknown endpoint`);
    send(404, { success: false, code: '000404', message: 'not found' });
  }

  private login(record: RecordedSqlRequest, body: unknown, send: (status: number, payload: unknown) => void): void {
    const data = ((body as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<string, unknown>;
    this.logins.push(data);
    if (!record.query.requestId) this.violations.push('login-request without requestId');
    const echo = this.echoSecretsInLoginErrors ? ` (received ${String(data.PASSWORD ?? data.TOKEN)})` : '';
    if (this.loginStatus !== null) {
      return send(this.loginStatus, { success: false, code: '390100', message: `Incorrect username or password was specified.${echo}`, data: null });
    }
    const problem = this.checkLogin(data);
    if (problem) {
      return send(200, { success: false, code: problem.code, message: `${problem.message}${echo}`, data: { nextAction: 'RETRY_LOGIN', authnMethod: 'PASSWORD' } });
    }
    const session: FakeSqlSession = { id: String(this.sessions.size + 1_000), token: `session-${randomUUID()}`, deleted: false, txn: null };
    this.sessions.set(session.token, session);
    send(200, {
      success: true,
      code: null,
      message: null,
      data: {
        token: session.token,
        masterToken: `master-${randomUUID()}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: Number(session.id),
        // A stage-binding threshold below a default INSERT's bind count (10,000 rows x 20 columns), so a test shows
        // the sink's own arrayBindingThreshold is what keeps binds inline.
        parameters: [{ name: 'CLIENT_TELEMETRY_ENABLED', value: false }, { name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD', value: 65_280 }],
        sessionInfo: { databaseName: record.query.databaseName ?? null, schemaName: record.query.schemaName ?? null, warehouseName: record.query.warehouse ?? null, roleName: 'PUBLIC' },
      },
    });
  }

  private checkLogin(data: Record<string, unknown>): { code: string; message: string } | undefined {
    const wrong = { code: '390100', message: 'Incorrect username or password was specified.' };
    if (typeof data.CLIENT_APP_ID !== 'string' || data.CLIENT_APP_ID === '') this.violations.push('login without CLIENT_APP_ID');
    if (String(data.ACCOUNT_NAME ?? '').toUpperCase() !== this.options.account.toUpperCase()) return wrong;
    if (String(data.LOGIN_NAME ?? '').toUpperCase() !== this.options.user.toUpperCase()) return wrong;
    const auth = this.options.auth;
    if (auth.kind === 'password') {
      if (data.AUTHENTICATOR !== 'SNOWFLAKE' || data.PASSWORD !== auth.password) return wrong;
      return undefined;
    }
    if (auth.kind === 'oauth') {
      if (data.AUTHENTICATOR !== 'OAUTH' || data.TOKEN !== auth.token) return { code: '390303', message: 'Invalid OAuth access token.' };
      return undefined;
    }
    if (data.AUTHENTICATOR !== 'SNOWFLAKE_JWT' || typeof data.TOKEN !== 'string') return { code: '390144', message: 'JWT token is invalid.' };
    const why = this.checkJwt(data.TOKEN);
    if (why) {
      this.violations.push(`JWT: ${why}`);
      return { code: '390144', message: 'JWT token is invalid.' };
    }
    return undefined;
  }

  private checkJwt(jwt: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'not a JWT';
    const header = parseJson(Buffer.from(parts[0]!, 'base64url').toString()) as { alg?: string } | null;
    const payload = parseJson(Buffer.from(parts[1]!, 'base64url').toString()) as { iss?: string; sub?: string; iat?: number; exp?: number } | null;
    if (header?.alg !== 'RS256') return 'alg must be RS256';
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey!, Buffer.from(parts[2]!, 'base64url'))) return 'bad signature';
    const account = this.options.account.toUpperCase().split('.')[0]!;
    const qualified = `${account}.${this.options.user.toUpperCase()}`;
    if (payload?.sub !== qualified) return `sub must be ${qualified}`;
    if (payload.iss !== `${qualified}.${this.fingerprint}`) return 'iss must be <ACCOUNT>.<USER>.SHA256:<fingerprint>';
    if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp <= payload.iat) return 'iat and exp are required, exp after iat';
    return undefined;
  }

  private sessionOf(headers: IncomingHttpHeaders): FakeSqlSession | undefined {
    const m = /^Snowflake Token="([^"]+)"$/.exec(headers.authorization ?? '');
    const session = m ? this.sessions.get(m[1]!) : undefined;
    return session && !session.deleted ? session : undefined;
  }

  private endSession(session: FakeSqlSession): void {
    session.deleted = true;
    session.txn = null; // an open transaction ends with its session, rolled back
  }

  private query(session: FakeSqlSession, requestId: string, body: unknown): unknown {
    const b = (body ?? {}) as { sqlText?: unknown; bindings?: Record<string, Binding>; bindStage?: unknown; asyncExec?: unknown };
    const sqlText = typeof b.sqlText === 'string' ? b.sqlText : '';
    const statement: RecordedStatement = { sessionId: session.id, requestId, sqlText, bindings: b.bindings, asyncExec: b.asyncExec, outcome: 'ok' };
    this.statements.push(statement);
    const queryId = randomUUID();
    const fail = (code: string, message: string, sqlState: string): unknown => {
      statement.outcome = code;
      return { success: false, code, message, data: { sqlState, queryId, errorCode: code } };
    };
    if (b.bindStage !== undefined) this.violations.push(`bindStage used: ${String(b.bindStage)}`);
    const fault = this.faults.find((f) => f.times > 0 && f.match.test(sqlText));
    if (fault) {
      fault.times--;
      return fail(fault.code, fault.message, fault.sqlState);
    }
    const ok = (columns: { name: string; type: string }[], rowset: (string | null)[][]): unknown => ({
      success: true,
      code: null,
      message: null,
      data: {
        queryId,
        version: 1,
        queryResultFormat: 'json',
        rowtype: columns.map((c) => ({ name: c.name, type: c.type, nullable: true, scale: 0, precision: c.type === 'fixed' ? 38 : 0, length: c.type === 'text' ? 16_777_216 : null, byteLength: null })),
        rowset,
        total: rowset.length,
        returned: rowset.length,
        parameters: [],
      },
    });
    const status = (text: string): unknown => ok([{ name: 'status', type: 'text' }], [[text]]);
    const scalar = (n: string): string | null => {
      const v = b.bindings?.[n];
      if (!v || Array.isArray(v.value)) {
        this.violations.push(`${sqlText.slice(0, 30)}: bind ${n} missing or an array`);
        return null;
      }
      return v.value;
    };
    const txt = sqlText.trim();
    let m: RegExpExecArray | null;
    if ((m = RE.tableLookup.exec(txt))) {
      const name = `${m[1]}.${scalar('1') ?? ''}.${scalar('2') ?? ''}`;
      return ok([{ name: 'N', type: 'fixed' }], [[this.tables.has(name) ? '1' : '0']]);
    }
    if ((m = RE.createCheckpoints.exec(txt))) {
      const name = `${m[1]}.${m[2]}.${m[3]}`;
      this.checkpointTable ??= name;
      if (this.checkpointTable !== name) this.violations.push(`a second checkpoint table ${name}`);
      return status(`Table ${m[3]} successfully created.`);
    }
    if ((m = RE.selectCheckpoint.exec(txt))) {
      if (`${m[1]}.${m[2]}.${m[3]}` !== this.checkpointTable) return fail('002003', `SQL compilation error:\nObject '${m[1]}.${m[2]}.${m[3]}' does not exist or not authorized.`, '42S02');
      const cp = this.checkpoints.get(`${scalar('1')}|${scalar('2')}`);
      return ok([{ name: 'SEQUENCE', type: 'fixed' }], cp ? [[String(cp.sequence)]] : []);
    }
    if (txt === 'BEGIN') {
      session.txn ??= { inserts: [], checkpoints: new Map() };
      return status('Statement executed successfully.');
    }
    if (txt === 'COMMIT') {
      if (session.txn) this.commitTxn(session.txn);
      session.txn = null;
      return status('Statement executed successfully.');
    }
    if (txt === 'ROLLBACK') {
      session.txn = null;
      return status('Statement executed successfully.');
    }
    if ((m = RE.insert.exec(txt))) {
      const table = `${m[1]}.${m[2]}.${m[3]}`;
      if (!this.tables.has(table)) return fail('002003', `SQL compilation error:\nTable '${table}' does not exist or not authorized.`, '42S02');
      const result = this.insertRows(txt, m[4]!, m[5]!, b.bindings);
      if (typeof result === 'string') {
        this.violations.push(`INSERT: ${result}`);
        return fail('100038', result, '22018');
      }
      if (session.txn) session.txn.inserts.push({ table, rows: result });
      else this.tables.get(table)!.push(...result);
      return ok([{ name: 'number of rows inserted', type: 'fixed' }], [[String(this.reportInserted ?? result.length)]]);
    }
    const extra = this.extraStatement(session, txt, { queryId, ok, fail });
    if (extra !== undefined) return extra;
    if ((m = RE.mergeCheckpoint.exec(txt))) {
      if (`${m[1]}.${m[2]}.${m[3]}` !== this.checkpointTable) return fail('002003', `SQL compilation error:\nObject '${m[1]}.${m[2]}.${m[3]}' does not exist or not authorized.`, '42S02');
      const key = `${scalar('1')}|${scalar('2')}`;
      const sequence = Number(scalar('3'));
      const rows = Number(scalar('4'));
      if (!Number.isSafeInteger(sequence) || !Number.isSafeInteger(rows)) this.violations.push(`MERGE: SEQUENCE ${scalar('3')} / ROWS ${scalar('4')} not integers`);
      const before = session.txn?.checkpoints.get(key) ?? this.checkpoints.get(key);
      const next: Checkpoint = { sequence, rows: (before?.rows ?? 0) + rows, committedAt: new Date().toISOString() };
      if (session.txn) session.txn.checkpoints.set(key, next);
      else this.checkpoints.set(key, next);
      return ok([{ name: 'number of rows inserted', type: 'fixed' }, { name: 'number of rows updated', type: 'fixed' }], [[before ? '0' : '1', before ? '1' : '0']]);
    }
    this.violations.push(`unrecognised SQL: ${txt.slice(0, 200)}`);
    return fail('001003', `SQL compilation error:\nsyntax error line 1 at position 0 (fake: statement not recognised).`, '42000');
  }

  /**
   * A subclass's answer to a statement the checks above did not recognise (the trimmed SQL text), or undefined to
   * leave it unrecognised. An answer may be a promise.
   */
  protected extraStatement(_session: FakeSqlSession, _sqlText: string, _answer: SqlAnswer): unknown {
    return undefined;
  }

  /** Applies a transaction on COMMIT: its inserted rows, then its checkpoint updates. */
  protected commitTxn(txn: FakeSqlTxn): void {
    for (const ins of txn.inserts) this.tables.get(ins.table)!.push(...ins.rows);
    for (const [k, v] of txn.checkpoints) this.checkpoints.set(k, v);
  }

  /** The rows of an array-bound INSERT, or what is wrong with it. */
  private insertRows(sqlText: string, columnList: string, placeholders: string, bindings: Record<string, Binding> | undefined): Record<string, Cell>[] | string {
    const columns = columnList.split(',').map((c) => c.trim());
    const names: string[] = [];
    for (const c of columns) {
      const m = /^"([A-Z0-9_$]+)"$/.exec(c);
      if (!m) return `column ${c} is not a quoted upper-case identifier`;
      if (!(m[1]! in AMI_READINGS_COLUMNS)) return `invalid identifier '${m[1]}'`;
      names.push(m[1]!);
    }
    const marks = placeholders.split(',').map((p) => p.trim());
    if (marks.length !== names.length || marks.some((p) => p !== '?')) return `${marks.length} placeholders for ${names.length} columns`;
    if (!bindings) return 'no bindings';
    const keys = Object.keys(bindings);
    if (keys.length !== names.length || names.some((_, i) => !(String(i + 1) in bindings))) return `bindings ${keys.join(',')} for ${names.length} columns`;
    let length = -1;
    for (let i = 0; i < names.length; i++) {
      const bind = bindings[String(i + 1)]!;
      if (!Array.isArray(bind.value)) return `binding ${i + 1} is not an array (not an array bind)`;
      if (!['TEXT', 'FIXED', 'REAL', 'BOOLEAN'].includes(bind.type)) return `binding ${i + 1} has type ${bind.type}`;
      if (length === -1) length = bind.value.length;
      if (bind.value.length !== length) return `binding ${i + 1} holds ${bind.value.length} values, binding 1 holds ${length}`;
    }
    const rows: Record<string, Cell>[] = [];
    for (let r = 0; r < length; r++) {
      const row: Record<string, Cell> = {};
      for (let i = 0; i < names.length; i++) {
        const raw = (bindings[String(i + 1)]!.value as (string | null)[])[r];
        const cast = castText(raw ?? null, AMI_READINGS_COLUMNS[names[i]!]!);
        if (cast === undefined) return `Numeric value or timestamp '${String(raw)}' is not recognized for ${names[i]} (${AMI_READINGS_COLUMNS[names[i]!]}) in row ${r + 1} of ${sqlText.slice(0, 40)}...`;
        row[names[i]!] = cast;
      }
      rows.push(row);
    }
    return rows;
  }
}

/** A bound text value as its column type holds it, or undefined when Snowflake would refuse the cast. */
export function castText(raw: string | null, type: ColumnType): Cell | undefined {
  if (raw === null) return null;
  if (typeof raw !== 'string') return undefined;
  switch (type) {
    case 'VARCHAR':
      return raw;
    case 'TIMESTAMP_NTZ':
      return /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,9})?$/.test(raw) ? raw : undefined;
    case 'TIMESTAMP_TZ':
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(raw) && Number.isFinite(Date.parse(raw)) ? new Date(raw).toISOString() : undefined;
    case 'SMALLINT':
      return /^-?\d+$/.test(raw) && Math.abs(Number(raw)) < 32_768 ? Number(raw) : undefined;
    case 'FLOAT':
      return /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : undefined;
    case 'BOOLEAN':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
