import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, flatReading } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardedJobKey } from '../../scenario/shard.js';
import { backoffDelay, sleep, type BackoffPolicy } from '../../util/backoff.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt, readInt } from '../../util/parse-int.js';
import type { BatchInfo, JobOutcome, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { SNOWFLAKE_AUTH_KINDS, SnowflakeAuth, type SnowflakeAuthOptions } from './snowflake-auth.js';
import { SnowpipeStreamingClient, type ChannelRef } from './snowpipe-streaming-client.js';

export interface SnowpipeStreamingSinkOptions {
  /** Account identifier, e.g. `myorg-myaccount` (preferred) or an account locator `xy12345` / `xy12345.us-east-1`. */
  readonly account: string;
  /** Snowflake user; required for key-pair auth (the JWT names it), unused by OAuth and SPCS tokens. */
  readonly user?: string;
  readonly database: string;
  readonly schema: string;
  /** The streaming pipe, e.g. AMI_STREAMING_PIPE from `forge ddl --target snowflake`. */
  readonly pipe: string;
  /** Channel name; default the job id (one channel per job, so a resumed job finds its offset token). */
  readonly channel?: string;
  readonly auth: SnowflakeAuthOptions;
  /**
   * Account URL; default https://<account>.snowflakecomputing.com, or with spcs auth https://$SNOWFLAKE_HOST when
   * that is set (the SPCS docs: the service's OAuth token is for the host Snowflake gives the container).
   */
  readonly url?: string;
  /** For tests only: the fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
  /** How long one HTTP request may take. Default 30,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Attempts of one request on 429, 5xx, timeouts and network errors. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff between attempts, doubled each time (with jitter, at most 10 s). Default 250 ms. */
  readonly retryBaseMs?: number;
  /** How long `flush` waits for Snowflake to commit the last batch sent. Default 120,000 ms. */
  readonly flushTimeoutMs?: number;
  /** NDJSON bytes per append request at most. Default 4,000,000, under the documented 4 MB limit of `rows`. */
  readonly maxRequestBytes?: number;
  /** Drop the channel when a job closes 'completed' (a stopped job keeps it, with its offset token, for resume). Default true. */
  readonly dropChannelOnClose?: boolean;
}

export interface SnowpipeStreamingSinkResult extends SinkResult {
  readonly channel: string;
  /** Append requests sent (a batch over maxRequestBytes takes several). */
  readonly appends: number;
  /** Requests sent again after a 429, 5xx, timeout or network error. */
  readonly retries: number;
  readonly lastCommittedOffsetToken: string | null;
}

/** The documented limit of an append's `rows` payload is 4 MB; the default stays under it whichever MB is meant. */
export const MAX_APPEND_BYTES = 4_000_000;
const SNOWFLAKE_COLUMNS = [...FLAT_COLUMNS.map((c) => c.toUpperCase()), 'EMITTED_AT'] as const;
/** `flush` polls the channel status every 50 ms at first, then less often, at most every second. */
const FLUSH_POLL: BackoffPolicy = { baseMs: 50, capMs: 1_000 };

/**
 * Streams readings into Snowflake through Snowpipe Streaming's REST API (high-performance architecture): rows are
 * the flat reading with the target table's upper-case column names (`forge ddl --target snowflake`: ami_readings,
 * written through its streaming pipe), plus EMITTED_AT for stream jobs, sent as NDJSON on one channel per job.
 *
 * Delivery: each batch's last append carries `offsetToken = String(info.sequence)` (the batch's last tick); `flush`
 * waits until the channel's committed offset token is that token, so a job's "committed" means committed in
 * Snowflake, and `checkpoint` returns it so a resumed stream starts after it. A batch larger than maxRequestBytes is
 * split into several appends and only the last carries the token: the committed token then never names a batch
 * whose rows are not all in, so a resume never skips rows; a crash between parts re-sends the batch's earlier
 * parts (duplicates, never losses). Exactly once per batch through offset tokens; at-least-once for a request
 * retried after a lost answer. Second copies the emitter marks in `batch.redelivery` are sent like any reading: the
 * target table has no enforced key, and the silver layer's de-duplication (or a MERGE) is where copies go.
 *
 * `close` flushes and, after a completed job, drops the channel (the REST API has no separate close); a stopped
 * job keeps its channel and offset token for `--resume`. `abort` cancels requests under way and never throws.
 */
export class SnowpipeStreamingSink implements Sink {
  readonly name = 'snowflake';
  /** The account URL the sink calls (errors and summaries name it; it holds no secret). */
  readonly accountUrl: string;
  private readonly auth: SnowflakeAuth;
  private readonly client: SnowpipeStreamingClient;
  private readonly flushTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly dropChannelOnClose: boolean;
  private ref: ChannelRef | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private continuationToken = '';
  /** A write that failed mid-batch leaves the sink failed: its continuation chain is broken. */
  private readonly state = new SinkState(this);
  private rows = 0;
  private appends = 0;
  private lastSent: string | null = null;
  private lastCommitted: string | null = null;
  private errorsAtOpen = 0;

  constructor(private readonly options: SnowpipeStreamingSinkOptions) {
    const o = options;
    if (!o || typeof o !== 'object') throw invalid('options are required');
    if (typeof o.account !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(o.account)) {
      throw invalid('account must be an account identifier such as myorg-myaccount or xy12345.us-east-1');
    }
    for (const key of ['database', 'schema', 'pipe'] as const) checkName(o[key], key);
    if (o.channel !== undefined) checkName(o.channel, 'channel');
    if (!o.auth || !SNOWFLAKE_AUTH_KINDS.includes(o.auth.kind)) throw invalid(`auth.kind must be one of ${SNOWFLAKE_AUTH_KINDS.join(', ')}`);
    if (o.auth.kind === 'keypair' && (typeof o.user !== 'string' || !/^[^\s.]+$/.test(o.user))) {
      throw invalid('user is required for key-pair auth (a Snowflake user name without spaces or periods)');
    }
    this.accountUrl = checkUrl(o.url ?? defaultAccountUrl(o));
    this.auth = new SnowflakeAuth(o.auth, o.account, o.user ?? '');
    this.flushTimeoutMs = checkInt(o.flushTimeoutMs ?? 120_000, 'snowflake flushTimeoutMs', { min: 1 });
    this.maxRequestBytes = checkInt(o.maxRequestBytes ?? MAX_APPEND_BYTES, 'snowflake maxRequestBytes', { min: 1, max: MAX_APPEND_BYTES });
    this.dropChannelOnClose = o.dropChannelOnClose ?? true;
    this.client = new SnowpipeStreamingClient({
      accountUrl: this.accountUrl,
      auth: this.auth,
      ...(o.fetch ? { fetch: o.fetch } : {}),
      requestTimeoutMs: checkInt(o.requestTimeoutMs ?? 30_000, 'snowflake requestTimeoutMs', { min: 1 }),
      maxAttempts: checkInt(o.maxAttempts ?? 5, 'snowflake maxAttempts', { min: 1, max: 100 }),
      retryBaseMs: checkInt(o.retryBaseMs ?? 250, 'snowflake retryBaseMs', { min: 1 }),
    });
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    // One channel per job and shard: shards of a job never share a channel (or its offset token).
    const channel = this.options.channel ?? checkName(shardedJobKey(context.jobId, context.scenario.shard), 'channel (the job id)');
    const ref: ChannelRef = { database: this.options.database, schema: this.options.schema, pipe: this.options.pipe, channel };
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    await this.client.connect();
    const opened = await this.client.openChannel(ref);
    this.continuationToken = opened.continuationToken;
    this.lastCommitted = opened.status.lastCommittedOffsetToken;
    this.errorsAtOpen = opened.status.rowsErrors;
    this.ref = ref;
    this.state.opened();
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (batch.length === 0) return;
    const fleet = this.fleet!;
    const area = this.area!;
    const token = String(info.sequence);
    let part: string[] = [];
    let bytes = 0;
    try {
      for (let row = 0; row < batch.length; row++) {
        const line = `${JSON.stringify(snowflakeRow(batch, row, fleet, area))}\n`;
        const size = Buffer.byteLength(line);
        if (bytes + size > this.maxRequestBytes && part.length > 0) {
          await this.append(part.join(''));
          part = [];
          bytes = 0;
        }
        part.push(line);
        bytes += size;
      }
      await this.append(part.join(''), token);
    } catch (e) {
      // The continuation chain is broken mid-batch: later writes would not follow on; the job aborts and resumes.
      this.state.failed();
      throw e;
    }
    this.lastSent = token;
    this.rows += batch.length;
  }

  /**
   * Waits until the channel's committed offset token is the last one sent (polling the channel status with backoff,
   * at most flushTimeoutMs). Tokens are compared for equality: nothing is sent after the awaited token, so the
   * channel ends on exactly it, whereas an order on tokens would mistake a reused channel's older, higher token for
   * a commit. Rows Snowflake rejected meanwhile (rows_errors rising) fail the flush: they are not delivered.
   */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    if (this.lastSent === null || this.lastSent === this.lastCommitted) return;
    const deadline = Date.now() + this.flushTimeoutMs;
    for (let poll = 1; ; poll++) {
      const status = await this.client.channelStatus(this.ref!);
      if (status === null) throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `channel ${this.ref!.channel} is gone (dropped or reopened elsewhere) before offset token ${this.lastSent} was committed`]);
      this.lastCommitted = status.lastCommittedOffsetToken;
      if (status.rowsErrors > this.errorsAtOpen) {
        const detail = status.lastErrorMessage ? `: ${this.auth.scrub(status.lastErrorMessage).slice(0, 500)}` : '';
        throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `Snowflake rejected ${status.rowsErrors - this.errorsAtOpen} rows on channel ${this.ref!.channel}${detail}`]);
      }
      if (this.lastCommitted === this.lastSent) return;
      const wait = backoffDelay(poll, FLUSH_POLL);
      if (Date.now() + wait > deadline) {
        throw new ForgeError('FORGE_ERR_SINK_WRITE', [
          this.name,
          `offset token ${this.lastSent} not committed on channel ${this.ref!.channel} within ${this.flushTimeoutMs} ms (committed: ${this.lastCommitted ?? 'none'}, status ${status.channelStatusCode ?? 'unknown'})`,
        ]);
      }
      await sleep(wait);
    }
  }

  /** The channel's last committed offset token as a batch sequence, or null when it holds none. */
  async checkpoint(_jobId: string): Promise<number | null> {
    this.state.assertOpen('checkpoint');
    const status = await this.client.channelStatus(this.ref!);
    const token = status?.lastCommittedOffsetToken ?? null;
    this.lastCommitted = token;
    if (token === null) return null;
    const sequence = readInt(token);
    if (sequence === null || sequence < 0) {
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, `channel ${this.ref!.channel}`, `its last committed offset token is not a batch sequence written by this tool; use another channel`]);
    }
    return sequence;
  }

  async close(outcome?: JobOutcome): Promise<SnowpipeStreamingSinkResult> {
    this.state.assertOpen('close');
    await this.flush();
    const ref = this.ref!;
    if (this.dropChannelOnClose && outcome !== 'stopped') await this.client.dropChannel(ref);
    this.state.closing();
    return {
      sink: this.name,
      rows: this.rows,
      outputs: [`${this.accountUrl} pipe ${ref.database}.${ref.schema}.${ref.pipe} channel ${ref.channel}`],
      channel: ref.channel,
      appends: this.appends,
      retries: this.client.retries,
      lastCommittedOffsetToken: this.lastCommitted,
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state.closing();
    this.client.abort();
  }

  private async append(rows: string, offsetToken?: string): Promise<void> {
    this.continuationToken = await this.client.appendRows(this.ref!, this.continuationToken, rows, offsetToken);
    this.appends++;
  }
}

/** One reading as a row of the Snowflake target table: upper-case column names, EMITTED_AT for stream jobs. */
export function snowflakeRow(batch: ReadingBatch, row: number, fleet: Fleet, area: ServiceAreaName): Record<string, unknown> {
  const flat = flatReading(batch, row, fleet, area) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < FLAT_COLUMNS.length; i++) out[SNOWFLAKE_COLUMNS[i]!] = flat[FLAT_COLUMNS[i]!];
  if (batch.emittedUtcMs) out.EMITTED_AT = new Date(batch.emittedUtcMs[row]!).toISOString();
  return out;
}

function defaultAccountUrl(o: SnowpipeStreamingSinkOptions, env: NodeJS.ProcessEnv = process.env): string {
  const spcsHost = env.SNOWFLAKE_HOST;
  if (o.auth.kind === 'spcs' && spcsHost) return `https://${spcsHost}`;
  return `https://${o.account.toLowerCase()}.snowflakecomputing.com`;
}

const invalid = (problem: string): ForgeError => new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflake ${problem}`]);

/** Database, schema, pipe and channel names travel as URL path segments: plain identifiers only. */
function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_$][A-Za-z0-9_$.-]{0,254}$/.test(value)) {
    throw invalid(`${what} must be a name of letters, digits, '_', '$', '.' or '-' (at most 255)`);
  }
  return value;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('url is not a URL (expected e.g. https://myorg-myaccount.snowflakecomputing.com)');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid(`url must be https:// (or http:// for a local server), not ${parsed.protocol}//`);
  if (parsed.username || parsed.password || parsed.search) throw invalid('url must hold no credentials or query');
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}
