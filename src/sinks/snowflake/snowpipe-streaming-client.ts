import { backoffDelay, sleep } from '../../util/backoff.js';
import { ForgeError } from '../../util/forge-error.js';
import { TOKEN_TYPE_HEADER, type SnowflakeAuth } from './snowflake-auth.js';

/**
 * The Snowpipe Streaming REST API (high-performance architecture), as its reference documents it:
 *
 * - `GET  {account}/v2/streaming/hostname` -> `{ "hostname" }`: the account's ingest host.
 * - `POST {account}/oauth/token` (form: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, scope=<ingest host>)
 *   -> `{ "token" }`: a token scoped to the streaming service (key-pair JWTs only, see below).
 * - `PUT  {ingest}/v2/streaming/databases/{db}/schemas/{schema}/pipes/{pipe}/channels/{channel}` (JSON body)
 *   -> `{ next_continuation_token, channel_status: { last_committed_offset_token, ... } }`.
 * - `POST {ingest}/v2/streaming/data/databases/{db}/schemas/{schema}/pipes/{pipe}/channels/{channel}/rows
 *   ?continuationToken=..&offsetToken=..` (NDJSON body, rows at most 4 MB) -> `{ next_continuation_token }`.
 * - `POST {ingest}/v2/streaming/databases/{db}/schemas/{schema}/pipes/{pipe}:bulk-channel-status`
 *   (`{ channel_names: [..] }`) -> `{ channel_statuses: { <name>: {..} } }`, a missing channel absent.
 * - `DELETE {ingest}/v2/streaming/databases/{db}/schemas/{schema}/pipes/{pipe}/channels/{channel}`.
 * Errors come back as `{ code, message }`.
 *
 * Choices where the docs leave room (also in the sink's report):
 * - The ingest host is called with the account URL's protocol (https in production; http only for a local server).
 *   Underscores in the returned host are replaced by hyphens (the docs' known issue for account names with them).
 * - The hostname and scoped-token answers are JSON in the reference but plain text in the cURL tutorial: both are read.
 * - Key-pair JWTs are exchanged for a scoped token, used on the ingest host without a token-type header (the docs'
 *   tutorial; Snowflake then inspects the token). OAuth and SPCS tokens are OAuth tokens already: they are sent to
 *   both hosts as they are, typed OAUTH, without the exchange (documented for a JWT bearer grant only).
 * - The newer tutorial names the append's query parameters startOffsetToken/endOffsetToken; the API reference
 *   names one, offsetToken, which is what this client sends.
 *
 * Retries: 429, 5xx, timeouts and network errors are retried with exponential backoff and jitter (the docs' advice
 * for 429), honouring Retry-After; a 401 renews the credential once (new JWT and scoped token, re-read SPCS file).
 * An append retried after a lost answer carries the same continuation token, so Snowflake's row sequencer can
 * recognise a copy; if the first attempt landed and is taken again, the rows are duplicated (at-least-once).
 */

export interface ChannelStatus {
  readonly channelStatusCode: string | null;
  readonly lastCommittedOffsetToken: string | null;
  /** rows_error_count (open) or rows_errors (bulk status): the docs name the field differently in the two answers. */
  readonly rowsErrors: number;
  readonly lastErrorMessage: string | null;
}

export interface ChannelRef {
  readonly database: string;
  readonly schema: string;
  readonly pipe: string;
  readonly channel: string;
}

export interface SnowpipeClientOptions {
  /** The account URL, e.g. https://myorg-myaccount.snowflakecomputing.com (no trailing slash). */
  readonly accountUrl: string;
  readonly auth: SnowflakeAuth;
  readonly fetch?: typeof fetch;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
}

type Phase = 'connect' | 'write';

interface Call {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly host: 'account' | 'ingest';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly contentType?: string;
  readonly body?: string;
  readonly phase: Phase;
}

const NAME = 'snowflake';
const USER_AGENT = 'flux-data-forge/0.1 (snowpipe-streaming-rest)';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export class SnowpipeStreamingClient {
  private ingestBase: string | null = null;
  private scopedToken: string | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly stop = new AbortController();
  /** Requests sent again after a retryable failure (for the sink's result). */
  retries = 0;

  constructor(private readonly o: SnowpipeClientOptions) {
    this.fetchImpl = o.fetch ?? fetch;
  }

  /** Finds the ingest host and, for key-pair auth, the scoped token. */
  async connect(): Promise<string> {
    const text = await this.call({ operation: 'get hostname', method: 'GET', host: 'account', path: '/v2/streaming/hostname', phase: 'connect' });
    const hostname = field(text, 'hostname');
    if (!hostname) throw new ForgeError('FORGE_ERR_SINK_CONNECT', [NAME, this.o.accountUrl, 'the hostname call returned no ingest host']);
    const protocol = new URL(this.o.accountUrl).protocol;
    this.ingestBase = `${protocol}//${hostname.replace(/^https?:\/\//, '').replace(/\/$/, '').replace(/_/g, '-')}`;
    if (this.o.auth.kind === 'keypair') await this.exchangeScopedToken();
    return this.ingestBase;
  }

  async openChannel(ref: ChannelRef, offsetToken?: string): Promise<{ continuationToken: string; status: ChannelStatus }> {
    const text = await this.call({
      operation: `open channel ${ref.channel}`, method: 'PUT', host: 'ingest', path: channelPath(ref), phase: 'connect',
      contentType: 'application/json', body: JSON.stringify(offsetToken === undefined ? {} : { offset_token: offsetToken }),
    });
    const answer = parseJson(text) as { next_continuation_token?: unknown; channel_status?: Record<string, unknown> } | null;
    const token = answer?.next_continuation_token;
    if (typeof token !== 'string' || token === '') {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [NAME, `open channel ${ref.channel}: the answer has no next_continuation_token`]);
    }
    return { continuationToken: token, status: statusOf(answer?.channel_status ?? {}) };
  }

  /** Appends NDJSON rows; resolves with the next continuation token. */
  async appendRows(ref: ChannelRef, continuationToken: string, rows: string, offsetToken?: string): Promise<string> {
    const query: Record<string, string> = { continuationToken };
    if (offsetToken !== undefined) query.offsetToken = offsetToken;
    const text = await this.call({
      operation: `append rows to channel ${ref.channel}`, method: 'POST', host: 'ingest', phase: 'write',
      path: `${channelPath(ref, '/v2/streaming/data')}/rows`, query, contentType: 'application/x-ndjson', body: rows,
    });
    const next = (parseJson(text) as { next_continuation_token?: unknown } | null)?.next_continuation_token;
    if (typeof next !== 'string' || next === '') throw new ForgeError('FORGE_ERR_SINK_WRITE', [NAME, `append rows to channel ${ref.channel}: the answer has no next_continuation_token`]);
    return next;
  }

  /** The channel's status, or null when Snowflake has no such channel. */
  async channelStatus(ref: ChannelRef, phase: Phase = 'write'): Promise<ChannelStatus | null> {
    const text = await this.call({
      operation: `channel status of ${ref.channel}`, method: 'POST', host: 'ingest', phase,
      path: `${pipePath(ref)}:bulk-channel-status`, contentType: 'application/json', body: JSON.stringify({ channel_names: [ref.channel] }),
    });
    const statuses = (parseJson(text) as { channel_statuses?: Record<string, Record<string, unknown>> } | null)?.channel_statuses ?? {};
    // Names are case-insensitive in paths; the status map is keyed as Snowflake holds the name.
    const key = ref.channel in statuses ? ref.channel : Object.keys(statuses).find((k) => k.toUpperCase() === ref.channel.toUpperCase());
    return key === undefined ? null : statusOf(statuses[key]!);
  }

  async dropChannel(ref: ChannelRef): Promise<void> {
    await this.call({ operation: `drop channel ${ref.channel}`, method: 'DELETE', host: 'ingest', path: channelPath(ref), phase: 'write' });
  }

  /** Cancels requests under way and any backoff; later calls fail at once. */
  abort(): void {
    this.stop.abort();
  }

  private async exchangeScopedToken(): Promise<void> {
    const scope = new URL(this.ingestBase!).host;
    const body = new URLSearchParams({ grant_type: JWT_GRANT, scope }).toString();
    const text = await this.call({
      operation: 'exchange scoped token', method: 'POST', host: 'account', path: '/oauth/token', phase: 'connect',
      contentType: 'application/x-www-form-urlencoded', body,
    });
    const token = field(text, 'token');
    if (!token) throw new ForgeError('FORGE_ERR_SINK_CONNECT', [NAME, this.o.accountUrl, 'the scoped-token exchange returned no token']);
    this.o.auth.remember(token);
    this.scopedToken = token;
  }

  private async headers(call: Call, fresh: boolean): Promise<Record<string, string>> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT };
    if (call.contentType) headers['Content-Type'] = call.contentType;
    if (call.host === 'ingest' && this.o.auth.kind === 'keypair') {
      if (fresh || !this.scopedToken) {
        await this.o.auth.credential(fresh);
        await this.exchangeScopedToken();
      }
      headers.Authorization = `Bearer ${this.scopedToken}`;
    } else {
      const credential = await this.o.auth.credential(fresh);
      headers.Authorization = `Bearer ${credential.token}`;
      headers[TOKEN_TYPE_HEADER] = credential.tokenType;
    }
    return headers;
  }

  /** One documented call with its retries; resolves with the answer's text, or throws a ForgeError. */
  private async call(call: Call): Promise<string> {
    const base = call.host === 'account' ? this.o.accountUrl : this.ingestBase;
    if (base === null) throw new ForgeError('FORGE_ERR_SINK_STATE', [NAME, `${call.operation} before the ingest host is known`]);
    const url = new URL(base + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    let renewed = false;
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      if (this.stop.signal.aborted) throw new ForgeError('FORGE_ERR_SINK_STATE', [NAME, `${call.operation}: aborted`]);
      let response: Response;
      let text: string;
      try {
        const headers = await this.headers(call, fresh);
        fresh = false;
        response = await this.fetchImpl(url, {
          method: call.method,
          headers,
          ...(call.body !== undefined ? { body: call.body } : {}),
          signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.o.requestTimeoutMs)]),
        });
        text = await response.text();
      } catch (e) {
        if (e instanceof ForgeError) throw e;
        if (this.stop.signal.aborted) throw new ForgeError('FORGE_ERR_SINK_STATE', [NAME, `${call.operation}: aborted`]);
        const reason = e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${this.o.requestTimeoutMs} ms` : this.o.auth.scrub(causeText(e));
        if (attempt < this.o.maxAttempts) {
          await this.backoff(attempt, null);
          continue;
        }
        const where = `${call.operation} failed ${attempt} times: ${reason}`;
        throw call.phase === 'connect'
          ? new ForgeError('FORGE_ERR_SINK_CONNECT', [NAME, call.host === 'account' ? this.o.accountUrl : base, where], { cause: e })
          : new ForgeError('FORGE_ERR_SINK_WRITE', [NAME, where], { cause: e });
      }
      if (response.ok) return text;
      const error = this.errorText(response.status, text);
      if ((response.status === 401 || response.status === 403) && !renewed && this.o.auth.kind !== 'oauth') {
        // A JWT or scoped token may have expired, an SPCS token rotated: one more try with a fresh credential.
        renewed = true;
        fresh = true;
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new ForgeError('FORGE_ERR_SINK_CONNECT', [NAME, this.o.accountUrl, `authentication failed (${call.operation}: ${error})`]);
      }
      if ((response.status === 429 || response.status >= 500) && attempt < this.o.maxAttempts) {
        await this.backoff(attempt, response.headers.get('retry-after'));
        continue;
      }
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [NAME, `${call.operation}: ${error}`]);
    }
  }

  /** `HTTP <status> <code>: <message>` from Snowflake's `{ code, message }`, secrets removed, bounded in length. */
  private errorText(status: number, text: string): string {
    const body = parseJson(text) as { code?: unknown; message?: unknown } | null;
    const code = body && body.code !== undefined ? String(body.code) : '';
    const message = body && typeof body.message === 'string' ? body.message : text.trim();
    const shown = this.o.auth.scrub(`${code}${code && message ? ': ' : ''}${message}`).slice(0, 500);
    return `HTTP ${status}${shown ? ` ${shown}` : ''}`;
  }

  private async backoff(attempt: number, retryAfter: string | null): Promise<void> {
    this.retries++;
    // Jitter spreads retries of many clients (the docs' advice for 429); it never touches the data.
    let wait = backoffDelay(attempt, { baseMs: this.o.retryBaseMs, capMs: 10_000, jitter: 'half' });
    const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) wait = Math.max(wait, Math.min(seconds * 1000, 30_000));
    await sleep(wait, this.stop.signal);
  }
}

/** /databases/{db}/schemas/{schema}/pipes/{pipe} under `prefix`, each name a path segment. */
const pipePath = (ref: ChannelRef, prefix = '/v2/streaming'): string =>
  `${prefix}/databases/${encodeURIComponent(ref.database)}/schemas/${encodeURIComponent(ref.schema)}/pipes/${encodeURIComponent(ref.pipe)}`;
const channelPath = (ref: ChannelRef, prefix?: string): string => `${pipePath(ref, prefix)}/channels/${encodeURIComponent(ref.channel)}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A field of a JSON answer, or the whole answer when it is plain text (the tutorial's form). */
function field(text: string, name: string): string | null {
  const json = parseJson(text);
  if (json && typeof json === 'object') {
    const value = (json as Record<string, unknown>)[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  }
  if (typeof json === 'string') return json.trim() || null;
  const plain = text.trim();
  return plain && !/\s/.test(plain) ? plain : null;
}

function statusOf(s: Record<string, unknown>): ChannelStatus {
  const token = s.last_committed_offset_token;
  const errors = Number(s.rows_error_count ?? s.rows_errors ?? 0);
  return {
    channelStatusCode: typeof s.channel_status_code === 'string' ? s.channel_status_code : null,
    lastCommittedOffsetToken: typeof token === 'string' && token !== '' ? token : typeof token === 'number' ? String(token) : null,
    rowsErrors: Number.isFinite(errors) ? errors : 0,
    lastErrorMessage: typeof s.last_error_message === 'string' && s.last_error_message !== '' ? s.last_error_message : null,
  };
}

function causeText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
  return `${e.message || e.name}${inner}`;
}
