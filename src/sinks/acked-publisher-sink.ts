import { setMaxListeners } from 'node:events';
import type { ReadingBatch } from '../generator/reading-batch.js';
import { backoffDelay, sleep, type BackoffPolicy } from '../util/backoff.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { AckWindow } from './ack-window.js';
import { ReconnectWatch } from './reconnect-watch.js';
import type { BatchInfo, JobOutcome, Sink, SinkContext, SinkResult, SinkStatus } from './sink.js';
import { SinkState } from './sink-state.js';

/** How an acknowledged-publish sink paces and retries (each sink checks its own options, then passes them here). */
export interface PublisherSettings {
  /** The destination as it may be shown (no password): a connection failure names it. */
  readonly shownUrl: string;
  /** Most publishes awaiting their acknowledgement at once. */
  readonly maxInFlight: number;
  /**
   * Once the window is full, publishing resumes when at most this many are in flight: `maxInFlight - 1` refills one
   * slot at a time, a lower mark sends in bursts (larger socket writes). Never above `maxInFlight - 1`.
   */
  readonly refillAt: number;
  /** Attempts of one publish before the write fails. */
  readonly maxAttempts: number;
  /** How long a lost connection may stay lost (the client reconnecting) before writes fail. */
  readonly reconnectTimeoutMs: number;
  readonly onStatus?: (status: SinkStatus) => void;
}

/** What the base counted, for a sink's `result`. */
export interface PublisherCounts {
  readonly sink: string;
  /** Readings acknowledged, and those the destination already held (`message` returned null). */
  readonly rows: number;
  /** Publishes sent again after a failure, and other retried calls the sink counted with `pause`. */
  readonly retries: number;
  /** The most publishes that awaited an acknowledgement at once (never above `maxInFlight`). */
  readonly peakInFlight: number;
}

/** Between attempts: 100 ms, doubling, at most 2 s. A broker that refused a publish is usually back within seconds. */
const RETRY: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

/**
 * The shared part of the sinks that publish each reading as a message the broker acknowledges (MQTT PUBACKs, JetStream
 * PubAcks, a Kafka producer's acks): a subclass says how to connect, what a row's message is, how to publish one and
 * wait for its acknowledgement, and how to disconnect; this class does the rest the same way for all of them.
 *
 * Delivery (invariant 2): a reading counts as delivered when the broker has acknowledged it. A publish that fails is
 * sent again (the same message) up to `maxAttempts` times with a backoff; the last failure fails the write.
 *
 * Backpressure: at most `maxInFlight` publishes await their acknowledgement at once (AckWindow); `write` resolves when
 * every message of its batch is acknowledged and `acknowledged` (a checkpoint, say) is done, so a slow broker slows
 * the generator. A connection the client lost is reported ('degraded', then 'recovered' through `onStatus`); one lost
 * longer than `reconnectTimeoutMs` fails the write (ReconnectWatch), and the job stops with what was acknowledged.
 */
export abstract class AckedPublisherSink<M, R extends SinkResult> implements Sink {
  protected readonly state = new SinkState(this);
  /** Publishes awaiting their acknowledgement (at most maxInFlight) and the first failure. */
  protected readonly window = new AckWindow();
  private readonly reconnect: ReconnectWatch;
  /** Aborted when the sink closes or aborts: ends any backoff under way. */
  private readonly stopped = new AbortController();
  private rows = 0;
  private retries = 0;

  protected constructor(
    readonly name: string,
    private readonly settings: PublisherSettings,
  ) {
    this.reconnect = new ReconnectWatch(settings.reconnectTimeoutMs, settings.onStatus);
    // Every publish of a full window may be in its backoff at once (a lost connection), each listening for the stop.
    setMaxListeners(settings.maxInFlight + 10, this.stopped.signal);
  }

  /** Connects and checks the destination (FORGE_ERR_SINK_CONNECT, or a refusal); nothing is published before it. */
  protected abstract connect(context: SinkContext): Promise<void>;
  /** One row as a message, or null when the destination already holds it (counted as delivered, not sent). */
  protected abstract message(batch: ReadingBatch, row: number): M | null;
  /** Publishes one message: resolves once the broker acknowledged it, rejects when the publish failed (then retried). */
  protected abstract publish(message: M): Promise<void>;
  /** The message in a failure, e.g. `publish to <topic>`. */
  protected abstract describe(message: M): string;
  /** Ends the connection after `close` drained the window: nothing is in flight. */
  protected abstract disconnect(): Promise<void>;
  /** Drops the connection after a failure, whatever its state (`abort`); a rejection is ignored. */
  protected abstract destroy(): Promise<void>;
  /** The final account `close` returns. */
  protected abstract result(counts: PublisherCounts): R;
  /** After every message of a batch is acknowledged, before `write` resolves (e.g. to record a checkpoint). */
  protected async acknowledged(_info: BatchInfo): Promise<void> {}

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    await this.connect(context);
    this.state.opened();
  }

  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    this.window.check();
    const { maxInFlight, refillAt } = this.settings;
    for (let row = 0; row < batch.length; row++) {
      if (this.window.inFlight >= maxInFlight) await this.window.waitAtMost(refillAt);
      if (this.window.failed) break;
      const message = this.message(batch, row);
      if (message === null) {
        this.rows++;
        continue;
      }
      void this.deliver(message);
    }
    await this.window.drain();
    this.window.check();
    await this.acknowledged(info);
  }

  /** Every message written so far is acknowledged once `write` resolves; this only reports a failure. */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    await this.window.drain();
    this.window.check();
  }

  async close(_outcome?: JobOutcome): Promise<R> {
    this.state.assertOpen('close');
    await this.window.drain();
    this.window.check();
    this.stop();
    await this.disconnect();
    return this.result({ sink: this.name, rows: this.rows, retries: this.retries, peakInFlight: this.window.peakInFlight });
  }

  async abort(_reason: unknown): Promise<void> {
    this.stop();
    this.window.fail(new ForgeError('FORGE_ERR_SINK_STATE', [this.name, 'aborted']));
    await this.destroy().catch(() => undefined);
  }

  /** Counts a retry and waits its backoff (cut short when the sink closes or aborts). */
  protected async pause(attempt: number): Promise<void> {
    this.retries++;
    await sleep(backoffDelay(attempt, RETRY), this.stopped.signal);
  }

  /**
   * The client lost its connection and is reconnecting by itself: the sink is degraded, and fails its writes when the
   * connection stays lost past the reconnect timeout. `detail` is read then, e.g. the client's last error. Ignored
   * unless the sink is open; a repeat while lost changes nothing.
   */
  protected connectionLost(status: string, detail: () => string = () => ''): void {
    if (!this.state.isOpen) return;
    const { shownUrl, reconnectTimeoutMs } = this.settings;
    this.reconnect.lost(status, () =>
      this.window.fail(new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, shownUrl, `connection lost and not back within ${reconnectTimeoutMs} ms${detail()}`])),
    );
  }

  /** The client has its connection back (or never lost it). */
  protected connectionBack(): void {
    this.reconnect.back();
  }

  /** One message through the window: occupies a slot until acknowledged or given up, retrying failed publishes. */
  private async deliver(message: M): Promise<void> {
    this.window.open();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.publish(message);
          this.rows++;
          return;
        } catch (e) {
          if (this.window.failed) return;
          if (attempt >= this.settings.maxAttempts) {
            this.window.fail(new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `${this.describe(message)} failed ${attempt} times: ${errorText(e)}`], { cause: e }));
            return;
          }
          await this.pause(attempt);
          if (this.window.failed) return;
        }
      }
    } finally {
      this.window.settle();
    }
  }

  private stop(): void {
    this.state.closing();
    this.reconnect.stop();
    this.stopped.abort();
  }
}
