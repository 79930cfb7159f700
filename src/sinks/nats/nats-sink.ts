import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { messageId, recordOf } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { AckWindow } from '../ack-window.js';
import { ForgeError } from '../../util/forge-error.js';
import { ReconnectWatch } from '../reconnect-watch.js';
import type { BatchInfo, Sink, SinkContext, SinkResult, SinkStatus } from '../sink.js';
import { DEFAULT_NATS_URL, checkNatsUrl } from './nats-options.js';
import { checkStreamName, checkSubjectPrefix, checkSubjectToken, readingSubject, streamSubjects } from './nats-subject.js';

export const DEFAULT_NATS_STREAM = 'AMI_READINGS';
export const DEFAULT_NATS_SUBJECT_PREFIX = 'ami.readings';
/** The shortest duplicate window the sink accepts: re-sent readings must still be recognised (JetStream's default). */
export const MIN_DUPLICATE_WINDOW_MS = 120_000;

export interface NatsSinkOptions {
  /** Server URL, e.g. nats://user:pass@host:4222. Default nats://127.0.0.1:4222. */
  readonly url?: string;
  /** JetStream stream; created when absent. Default AMI_READINGS. */
  readonly streamName?: string;
  /** Subjects are `<prefix>.<area>`; a created stream captures `<prefix>.>`. Default ami.readings. */
  readonly subjectPrefix?: string;
  /** Duplicate window of a stream the sink creates (and the least it accepts in an existing one). Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Most publishes awaiting their PubAck at once. Default 1,000. Bounds memory and the load on the server. */
  readonly maxPending?: number;
  /** How long `open` waits for the connection. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long one publish waits for its PubAck before it is sent again (same message id). Default 10,000 ms. */
  readonly ackTimeoutMs?: number;
  /** How long a lost connection may stay lost (the client reconnects every second) before writes fail. Default 30,000 ms. */
  readonly reconnectTimeoutMs?: number;
  /** Told when the connection is lost ('degraded', the client reconnecting) and when it is back ('recovered'). */
  readonly onStatus?: (status: SinkStatus) => void;
  /** Attempts for one publish (timeouts, no responders, connection errors) before the write fails. Default 5. */
  readonly maxAttempts?: number;
}

export interface NatsSinkResult extends SinkResult {
  /** Of `rows`, the publishes the stream acknowledged as duplicates: it already held that message id (not stored again). */
  readonly duplicates: number;
  /** Publishes sent again after a failure or a missing PubAck (same message id, so never stored twice). */
  readonly retries: number;
  readonly stream: string;
  readonly subject: string;
}

/**
 * Publishes each reading to a JetStream stream, subject `<prefix>.<area>`, payload the nested AMI head-end message
 * (reading-records.ts) as JSON, with `Nats-Msg-Id` = the reading's stable message id (meter_id:epoch seconds).
 *
 * Delivery (invariant 2): a reading counts as delivered when the stream has acknowledged it (PubAck). A publish whose
 * PubAck does not come is sent again with the same message id, and the stream drops any message id it saw within its
 * duplicate window (at least 2 minutes), so a reading is stored once however often it is sent. A PubAck with
 * `duplicate: true` is a delivery like any other, counted once in `rows` and also in `duplicates` (a re-sent job, or
 * a retry whose first attempt had landed): the stream holds `rows - duplicates` new messages from this sink. A re-run
 * of the same scenario after the duplicate window has passed stores its readings again.
 *
 * Backpressure: at most `maxPending` publishes await a PubAck at once; `write` resolves when all of its batch's acks
 * are in. `open` connects, checks JetStream and the stream before anything is produced, and never changes a stream
 * it did not create.
 */
export class NatsSink implements Sink {
  readonly name = 'nats';
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly streamName: string;
  private readonly subjectPrefix: string;
  private readonly duplicateWindowMs: number;
  private readonly maxPending: number;
  private readonly connectTimeoutMs: number;
  private readonly ackTimeoutMs: number;
  private readonly reconnectTimeoutMs: number;
  private readonly maxAttempts: number;
  private connection: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private subject = '';
  private state: 'new' | 'open' | 'closed' = 'new';
  private rows = 0;
  private duplicates = 0;
  private retries = 0;
  /** Publishes awaiting their PubAck (at most maxPending) and the first failure. */
  private readonly window = new AckWindow();
  private readonly reconnect: ReconnectWatch;

  constructor(options: NatsSinkOptions = {}) {
    this.url = options.url ?? DEFAULT_NATS_URL;
    this.shownUrl = checkNatsUrl(this.url);
    this.streamName = checkStreamName(options.streamName ?? DEFAULT_NATS_STREAM);
    this.subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? DEFAULT_NATS_SUBJECT_PREFIX);
    this.duplicateWindowMs = positiveInt(options.duplicateWindowMs ?? MIN_DUPLICATE_WINDOW_MS, 'duplicateWindowMs');
    if (this.duplicateWindowMs < MIN_DUPLICATE_WINDOW_MS) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`nats duplicateWindowMs must be at least ${MIN_DUPLICATE_WINDOW_MS} (2 minutes), not ${this.duplicateWindowMs}`]);
    }
    this.maxPending = positiveInt(options.maxPending ?? 1_000, 'maxPending', 100_000);
    this.connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs');
    this.ackTimeoutMs = positiveInt(options.ackTimeoutMs ?? 10_000, 'ackTimeoutMs');
    this.reconnectTimeoutMs = positiveInt(options.reconnectTimeoutMs ?? 30_000, 'reconnectTimeoutMs');
    this.reconnect = new ReconnectWatch(this.reconnectTimeoutMs, options.onStatus);
    this.maxAttempts = positiveInt(options.maxAttempts ?? 5, 'maxAttempts', 100);
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    this.subject = readingSubject(this.subjectPrefix, checkSubjectToken(context.scenario.area, 'the service area'));
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: this.url,
        name: `flux-data-forge ${context.jobId}`,
        timeout: this.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
        // Without this every publish builds two Error objects with stack traces up front (for a possible timeout):
        // a third of the CPU time at 100k messages. Failures still say what failed; they lose the caller's stack.
        noAsyncTraces: true,
      });
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, errorText(e)], { cause: e });
    }
    try {
      let jsm: JetStreamManager;
      try {
        jsm = await jetstreamManager(connection, { timeout: this.connectTimeoutMs });
      } catch (e) {
        // The package exports no class for it; the error's name is stable.
        const reason = e instanceof Error && e.name === 'JetStreamNotEnabled' ? 'JetStream is not enabled on this server (start nats-server with -js)' : errorText(e);
        throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, reason], { cause: e });
      }
      await this.ensureStream(jsm);
      this.js = jetstream(connection, { timeout: this.ackTimeoutMs });
    } catch (e) {
      await connection.close().catch(() => undefined);
      throw e;
    }
    this.connection = connection;
    void this.watch(connection);
    this.state = 'open';
  }

  async write(batch: ReadingBatch, _info: BatchInfo): Promise<void> {
    this.checkOpen('write');
    this.window.check();
    const fleet = this.fleet!;
    const area = this.area!;
    for (let row = 0; row < batch.length; row++) {
      // A full window is refilled once half of it is acknowledged, not one slot at a time, so publishes leave in
      // larger socket writes (about 10% faster here); the window is never exceeded either way.
      if (this.window.inFlight >= this.maxPending) await this.window.waitAtMost(this.maxPending >> 1);
      if (this.window.failed) break;
      const id = messageId(fleet.meterIds[batch.meterIndex[row]!]!, batch.tsUtcMs[row]!);
      void this.deliver(JSON.stringify(recordOf(batch, row, fleet, area, 'nested')), id);
    }
    await this.window.drain();
    this.window.check();
  }

  /** Every message written so far is acknowledged once `write` resolves; this only reports a failure. */
  async flush(): Promise<void> {
    this.checkOpen('flush');
    await this.window.drain();
    this.window.check();
  }

  async close(): Promise<NatsSinkResult> {
    this.checkOpen('close');
    await this.window.drain();
    this.window.check();
    this.state = 'closed';
    this.reconnect.stop();
    await this.connection!.drain();
    return {
      sink: this.name,
      rows: this.rows,
      outputs: [`${this.shownUrl} stream ${this.streamName} subject ${this.subject}`],
      duplicates: this.duplicates,
      retries: this.retries,
      stream: this.streamName,
      subject: this.subject,
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state = 'closed';
    this.reconnect.stop();
    this.window.fail(new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'aborted']));
    const connection = this.connection;
    if (connection && !connection.isClosed()) await connection.close().catch(() => undefined);
  }

  /**
   * Publishes one message and resolves with the stream's PubAck: the seam tests use to watch the window. Overriding
   * it must keep the contract (resolve once acknowledged, reject when the publish failed or timed out).
   */
  protected async send(subject: string, payload: string, msgID: string): Promise<{ duplicate: boolean }> {
    return this.js!.publish(subject, payload, { msgID });
  }

  /** One message through the window: occupies a slot until acknowledged or given up; retries keep the message id. */
  private async deliver(payload: string, msgID: string): Promise<void> {
    this.window.open();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const ack = await this.send(this.subject, payload, msgID);
          this.rows++;
          if (ack.duplicate) this.duplicates++;
          return;
        } catch (e) {
          if (this.window.failed) return;
          if (attempt >= this.maxAttempts) {
            this.window.fail(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `publish of ${msgID} to ${this.subject} failed ${attempt} times: ${errorText(e)}`], { cause: e }));
            return;
          }
          this.retries++;
          await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
          if (this.window.failed) return;
        }
      }
    } finally {
      this.window.settle();
    }
  }

  /**
   * Uses the named stream if it captures the sink's subject with a long enough duplicate window, creates it when
   * absent, and refuses anything else (another stream holding the subject, a short window) without changing it.
   */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const where = `stream ${this.streamName} on ${this.shownUrl}`;
    let info: StreamInfo | null = null;
    try {
      info = await jsm.streams.info(this.streamName);
    } catch (e) {
      if (!isNotFound(e)) throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, `cannot read ${where}: ${errorText(e)}`], { cause: e });
    }
    const capturing = await this.streamCapturing(jsm);
    if (capturing !== null && capturing !== this.streamName) {
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, `subject ${this.subject}`, `it is captured by stream ${capturing}, not ${this.streamName}; choose that stream or another subject prefix`]);
    }
    if (info === null) {
      try {
        info = await jsm.streams.add({ name: this.streamName, subjects: [streamSubjects(this.subjectPrefix)], duplicate_window: nanos(this.duplicateWindowMs) });
      } catch (e) {
        // Another job may have created it at the same moment; then it is checked like any existing stream.
        info = await jsm.streams.info(this.streamName).catch(() => {
          throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot create ${where}: ${errorText(e)}`], { cause: e });
        });
      }
    }
    const holder = capturing ?? (await this.streamCapturing(jsm));
    if (holder !== this.streamName) {
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, where, `its subjects (${info.config.subjects?.join(', ') ?? 'none'}) do not capture ${this.subject}`]);
    }
    const windowMs = (info.config.duplicate_window ?? 0) / 1e6;
    if (windowMs < this.duplicateWindowMs) {
      throw new ForgeError('FORGE_ERR_STREAM_CONFLICT', [this.name, where, `its duplicate window is ${windowMs / 1000} s; re-sent readings are only recognised within at least ${this.duplicateWindowMs / 1000} s`]);
    }
  }

  /** The stream that stores the sink's subject, or null when none does. */
  private async streamCapturing(jsm: JetStreamManager): Promise<string | null> {
    try {
      return await jsm.streams.find(this.subject);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, `cannot look up the stream of ${this.subject}: ${errorText(e)}`], { cause: e });
    }
  }

  /** After open: a connection lost for longer than the reconnect timeout fails the sink; the client does the reconnecting. */
  private async watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' && this.state === 'open') {
        this.reconnect.lost('connection to the server lost; reconnecting', () =>
          this.window.fail(new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, `connection lost and not back within ${this.reconnectTimeoutMs} ms`])),
        );
      } else if (status.type === 'reconnect') {
        this.reconnect.back();
      }
    }
  }

  private checkOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${this.state === 'new' ? 'before open' : 'after close'}`]);
    }
  }
}

const isNotFound = (e: unknown): boolean => e instanceof JetStreamApiError && (e.name === 'StreamNotFoundError' || e.code === 10059);

function positiveInt(value: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`nats ${what} must be an integer from 1 to ${max}, not ${value}`]);
  }
  return value;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message || e.constructor.name : String(e));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
