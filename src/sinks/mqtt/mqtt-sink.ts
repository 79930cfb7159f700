import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { MessageBytes } from '../../generator/message-bytes.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt } from '../../util/parse-int.js';
import { AckedPublisherSink, type PublisherCounts } from '../acked-publisher-sink.js';
import type { SinkContext, SinkResult, SinkStatus } from '../sink.js';
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
 *
 * The window, retries, reconnect watching, state and close accounting are AckedPublisherSink's.
 */
export class MqttSink extends AckedPublisherSink<MqttMessage, MqttSinkResult> {
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly topicPrefix: string;
  private readonly connectTimeoutMs: number;
  private readonly clientIdOption: string | undefined;
  private client: MqttClient | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  /** Each reading's payload (the nested record as JSON bytes), and each meter's topic once built. */
  private messages: MessageBytes | null = null;
  private topics: (string | undefined)[] = [];
  private lastError: Error | null = null;

  constructor(options: MqttSinkOptions = {}) {
    const url = options.url ?? DEFAULT_MQTT_URL;
    const shownUrl = checkMqttUrl(url);
    const topicPrefix = checkTopicPrefix(options.topicPrefix ?? DEFAULT_MQTT_TOPIC_PREFIX);
    const maxInFlight = checkInt(options.maxInFlight ?? 500, 'mqtt maxInFlight', { min: 1, max: 65_535 });
    const connectTimeoutMs = checkInt(options.connectTimeoutMs ?? 10_000, 'mqtt connectTimeoutMs', { min: 1 });
    const reconnectTimeoutMs = checkInt(options.reconnectTimeoutMs ?? 30_000, 'mqtt reconnectTimeoutMs', { min: 1 });
    const maxAttempts = checkInt(options.maxAttempts ?? 5, 'mqtt maxAttempts', { min: 1, max: 100 });
    // Refilled one slot at a time: refilling only at half-empty halved throughput against Mosquitto (the pipe ran dry).
    super('mqtt', { shownUrl, maxInFlight, refillAt: maxInFlight - 1, maxAttempts, reconnectTimeoutMs, onStatus: options.onStatus });
    this.url = url;
    this.shownUrl = shownUrl;
    this.topicPrefix = topicPrefix;
    this.connectTimeoutMs = connectTimeoutMs;
    this.clientIdOption = options.clientId;
  }

  protected async connect(context: SinkContext): Promise<void> {
    // Every topic level that comes from data is checked before anything is sent (invariant 5).
    checkTopicLevel(context.scenario.area, 'the service area');
    for (const id of context.fleet.substationIds) checkTopicLevel(id, 'a substation id');
    for (const id of context.fleet.meterIds) checkTopicLevel(id, 'a meter id');
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.messages = new MessageBytes(context.fleet, context.scenario.area);
    this.topics = new Array<string | undefined>(context.fleet.meterIds.length);
    this.client = await this.connectClient(this.clientIdOption ?? `forge-${context.jobId}-${randomUUID().slice(0, 8)}`);
  }

  protected message(batch: ReadingBatch, row: number): MqttMessage {
    const m = batch.meterIndex[row]!;
    let topic = this.topics[m];
    if (topic === undefined) {
      const fleet = this.fleet!;
      topic = readingTopic(this.topicPrefix, this.area!, fleet.substationIds[fleet.substation[m]!]!, fleet.meterIds[m]!);
      this.topics[m] = topic;
    }
    return { topic, payload: this.messages!.of(batch, row) };
  }

  protected publish(message: MqttMessage): Promise<void> {
    return this.send(message.topic, message.payload);
  }

  protected describe(message: MqttMessage): string {
    return `publish to ${message.topic}`;
  }

  /**
   * Sends one message and resolves on its PUBACK. The seam tests use to watch the window; overriding it must keep the
   * contract (resolve once acknowledged, reject when the client refused the publish).
   */
  protected async send(topic: string, payload: Buffer): Promise<void> {
    await this.client!.publishAsync(topic, payload, { qos: 1 });
  }

  /** A graceful end: MQTT.js finishes what is in flight (nothing, after the drain), then sends DISCONNECT. */
  protected async disconnect(): Promise<void> {
    await this.client!.endAsync();
  }

  protected async destroy(): Promise<void> {
    await this.client?.endAsync(true);
  }

  protected result(counts: PublisherCounts): MqttSinkResult {
    return {
      sink: counts.sink,
      rows: counts.rows,
      outputs: [`${this.shownUrl} ${readingTopic(this.topicPrefix, this.area!, '+', '+')}`],
      retries: counts.retries,
      peakInFlight: counts.peakInFlight,
    };
  }

  private connectClient(clientId: string): Promise<MqttClient> {
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

  /** After open: MQTT.js does the reconnecting; the base class reports it and fails writes past the reconnect timeout. */
  private watch(client: MqttClient): void {
    client.on('offline', () => this.connectionLost('connection to the broker lost; reconnecting', () => (this.lastError ? `: ${errorText(this.lastError)}` : '')));
    client.on('connect', () => this.connectionBack());
  }
}

/** One reading as MQTT sends it: its meter's topic and the head-end message as JSON. */
interface MqttMessage {
  readonly topic: string;
  readonly payload: Buffer;
}
