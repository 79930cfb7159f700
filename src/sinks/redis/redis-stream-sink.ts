import { createClient, type RedisClientType } from '@redis/client';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS, flatReading, messageId } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardedJobKey } from '../../scenario/shard.js';
import { backoffDelay, sleep, type BackoffPolicy } from '../../util/backoff.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt } from '../../util/parse-int.js';
import { ReconnectWatch } from '../reconnect-watch.js';
import type { BatchInfo, Sink, SinkContext, SinkResult, SinkStatus } from '../sink.js';
import { SinkState } from '../sink-state.js';
import { checkRedisStream, checkRedisUrl, DEFAULT_REDIS_MAXLEN, DEFAULT_REDIS_STREAM, DEFAULT_REDIS_URL } from './redis-options.js';

export interface RedisStreamSinkOptions {
  /** Server URL, e.g. redis://user:pass@host:6379/0 or rediss://... Default redis://127.0.0.1:6379. */
  readonly url?: string;
  /** The stream key every reading is added to. Default ami:readings. */
  readonly stream?: string;
  /** Entries the stream keeps, approximately (`MAXLEN ~`); 0 keeps all. Default 1,000,000. */
  readonly maxLen?: number;
  /** A consumer group created (from the stream's start) when absent, so consumers can read the job at once. */
  readonly group?: string;
  /** Entries per transaction. Default 5,000: one round trip and one checkpoint per chunk. */
  readonly chunkRows?: number;
  /** How long `open` waits for the connection. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long a lost connection may stay lost (the client reconnects every second) before writes fail. Default 30,000 ms. */
  readonly reconnectTimeoutMs?: number;
  /** Told when the connection is lost ('degraded', the client reconnecting) and when it is back ('recovered'). */
  readonly onStatus?: (status: SinkStatus) => void;
}

export interface RedisStreamSinkResult extends SinkResult {
  readonly stream: string;
  /** Transactions sent again after a lost reply whose fate the checkpoint settled (never applied twice). */
  readonly retries: number;
}

/** Between attempts of a transaction: 100 ms, doubling, at most 2 s (as the acknowledged-publish sinks wait). */
const RETRY: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

/** Where a job stands in the stream: the batch in progress and the rows of it already added. */
interface Progress {
  readonly sequence: number;
  readonly offset: number;
  readonly total: number;
}

/**
 * Adds each reading as one entry of a Redis stream (`XADD <stream> MAXLEN ~ <n> * field value ...`): the flat reading
 * schema as fields (numbers as their shortest round-trip text, `is_outage` as true/false, `event_type` only when there
 * is one) plus `message_id` (meter_id:epoch seconds, the reading's stable key) and `job_id`. Entry ids are Redis's
 * own (time-ordered), so any number of consumer groups can read the stream with XREADGROUP and acknowledge by entry.
 *
 * Delivery (invariant 2), exactly once across a resume: a batch goes in chunks, each one MULTI/EXEC transaction
 * holding its XADDs and the job's progress (`HSET <stream>:forge-checkpoints <job> <sequence>:<offset>:<total>`).
 * Redis applies a transaction whole or not at all, so the progress always says exactly which readings the stream
 * holds. A transaction whose reply is lost (the connection dropped after EXEC) is settled by reading the progress
 * back before anything is sent again; a resumed job starts after `checkpoint` and skips the part of the next batch
 * already added. Trimming (`MAXLEN ~`) drops the oldest entries by design and does not touch the progress. Redis
 * keeps what it holds across its own restart only with persistence (AOF) on: that is the server's setting.
 *
 * Backpressure: `write` resolves when every chunk of its batch is applied, one transaction at a time.
 */
export class RedisStreamSink implements Sink {
  readonly name = 'redis';
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly stream: string;
  private readonly progressKey: string;
  private readonly maxLen: number;
  private readonly group: string | undefined;
  private readonly chunkRows: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnect: ReconnectWatch;
  private client: RedisClientType | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private jobKey = '';
  private jobId = '';
  private readonly state = new SinkState(this);
  private rows = 0;
  private retries = 0;
  private failure: ForgeError | null = null;
  /** On resume: the part of the batch after the checkpoint that the stream already holds. */
  private partial: Progress | null = null;

  constructor(options: RedisStreamSinkOptions = {}) {
    this.url = options.url ?? DEFAULT_REDIS_URL;
    this.shownUrl = checkRedisUrl(this.url);
    this.stream = checkRedisStream(options.stream ?? DEFAULT_REDIS_STREAM);
    this.progressKey = `${this.stream}:forge-checkpoints`;
    this.maxLen = checkInt(options.maxLen ?? DEFAULT_REDIS_MAXLEN, 'redis maxLen', { min: 0 });
    this.group = options.group === undefined ? undefined : checkRedisStream(options.group);
    this.chunkRows = checkInt(options.chunkRows ?? 5_000, 'redis chunkRows', { min: 1, max: 100_000 });
    this.connectTimeoutMs = checkInt(options.connectTimeoutMs ?? 10_000, 'redis connectTimeoutMs', { min: 1 });
    this.reconnect = new ReconnectWatch(checkInt(options.reconnectTimeoutMs ?? 30_000, 'redis reconnectTimeoutMs', { min: 1 }), options.onStatus);
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.jobId = context.jobId;
    this.jobKey = shardedJobKey(context.jobId, context.scenario.shard);
    this.client = await this.connect();
    const type = String(await this.client.sendCommand(['TYPE', this.stream]));
    if (type !== 'stream' && type !== 'none') {
      await this.abort(null);
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, this.stream, `the key holds a ${type}, not a stream`]);
    }
    if (this.group !== undefined) await this.createGroup(this.group);
    const progress = await this.progress();
    if (progress && !context.resume) {
      await this.abort(null);
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, this.stream, `job ${this.jobKey} already added readings to it; resume the job instead of running it again`]);
    }
    this.partial = progress && progress.offset < progress.total ? progress : null;
    this.state.opened();
  }

  /**
   * The last batch the stream holds whole for `jobId`, or null. A batch added in part is not counted: the resumed
   * job sends it again and this sink adds only its missing rows.
   */
  async checkpoint(jobId: string): Promise<number | null> {
    this.state.assertOpen('checkpoint');
    if (jobId !== this.jobId) return null;
    const progress = await this.progress();
    if (!progress) return null;
    const whole = progress.offset >= progress.total ? progress.sequence : progress.sequence - 1;
    return whole >= 0 ? whole : null;
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (this.failure) throw this.failure;
    let from = 0;
    if (this.partial) {
      if (info.sequence === this.partial.sequence) from = this.partial.offset;
      this.partial = null;
    }
    for (let start = from; start < batch.length; start += this.chunkRows) {
      const end = Math.min(batch.length, start + this.chunkRows);
      await this.commit(batch, info.sequence, start, end);
      this.rows += end - start;
    }
  }

  /** Every entry written so far is applied once `write` resolves; this only reports a failure. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    if (this.failure) throw this.failure;
  }

  async close(): Promise<RedisStreamSinkResult> {
    this.state.assertOpen('close');
    if (this.failure) throw this.failure;
    this.state.closing();
    this.reconnect.stop();
    await this.client!.close();
    return { sink: this.name, rows: this.rows, outputs: [`${this.shownUrl} ${this.stream}`], stream: this.stream, retries: this.retries };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state.closing();
    this.reconnect.stop();
    const client = this.client;
    this.client = null;
    try {
      client?.destroy();
    } catch {
      // Already closed: nothing to release.
    }
  }

  /** One chunk as one transaction; a lost reply is settled by the progress it would have written. */
  private async commit(batch: ReadingBatch, sequence: number, start: number, end: number): Promise<void> {
    const fleet = this.fleet!;
    const area = this.area!;
    for (let attempt = 1; ; attempt++) {
      const multi = this.client!.multi();
      for (let row = start; row < end; row++) multi.addCommand(this.entry(batch, row, fleet, area));
      multi.addCommand(['HSET', this.progressKey, this.jobKey, `${sequence}:${end}:${batch.length}`]);
      try {
        await multi.exec();
        return;
      } catch (e) {
        if (!this.state.isOpen) throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'closed while writing']);
        if (this.failure) throw this.failure;
        // Applied or not? The progress is written in the same transaction, so it knows.
        const progress = await this.progress().catch(() => undefined);
        if (progress && progress.sequence === sequence && progress.offset >= end) return;
        if (attempt >= 5) throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `XADD to ${this.stream} failed ${attempt} times: ${errorText(e)}`], { cause: e });
        this.retries++;
        await sleep(backoffDelay(attempt, RETRY));
      }
    }
  }

  private entry(batch: ReadingBatch, row: number, fleet: Fleet, area: ServiceAreaName): string[] {
    const reading = flatReading(batch, row, fleet, area);
    const args = ['XADD', this.stream];
    if (this.maxLen > 0) args.push('MAXLEN', '~', String(this.maxLen));
    args.push('*');
    for (const column of FLAT_COLUMNS) {
      const value = reading[column];
      if (value === null) continue;
      args.push(column, String(value));
    }
    args.push('message_id', messageId(reading.meter_id, batch.tsUtcMs[row]!), 'job_id', this.jobKey);
    return args;
  }

  /** The job's progress in the stream, or null when it added nothing. */
  private async progress(): Promise<Progress | null> {
    const text = await this.client!.sendCommand(['HGET', this.progressKey, this.jobKey]);
    if (text === null || text === undefined) return null;
    const match = /^(\d+):(\d+):(\d+)$/.exec(String(text));
    if (!match) throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, this.stream, `the checkpoint of job ${this.jobKey} in ${this.progressKey} is not one this sink wrote`]);
    return { sequence: Number(match[1]), offset: Number(match[2]), total: Number(match[3]) };
  }

  private async createGroup(group: string): Promise<void> {
    try {
      await this.client!.sendCommand(['XGROUP', 'CREATE', this.stream, group, '0', 'MKSTREAM']);
    } catch (e) {
      // BUSYGROUP: the group exists, which is what was asked.
      if (!/BUSYGROUP/.test(errorText(e))) throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot create consumer group ${group}: ${errorText(e)}`], { cause: e });
    }
  }

  private async connect(): Promise<RedisClientType> {
    let connected = false;
    const client: RedisClientType = createClient({
      url: this.url,
      socket: {
        connectTimeout: this.connectTimeoutMs,
        // Before the first connection: fail open at once (a refused port will not improve); after it: every second.
        reconnectStrategy: (_retries, cause) => (connected ? 1_000 : cause),
      },
    });
    client.on('error', (e: Error) => {
      if (!connected || !this.state.isOpen) return;
      this.reconnect.lost(`connection to Redis lost; reconnecting (${errorText(e)})`, () => {
        this.failure = new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, 'connection lost and not back in time']);
        client.destroy();
      });
    });
    client.on('ready', () => this.reconnect.back());
    try {
      await client.connect();
    } catch (e) {
      try {
        client.destroy();
      } catch {
        // Never connected.
      }
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, errorText(e)], { cause: e });
    }
    connected = true;
    return client;
  }
}
