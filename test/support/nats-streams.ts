import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { CHECKPOINT_BUCKET } from '../../src/sinks/nats/nats-checkpoint-store.js';
import { NatsSink, type NatsSinkOptions, type PublishAck } from '../../src/sinks/nats/nats-sink.js';
import { runId } from './brokers.js';

/**
 * JetStream streams for the NATS exactly-once tests: each test makes its own stream with a one-second duplicate window
 * (the sink accepts it only under FORGE_TESTING_NATS_MIN_DUPLICATE_WINDOW_MS), so "a resume later than the window"
 * takes seconds, not minutes; a probe message shows when the window has really passed.
 */

/** The duplicate window of the test streams. */
export const SHORT_WINDOW_MS = 1_000;

export interface TestStream {
  readonly streamName: string;
  readonly subjectPrefix: string;
}

/** A stream of this test only, capturing `<prefix>.>`, whose duplicate window is one second. */
export async function shortWindowStream(jsm: JetStreamManager): Promise<TestStream> {
  const id = runId();
  const names = { streamName: `FORGE_EO_${id}`, subjectPrefix: `forge-eo-${id}.ami.readings` };
  await jsm.streams.add({ name: names.streamName, subjects: [`${names.subjectPrefix}.>`], duplicate_window: nanos(SHORT_WINDOW_MS) });
  return names;
}

/** Deletes the stream and the checkpoints the sink recorded for it. */
export async function removeStream(jsm: JetStreamManager, streamName: string): Promise<void> {
  await jsm.streams.delete(streamName).catch(() => false);
  await jsm.streams.purge(`KV_${CHECKPOINT_BUCKET}`, { filter: `$KV.${CHECKPOINT_BUCKET}.${streamName}.>` }).catch(() => undefined);
}

/**
 * Resolves once the stream no longer recognises a message id sent now: a probe id (on a subject of its own) is sent
 * again until the stream stores it as new. The server forgets ids on a timer, so this polls rather than sleeps.
 */
export async function waitPastDuplicateWindow(nc: NatsConnection, stream: TestStream, timeoutMs = 30_000): Promise<void> {
  const js = jetstream(nc);
  const subject = `${stream.subjectPrefix}.PROBE`;
  const msgID = `probe-${runId()}`;
  await js.publish(subject, 'probe', { msgID });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await sleep(250);
    if (!(await js.publish(subject, 'probe', { msgID })).duplicate) return;
  }
  throw new Error(`the duplicate window of ${stream.streamName} did not pass within ${timeoutMs} ms`);
}

export interface SubjectContents {
  /** Messages on the subject. */
  readonly messages: number;
  /** Distinct `Nats-Msg-Id`s among them. */
  readonly ids: Set<string>;
}

/** What the stream holds on one subject, read headers only. */
export async function subjectContents(nc: NatsConnection, jsm: JetStreamManager, streamName: string, subject: string): Promise<SubjectContents> {
  const info = await jsm.streams.info(streamName, { subjects_filter: subject });
  const total = info.state.subjects?.[subject] ?? 0;
  const ids = new Set<string>();
  if (total === 0) return { messages: 0, ids };
  const consumer = await jetstream(nc).consumers.get(streamName, { filter_subjects: subject, headers_only: true });
  let messages = 0;
  while (messages < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(10_000, total - messages), expires: 10_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      messages++;
      ids.add(m.headers?.get('Nats-Msg-Id') ?? `(no id, seq ${m.seq})`);
    }
    if (got === 0) throw new Error(`read ${messages} of ${total} messages of ${subject}, then nothing`);
  }
  return { messages, ids };
}

/**
 * A NatsSink that kills itself (abort: the connection closes with publishes in flight, like kill -9) when its
 * `killAt`-th message leaves (retries not counted). With `holeEvery`, every so many messages after the first
 * `holesFrom` is held back (refused for its first attempts, as publishes failing while later ones land): what the
 * killed run leaves is then not a prefix of its batch. Use `maxAttempts` above 6 with holes.
 */
export class KilledNatsSink extends NatsSink {
  private sends = 0;
  /** Message id -> attempts refused. */
  private readonly holes = new Map<string, number>();
  private readonly seen = new Set<string>();
  constructor(
    options: NatsSinkOptions,
    private readonly killAt: number,
    private readonly holeEvery = 0,
    private readonly holesFrom = 0,
  ) {
    super(options);
  }
  protected override async send(subject: string, payload: Uint8Array, msgID: string): Promise<PublishAck> {
    // Counted once per message: retries do not move the kill point.
    if (!this.seen.has(msgID)) {
      this.seen.add(msgID);
      const n = ++this.sends;
      if (n === this.killAt) void this.abort(new Error('kill -9'));
      if (this.holeEvery > 0 && n > this.holesFrom && n % this.holeEvery === 0) this.holes.set(msgID, 0);
    }
    // A hole is refused for its first 6 attempts (3 s of the sink's backoff), so a run that is not killed still ends.
    const refused = this.holes.get(msgID);
    if (refused !== undefined && refused < 6) {
      this.holes.set(msgID, refused + 1);
      throw new Error('publish refused before it left');
    }
    return super.send(subject, payload, msgID);
  }
}
