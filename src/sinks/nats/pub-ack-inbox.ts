import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** What the stream answered one publish: its PubAck as far as the sink reads it. */
export interface PublishAck {
  readonly duplicate: boolean;
  /** The stream sequence of the message (of its first copy, for a duplicate). */
  readonly seq: number;
}

interface Pending {
  readonly resolve: (ack: PublishAck) => void;
  readonly reject: (error: Error) => void;
  /** When the PubAck is overdue (performance.now() milliseconds). */
  readonly due: number;
}

/**
 * JetStream publishing with the acknowledgements collected in bulk: every message is published as a plain NATS
 * message whose reply subject is `<inbox>.<token>`, and one subscription on `<inbox>.*` receives all the PubAcks and
 * settles each publish by its token. The stream stores and de-duplicates exactly as for `JetStreamClient.publish`
 * (that call is the same message with a reply subject); what this saves is the client's per-request machinery (an
 * error object, a timer and a muxed-request record per publish), which cost more than half the CPU time at 100,000
 * messages. Overdue PubAcks are found by one sweep a fraction of the timeout apart, not a timer per message: tokens
 * are issued in order and all share one timeout, so the overdue ones are always the oldest.
 *
 * A publish rejects when the stream answers with an error (the message is not stored), when no stream listens on the
 * subject (NATS "no responders"), when its PubAck is overdue (the message may or may not be stored: send it again
 * with the same message id), and when the inbox closes.
 */
export class PubAckInbox {
  private readonly prefix: string;
  private readonly subscription: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly connection: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.prefix = `${createInbox()}.`;
    this.subscription = connection.subscribe(`${this.prefix}*`, { callback: (_error, msg) => this.answered(msg) });
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(1_000, timeoutMs >> 2)));
    this.sweeper.unref();
  }

  /** Publishes one message to the stream on `subject`; resolves with its PubAck. */
  publish(subject: string, payload: Uint8Array, headers: MsgHdrs): Promise<PublishAck> {
    const token = (this.next++).toString(36);
    return new Promise<PublishAck>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, due: performance.now() + this.timeoutMs });
      try {
        this.connection.publish(subject, payload, { reply: this.prefix + token, headers });
      } catch (e) {
        this.pending.delete(token);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Rejects whatever still waits and stops listening (the connection stays open). */
  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    this.failAll(new Error('the sink closed before the PubAck came'));
  }

  private answered(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const waiting = this.pending.get(token);
    if (!waiting) return; // overdue and already rejected: the retry with the same message id settles it
    this.pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      waiting.reject(new Error(`no stream listens on the subject (NATS no responders)`));
      return;
    }
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; description?: string } };
    try {
      ack = msg.json();
    } catch {
      waiting.reject(new Error(`unreadable PubAck: ${msg.string().slice(0, 200)}`));
      return;
    }
    if (ack.error) waiting.reject(new Error(`the stream refused the message: ${ack.error.description ?? 'no description'} (${ack.error.code ?? '?'})`));
    else if (typeof ack.seq !== 'number' || !ack.stream) waiting.reject(new Error(`invalid PubAck: ${msg.string().slice(0, 200)}`));
    else waiting.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, waiting] of this.pending) {
      if (waiting.due > now) return;
      this.pending.delete(token);
      waiting.reject(new Error(`no PubAck within ${this.timeoutMs} ms`));
    }
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
