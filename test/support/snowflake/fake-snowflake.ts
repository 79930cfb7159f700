import { createHash, createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Snowflake's Snowpipe Streaming REST API (high-performance architecture), following its
 * reference: an account host (GET /v2/streaming/hostname, POST /oauth/token) and a separate ingest host (open,
 * append rows, bulk channel status, drop channel), each a node:http server on 127.0.0.1. It checks what the docs
 * require (method, path, Authorization and token type, Content-Type, query parameters, body shapes, the 4 MB rows
 * limit, continuation tokens) and answers as documented, errors as `{ code, message }`. Anything a request gets wrong
 * is also kept in `violations`, so a test can assert there were none.
 *
 * Commits follow the docs' channel model: rows are committed to the pipe's target table in the order a channel
 * received them, and the channel's last committed offset token moves with them. Here a commit happens on a status
 * poll (after `commitAfterPolls` polls of an appended offset token) and takes every row the channel has received so
 * far; `committedRows` is what a query of the target table would find. Committed rows stay when their channel is
 * dropped; rows not yet committed go with it.
 *
 * Key-pair JWTs are verified here without the sink's code: the fingerprint is taken from the public key's PEM text
 * (base64 DER SubjectPublicKeyInfo -> SHA-256 -> base64), the signature with node:crypto's verify.
 */

export type FakeAuth =
  | { readonly kind: 'keypair'; readonly publicKeyPem: string; readonly account: string; readonly user: string }
  | { readonly kind: 'oauth'; readonly token: string };

export interface RecordedRequest {
  readonly host: 'account' | 'ingest';
  readonly method: string;
  /** The path as sent (still percent-encoded). */
  readonly rawPath: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

export interface FakeChannel {
  readonly name: string;
  sequencer: number;
  rowSequence: number;
  committed: string | null;
  /** An offset token appended but not yet committed, and the status polls it has seen. */
  pending: string | null;
  polls: number;
  /** Every row the channel received, committed or not. */
  readonly rows: Record<string, unknown>[];
  /** Rows received and not yet committed to the target table, in order. */
  uncommitted: Record<string, unknown>[];
  rowsErrors: number;
  lastErrorMessage: string;
}

export interface Fault {
  readonly match: (r: { host: 'account' | 'ingest'; method: string; path: string }) => boolean;
  /** An HTTP status to answer, 'reset' to destroy the connection unanswered, 'hang' never to answer. */
  readonly status: number | 'reset' | 'hang';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  times: number;
}

export const JWT_INVALID = { code: '390144', message: 'JWT token is invalid.' };
export const MAX_ROWS_BYTES = 4 * 1024 * 1024;

export class FakeSnowflake {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly channels = new Map<string, FakeChannel>();
  /** Rows each pipe has committed to its target table, by pipe (DB.SCHEMA.PIPE, upper case). */
  readonly tables = new Map<string, Record<string, unknown>[]>();
  readonly faults: Fault[] = [];
  /** Pipes that exist, as DB.SCHEMA.PIPE (names are case-insensitive). */
  readonly pipes = new Set<string>(['FORGE.AMI.AMI_STREAMING_PIPE']);
  /** Status polls an appended offset token waits before it is committed. */
  commitAfterPolls = 0;
  /** Answer the hostname and token calls as plain text (the cURL tutorial's form) instead of JSON (the reference's). */
  plainTextAnswers = false;
  readonly scopedTokens = new Set<string>();
  accountUrl = '';
  /** The ingest host as the client reaches it (127.0.0.1:<port>). */
  ingestHost = '';
  /** The host name the hostname call answers, when not ingestHost (e.g. one with underscores, the docs' known issue). */
  advertisedHost: string | null = null;
  private readonly fingerprint: string | null = null;
  private readonly publicKey: KeyObject | null = null;

  private constructor(
    readonly auth: FakeAuth,
    private readonly account: Server,
    private readonly ingest: Server,
  ) {
    if (auth.kind === 'keypair') {
      const der = Buffer.from(auth.publicKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      this.fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64')}`;
      this.publicKey = createPublicKey(auth.publicKeyPem);
    }
  }

  static async start(auth: FakeAuth): Promise<FakeSnowflake> {
    let fake: FakeSnowflake | null = null;
    const handler = (host: 'account' | 'ingest') => (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake!.handle(host, req, Buffer.concat(chunks).toString('utf8'), res));
    };
    const account = createServer(handler('account'));
    const ingest = createServer(handler('ingest'));
    fake = new FakeSnowflake(auth, account, ingest);
    await Promise.all([listen(account), listen(ingest)]);
    fake.accountUrl = `http://127.0.0.1:${(account.address() as AddressInfo).port}`;
    fake.ingestHost = `127.0.0.1:${(ingest.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    await Promise.all([this.account, this.ingest].map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
  }

  /** The channel `name` of the default pipe (case-insensitive), if it exists. */
  channel(name: string, pipe = 'FORGE.AMI.AMI_STREAMING_PIPE'): FakeChannel | undefined {
    return this.channels.get(`${pipe}.${name}`.toUpperCase());
  }

  /** The rows the pipe has committed to its target table: what a query of that table finds. */
  committedRows(pipe = 'FORGE.AMI.AMI_STREAMING_PIPE'): readonly Record<string, unknown>[] {
    return this.tables.get(pipe.toUpperCase()) ?? [];
  }

  /** Creates a channel holding a committed offset token (a job that ran before). */
  seedChannel(name: string, committed: string | null, pipe = 'FORGE.AMI.AMI_STREAMING_PIPE'): FakeChannel {
    const ch: FakeChannel = { name, sequencer: 0, rowSequence: 0, committed, pending: null, polls: 0, rows: [], uncommitted: [], rowsErrors: 0, lastErrorMessage: '' };
    this.channels.set(`${pipe}.${name}`.toUpperCase(), ch);
    return ch;
  }

  requestsTo(host: 'account' | 'ingest'): RecordedRequest[] {
    return this.requests.filter((r) => r.host === host);
  }

  private handle(host: 'account' | 'ingest', req: IncomingMessage, body: string, res: ServerResponse): void {
    const [rawPath = '', search = ''] = (req.url ?? '').split('?');
    const query = Object.fromEntries(new URLSearchParams(search));
    const method = req.method ?? '';
    const answer = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ host, method, rawPath, query, headers: req.headers, body, status });
      const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, { 'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json', ...headers });
      res.end(text);
    };
    const reject = (status: number, code: string, message: string): void => {
      this.violations.push(`${method} ${rawPath}: ${code} ${message}`);
      answer(status, { code, message });
    };
    const path = rawPath.split('/').map((s) => decodeURIComponent(s)).join('/');

    const fault = this.faults.find((f) => f.times > 0 && f.match({ host, method, path }));
    if (fault) {
      fault.times--;
      if (fault.status === 'reset' || fault.status === 'hang') {
        this.requests.push({ host, method, rawPath, query, headers: req.headers, body, status: 0 });
        if (fault.status === 'reset') req.socket.destroy();
        return;
      }
      answer(fault.status, fault.body, fault.headers);
      return;
    }
    const authProblem = this.checkAuth(host, req.headers);
    if (authProblem) {
      this.requests.push({ host, method, rawPath, query, headers: req.headers, body, status: 401 });
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ...JWT_INVALID, message: `${JWT_INVALID.message} ${authProblem}` }));
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();

    if (host === 'account') {
      if (method === 'GET' && path === '/v2/streaming/hostname') {
        if (body !== '') return reject(400, 'BAD_REQUEST', 'get hostname takes no body');
        const hostname = this.advertisedHost ?? this.ingestHost;
        return answer(200, this.plainTextAnswers ? hostname : { hostname });
      }
      if (method === 'POST' && path === '/oauth/token') {
        if (contentType !== 'application/x-www-form-urlencoded') return reject(400, 'BAD_REQUEST', `token exchange needs application/x-www-form-urlencoded, not ${contentType}`);
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return reject(400, 'BAD_REQUEST', 'grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer');
        // The docs: an ingest host with underscores is used with hyphens instead, the scope included.
        const scope = (this.advertisedHost ?? this.ingestHost).replace(/_/g, '-');
        if (form.get('scope') !== scope) return reject(400, 'BAD_REQUEST', `scope must be the ingest host ${scope}, not ${form.get('scope')}`);
        if (this.auth.kind !== 'keypair') return reject(400, 'BAD_REQUEST', 'scoped tokens are exchanged for key-pair JWTs');
        const token = `scoped-${randomUUID()}`;
        this.scopedTokens.add(token);
        return answer(200, this.plainTextAnswers ? token : { token });
      }
      return reject(404, 'NOT_FOUND', `no ${method} ${path} on the account host`);
    }

    const channelMatch = /^\/v2\/streaming\/(data\/)?databases\/([^/]+)\/schemas\/([^/]+)\/pipes\/([^/]+)\/channels\/([^/]+)(\/rows)?$/.exec(path);
    const statusMatch = /^\/v2\/streaming\/databases\/([^/]+)\/schemas\/([^/]+)\/pipes\/([^/]+):bulk-channel-status$/.exec(path);
    if (statusMatch && method === 'POST') {
      const pipe = this.pipeOf(statusMatch[1]!, statusMatch[2]!, statusMatch[3]!);
      if (!pipe) return reject(404, 'ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED', 'pipe not found');
      if (contentType !== 'application/json') return reject(400, 'BAD_REQUEST', `bulk status needs application/json, not ${contentType}`);
      const parsed = parse(body) as { channel_names?: unknown } | null;
      if (!parsed || !Array.isArray(parsed.channel_names) || !parsed.channel_names.every((n) => typeof n === 'string') || Object.keys(parsed).length !== 1) {
        return reject(400, 'BAD_REQUEST', 'body must be {"channel_names": [string, ...]}');
      }
      const statuses: Record<string, unknown> = {};
      for (const name of parsed.channel_names as string[]) {
        const ch = this.channels.get(`${pipe}.${name}`.toUpperCase());
        if (!ch) continue;
        if ((ch.pending !== null || ch.uncommitted.length > 0) && ++ch.polls > this.commitAfterPolls) this.commit(ch, pipe);
        statuses[name] = this.statusOf(ch, pipe, 'rows_errors');
      }
      return answer(200, { channel_statuses: statuses });
    }
    if (!channelMatch) return reject(404, 'NOT_FOUND', `no ${method} ${path} on the ingest host`);
    const [, data, db, schema, pipeName, channelName, rowsSuffix] = channelMatch;
    const pipe = this.pipeOf(db!, schema!, pipeName!);
    if (!pipe) return reject(404, 'ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED', 'pipe not found');
    const key = `${pipe}.${channelName}`.toUpperCase();

    if (!data && !rowsSuffix && method === 'PUT') {
      if (contentType !== 'application/json') return reject(400, 'BAD_REQUEST', `open channel needs application/json, not ${contentType}`);
      const parsed = parse(body);
      if (!parsed || typeof parsed !== 'object' || Object.keys(parsed).some((k) => k !== 'offset_token')) return reject(400, 'BAD_REQUEST', 'open channel body is {"offset_token"?: string}');
      if (Object.keys(query).some((k) => k !== 'requestId')) return reject(400, 'BAD_REQUEST', `unknown query parameters ${Object.keys(query).join(', ')}`);
      let ch = this.channels.get(key);
      if (!ch) ch = this.seedChannel(channelName!, null, pipe);
      // Reopening bumps the client sequencer: continuation tokens of earlier opens become stale.
      ch.sequencer++;
      const offset = (parsed as { offset_token?: unknown }).offset_token;
      if (typeof offset === 'string') ch.committed = offset;
      return answer(200, { next_continuation_token: token(ch), channel_status: this.statusOf(ch, pipe, 'rows_error_count') });
    }
    if (!data && !rowsSuffix && method === 'DELETE') {
      if (!this.channels.delete(key)) return reject(404, 'ERR_CHANNEL_DOES_NOT_EXIST_OR_IS_NOT_AUTHORIZED', 'channel not found');
      return answer(200, {});
    }
    if (data && rowsSuffix && method === 'POST') {
      const ch = this.channels.get(key);
      if (!ch) return reject(404, 'ERR_CHANNEL_DOES_NOT_EXIST_OR_IS_NOT_AUTHORIZED', 'channel not found');
      if (contentType !== 'application/x-ndjson') return reject(400, 'BAD_REQUEST', `append rows needs application/x-ndjson, not ${contentType}`);
      const unknown = Object.keys(query).filter((k) => !['continuationToken', 'offsetToken', 'requestId'].includes(k));
      if (unknown.length > 0) return reject(400, 'BAD_REQUEST', `unknown query parameters ${unknown.join(', ')}`);
      if (!query.continuationToken) return reject(400, 'BAD_REQUEST', 'continuationToken is required');
      const [seq, rowSeq] = query.continuationToken.split('-').slice(1).map(Number);
      if (seq !== ch.sequencer) return answer(400, { code: 'STALE_CONTINUATION_TOKEN_SEQUENCER', message: 'Channel sequencer in the continuation token is stale. Please reopen the channel' });
      if (rowSeq !== ch.rowSequence) return reject(400, 'INVALID_CONTINUATION_TOKEN', 'continuation token out of order');
      if (Buffer.byteLength(body) > MAX_ROWS_BYTES) return reject(413, 'REQUEST_TOO_LARGE', 'rows payload over 4 MB');
      if (body === '' || !body.endsWith('\n')) return reject(400, 'BAD_REQUEST', 'each NDJSON row must end with a newline');
      const rows: Record<string, unknown>[] = [];
      for (const line of body.slice(0, -1).split('\n')) {
        const row = parse(line.replace(/\r$/, ''));
        if (!row || typeof row !== 'object' || Array.isArray(row)) return reject(400, 'BAD_REQUEST', 'a row is not a JSON object');
        rows.push(row as Record<string, unknown>);
      }
      ch.rows.push(...rows);
      ch.uncommitted.push(...rows);
      ch.rowSequence++;
      if (query.offsetToken !== undefined) {
        ch.pending = query.offsetToken;
        ch.polls = 0;
      }
      return answer(200, { next_continuation_token: token(ch) });
    }
    return reject(405, 'METHOD_NOT_ALLOWED', `${method} ${path}`);
  }

  /** Commits everything the channel received so far to the pipe's table, with its last offset token. */
  private commit(ch: FakeChannel, pipe: string): void {
    let table = this.tables.get(pipe);
    if (!table) this.tables.set(pipe, (table = []));
    for (const row of ch.uncommitted) table.push(row);
    ch.uncommitted = [];
    if (ch.pending !== null) ch.committed = ch.pending;
    ch.pending = null;
  }

  private pipeOf(db: string, schema: string, pipe: string): string | null {
    const name = `${db}.${schema}.${pipe}`.toUpperCase();
    return this.pipes.has(name) ? name : null;
  }

  private statusOf(ch: FakeChannel, pipe: string, errorsField: 'rows_error_count' | 'rows_errors'): Record<string, unknown> {
    const [database_name, schema_name, pipe_name] = pipe.split('.');
    return {
      database_name, schema_name, pipe_name, channel_name: ch.name, channel_status_code: 'ACTIVE',
      last_committed_offset_token: ch.committed, created_on_ms: 0, rows_inserted: ch.rows.length - ch.uncommitted.length, rows_parsed: ch.rows.length,
      [errorsField]: ch.rowsErrors, last_error_offset_upper_bound: null, last_error_message: ch.lastErrorMessage, last_error_timestamp: null,
      snowflake_avg_processing_latency_ms: 5,
    };
  }

  /** Undefined when the request may pass; else what is wrong with its credentials. */
  private checkAuth(host: 'account' | 'ingest', headers: IncomingHttpHeaders): string | undefined {
    const authorization = headers.authorization ?? '';
    if (!authorization.startsWith('Bearer ')) return 'no Bearer token';
    const bearer = authorization.slice('Bearer '.length);
    const type = headers['x-snowflake-authorization-token-type'];
    if (this.auth.kind === 'oauth') {
      if (type !== undefined && type !== 'OAUTH') return `token type ${String(type)} for an OAuth token`;
      return bearer === this.auth.token ? undefined : 'unknown OAuth token';
    }
    if (host === 'ingest') {
      if (type !== undefined && type !== 'OAUTH') return `token type ${String(type)} on the ingest host`;
      return this.scopedTokens.has(bearer) ? undefined : 'not a scoped token';
    }
    if (type !== undefined && type !== 'KEYPAIR_JWT') return `token type ${String(type)} for a key-pair JWT`;
    return this.checkJwt(bearer);
  }

  private checkJwt(jwt: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'not a JWT';
    const header = parse(Buffer.from(parts[0]!, 'base64url').toString()) as { alg?: string; typ?: string } | null;
    const payload = parse(Buffer.from(parts[1]!, 'base64url').toString()) as { iss?: string; sub?: string; iat?: number; exp?: number } | null;
    if (header?.alg !== 'RS256') return 'alg must be RS256';
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey!, Buffer.from(parts[2]!, 'base64url'))) return 'bad signature';
    const auth = this.auth as Extract<FakeAuth, { kind: 'keypair' }>;
    const qualified = `${auth.account}.${auth.user}`;
    if (payload?.sub !== qualified) return `sub must be ${qualified}`;
    if (payload.iss !== `${qualified}.${this.fingerprint}`) return 'iss must be <ACCOUNT>.<USER>.SHA256:<fingerprint>';
    const now = Date.now() / 1000;
    if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number') return 'iat and exp are required';
    if (payload.iat > now + 60 || payload.exp <= now || payload.exp - payload.iat > 3600) return 'iat/exp out of range (at most one hour)';
    return undefined;
  }
}

const token = (ch: FakeChannel): string => `ct-${ch.sequencer}-${ch.rowSequence}`;

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const listen = (server: Server): Promise<void> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
