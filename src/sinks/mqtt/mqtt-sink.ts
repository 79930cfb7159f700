import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { recordOf } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { AckWindow } from '../ack-window.js';
import { ForgeError } from '../../util/forge-error.js';
import { ReconnectWatch } from '../reconnect-watch.js';
import type { BatchInfo, Sink, SinkContext, SinkResult, SinkStatus } from '../sink.js';
import { DEFAULT_MQTT_URL, checkMqttUrl } from './mqtt-options.js';
import { checkTopicLevel, checkTopicPrefix, readingTopic } from './mqtt-topic.js';

export const DEFAULT_MQTT_TOPIC_PREFIX = 'ami';

export interface MqttSinkOptions {
  /** Broker URL, e.g. mqtt://user:pass@host:1883 or mqtts://... Default mqtt://127.0.0.1:1883. */
  readonly url?: string;
  /** First level(s) of every topic. Default 'ami'; tests use a per-run prefix. */
  readonly topicPrefix?: string;
  /**
   * Most publishes awaiting their PUBACK at once. Default 500 (MQTT packet ids allow at most 65,535). Bounds what is
   * outstanding on the connection and held in memory (at most this many payloads), so the broker, not a growing
   * client queue, sets the pace.
   */
  readonly maxInFlight?: number;
  /** How long `open` waits for the broker's CONNACK. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long a lost connection may stay lost (MQTT.js reconnects every second) before writes fail. Default 30,000 ms. */
  readonly reconnectTimeoutMs?: number;
  /** Told when the connection is lost ('degraded', the client reconnecting) and when it is back ('recovered'). */
  readonly onStatus?: (status: SinkStatus) => void;
  /** Attempts for a publish the client rejects before the write fails. Default 5. */
  readonly maxAttempts?: number;
  /** MQTT client id. Default `forge-<job id>-<random>`: unique, so two jobs never take over each other's session. */
  readonly clientId?: string;
}

export interface MqttSinkResult extends SinkResult {
  /** Publishes the client rejected and the sink sent again (each counted once in `rows` when acknowledged). */
  readonly retries: number;
  /** The most publishes that were awaiting a PUBACK at once (never above `maxInFlight`). */
  readonly peakInFlight: number;
}

/**
 * Publishes each reading as one MQTT message, QoS 1, to `<prefix>/<area>/<substation_id>/<meter_id>/reading`, the
 * payload the nested AMI head-end message (reading-records.ts) as JSON.
 *
 * Delivery (invariant 2): a reading counts as delivered when the broker has acknowledged it (PUBACK). QoS 1 is
 * at-least-once: MQTT.js keeps unacknowledged publishes and sends them again after a reconnect, and a publish the
 * client rejects is retried here, so a subscriber may see a reading twice; `header.message_id` (meter_id:epoch
 * seconds) is stable and lets it drop the repeat. Clean sessions: nothing is left on the broker after `close`.
 *
 * Backpressure: at most `maxInFlight` publishes await a PUBACK at once; `write` resolves when every message of its
 * batch is acknowledged, so a slow broker slows the generator. A connection that stays lost longer than
 * `reconnectTimeoutMs` fails the write, and the job stops with what was acknowledged.
 *
 * Subscribers: a PUBACK means the broker took the message, not that every subscriber got it. Mosquitto's defaults
 * send a subscriber at most 20 unacknowledged messages (`max_inflight_messages`), queue 1,000 more
 * (`max_queued_messages`) and drop the rest, whatever the publisher's window: measured here, subscribers lost 319 to
 * 1,177 of 20,160 readings of a backfill (MQTT 3.1.1, or 5 without a Receive Maximum). A subscriber that must see a
 * fast backfill should connect with MQTT 5 and declare a large Receive Maximum (then Mosquitto sends instead of
 * queueing, and all 20,160 arrived), or the broker should raise `max_queued_messages`.
 */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly topicPrefix: string;
  private readonly maxInFlight: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly clientIdOption: string | undefined;
  private client: MqttClient | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private rows = 0;
  private retries = 0;
  /** Unacknowledged publishes (at most maxInFlight) and the first failure. */
  private readonly window = new AckWindow();
  private lastError: Error | null = null;
  private readonly reconnect: ReconnectWatch;

  constructor(options: MqttSinkOptions = {}) {
    this.url = options.url ?? DEFAULT_MQTT_URL;
    this.shownUrl = checkMqttUrl(this.url);
    this.topicPrefix = checkTopicPrefix(options.topicPrefix ?? DEFAULT_MQTT_TOPIC_PREFIX);
    this.maxInFlight = positiveInt(options.maxInFlight ?? 500, 'maxInFlight', 65_535);
    this.connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs');
    this.reconnectTimeoutMs = positiveInt(options.reconnectTimeoutMs ?? 30_000, 'reconnectTimeoutMs');
    this.reconnect = new ReconnectWatch(this.reconnectTimeoutMs, options.onStatus);
    this.maxAttempts = positiveInt(options.maxAttempts ?? 5, 'maxAttempts', 100);
    this.clientIdOption = options.clientId;
  }

  async open(context: SinkContext): Promise<void> {
    if (this.state !== 'new') throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `open called on a sink that is ${this.state}`]);
    // Every topic level that comes from data is checked before anything is sent (invariant 5).
    checkTopicLevel(context.scenario.area, 'the service area');
    for (const id of context.fleet.substationIds) checkTopicLevel(id, 'a substation id');
    for (const id of context.fleet.meterIds) checkTopicLevel(id, 'a meter id');
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.client = await this.connect(this.clientIdOption ?? `forge-${context.jobId}-${randomUUID().slice(0, 8)}`);
    this.state = 'open';
  }

  async write(batch: ReadingBatch, _info: BatchInfo): Promise<void> {
    this.checkOpen('write');
    this.window.check();
    const fleet = this.fleet!;
    const area = this.area!;
    for (let row = 0; row < batch.length; row++) {
      // Refilled one slot at a time: refilling only at half-empty halved throughput against Mosquitto (the pipe ran dry).
      await this.window.waitAtMost(this.maxInFlight - 1);
      if (this.window.failed) break;
      const m = batch.meterIndex[row]!;
      const topic = readingTopic(this.topicPrefix, area, fleet.substationIds[fleet.substation[m]!]!, fleet.meterIds[m]!);
      void this.deliver(topic, JSON.stringify(recordOf(batch, row, fleet, area, 'nested')));
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

  async close(): Promise<MqttSinkResult> {
    this.checkOpen('close');
    await this.window.drain();
    this.window.check();
    this.state = 'closed';
    this.reconnect.stop();
    // A graceful end: MQTT.js finishes what is in flight (nothing, after drain), then sends DISCONNECT.
    await this.client!.endAsync();
    return {
      sink: this.name,
      rows: this.rows,
      outputs: [`${this.shownUrl} ${readingTopic(this.topicPrefix, this.area!, '+', '+')}`],
      retries: this.retries,
      peakInFlight: this.window.peakInFlight,
    };
  }

  async abort(_reason: unknown): Promise<void> {
    this.state = 'closed';
    this.reconnect.stop();
    this.window.fail(new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'aborted']));
    const client = this.client;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  /**
   * Sends one message and resolves on its PUBACK. The seam tests use to watch the window; overriding it must keep the
   * contract (resolve once acknowledged, reject when the client refused the publish).
   */
  protected async send(topic: string, payload: string): Promise<void> {
    await this.client!.publishAsync(topic, payload, { qos: 1 });
  }

  /** One message through the window: occupies a slot until acknowledged or given up, retrying rejected publishes. */
  private async deliver(topic: string, payload: string): Promise<void> {
    this.window.open();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.send(topic, payload);
          this.rows++;
          return;
        } catch (e) {
          if (this.window.failed) return;
          if (attempt >= this.maxAttempts) {
            this.window.fail(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `publish to ${topic} failed ${attempt} times: ${errorText(e)}`], { cause: e }));
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

  private connect(clientId: string): Promise<MqttClient> {
    const options: IClientOptions = {
      clientId,
      clean: true,
      protocolVersion: 4,
      connectTimeout: this.connectTimeoutMs,
      reconnectPeriod: 1_000,
      // Nothing is queued while we wait for CONNACK in open: writes start only after it.
      queueQoSZero: false,
    };
    const client = connect(this.url, options);
    return new Promise<MqttClient>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => refuse(`no CONNACK within ${this.connectTimeoutMs} ms${this.lastError ? ` (${errorText(this.lastError)})` : ''}`), this.connectTimeoutMs);
      const refuse = (reason: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('connect', onConnect);
        client.end(true);
        reject(new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, reason], { cause }));
      };
      const onConnect = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.watch(client);
        resolve(client);
      };
      // An error event without a listener would throw; errors also explain a later failure.
      client.on('error', (e: Error) => {
        this.lastError = e;
        // A refused connection, an unknown host or a refused CONNACK will not improve by waiting: fail open at once.
        const code = (e as NodeJS.ErrnoException).code;
        if (!settled && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || typeof code === 'number')) refuse(errorText(e), e);
      });
      client.once('connect', onConnect);
    });
  }

  /** After open: a connection lost for longer than the reconnect timeout fails the sink; MQTT.js does the reconnecting. */
  private watch(client: MqttClient): void {
    client.on('offline', () => {
      if (this.state !== 'open') return;
      this.reconnect.lost('connection to the broker lost; reconnecting', () => {
        const why = this.lastError ? `: ${errorText(this.lastError)}` : '';
        this.window.fail(new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, `connection lost and not back within ${this.reconnectTimeoutMs} ms${why}`]));
      });
    });
    client.on('connect', () => this.reconnect.back());
  }

  private checkOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new ForgeError('FORGE_ERR_SINK_STATE', [this.name, `${operation} called ${this.state === 'new' ? 'before open' : 'after close'}`]);
    }
  }
}

function positiveInt(value: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`mqtt ${what} must be an integer from 1 to ${max}, not ${value}`]);
  }
  return value;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message || e.constructor.name : String(e));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
