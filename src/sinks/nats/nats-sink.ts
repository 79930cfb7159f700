import { JetStreamApiError, PubHeaders, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { MessageBytes } from '../../generator/message-bytes.js';
import { messageId } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { shardedJobKey, type Shard } from '../../scenario/shard.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import { checkInt } from '../../util/parse-int.js';
import { AckedPublisherSink, type PublisherCounts } from '../acked-publisher-sink.js';
import type { BatchInfo, SinkContext, SinkResult, SinkStatus } from '../sink.js';
import { FORGE_JOB_HEADER, landedMessages } from './landed-messages.js';
import { PubAckInbox, type PublishAck } from './pub-ack-inbox.js';
import { NatsCheckpointStore, checkpointKey, type NatsCheckpoint } from './nats-checkpoint-store.js';
import { DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT_PREFIX, DEFAULT_NATS_URL, MIN_DUPLICATE_WINDOW_MS, checkNatsUrl, defaultNatsStream, defaultNatsSubjectPrefix, minDuplicateWindowMs } from './nats-options.js';
import { checkStreamName, checkSubjectPrefix, checkSubjectToken, readingSubject, streamSubjects } from './nats-subject.js';

export { DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT_PREFIX, MIN_DUPLICATE_WINDOW_MS };
export type { PublishAck };

export interface NatsSinkOptions {
  /** Server URL, e.g. nats://user:pass@host:4222. Default nats://127.0.0.1:4222. */
  readonly url?: string;
  /** JetStream stream; created when absent. Default $FORGE_NATS_STREAM, else AMI_READINGS. */
  readonly streamName?: string;
  /** Subjects are `<prefix>.<area>`; a created stream captures `<prefix>.>`. Default $FORGE_NATS_SUBJECT_PREFIX, else ami.readings. */
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
  /**
   * Of `rows`, readings of a resumed job not sent again because the stream already holds them: the killed run's
   * messages found beyond the checkpoint, and second copies (`batch.redelivery`) whose first copy may be among them.
   * The stream gained `rows - duplicates - skipped` messages from this run.
   */
  readonly skipped: number;
  /** Publishes sent again after a failure or a missing PubAck (same message id, so never stored twice). */
  readonly retries: number;
  readonly stream: string;
  readonly subject: string;
}

/**
 * Publishes each reading to a JetStream stream, subject `<prefix>.<area>`, payload the nested AMI head-end message
 * (reading-records.ts) as JSON, with `Nats-Msg-Id` = the reading's stable message id (meter_id:epoch seconds) and
 * `Forge-Job` = the job's key (its id, and its shard when it is one).
 *
 * Delivery (invariant 2): a reading counts as delivered when the stream has acknowledged it (PubAck). A publish whose
 * PubAck does not come is sent again with the same message id, and the stream drops any message id it saw within its
 * duplicate window (at least 2 minutes), so a reading is stored once however often it is sent within a run. A PubAck
 * with `duplicate: true` is a delivery like any other, counted once in `rows` and also in `duplicates`.
 *
 * Exactly once across a crash, whenever the job is resumed: the duplicate window cannot cover a resume minutes or days
 * later, so the sink keeps a real checkpoint. After every batch whose PubAcks are all in, `write` records in the
 * server's FORGE_CHECKPOINTS bucket (nats-checkpoint-store.ts), under the job's key, the batch sequence and a stream
 * sequence S such that every message of the job past that batch is stored after S; only then does `write` resolve.
 * A kill can land between the last PubAck of a batch and that record, or in the middle of a batch: either way the
 * stream may hold messages of the batches after the checkpoint. So `open` with `resume` reads the checkpoint and scans
 * the stream from S + 1, filtered to the job's subject, headers only (landed-messages.ts), for messages carrying the
 * job's key, and the resumed run does not send those again (nor a second copy of a reading, which may have been first
 * sent before the crash). The scan costs the messages on the subject since the checkpoint: one batch or less when the
 * job is the subject's only publisher, never the whole stream. The alternatives were weaker: looking up the job's last
 * message by subject finds only the last publisher's; scanning from a stream position saved before each batch would
 * cost a second record per batch for nothing (S already bounds the batch in flight); and matching by message id alone
 * would mix in another job of the same scenario. While such found messages are still to be passed by the resumed run,
 * S stays below the lowest of them, so a second kill finds them again.
 *
 * Backpressure: at most `maxPending` publishes await a PubAck at once; `write` resolves when all of its batch's acks
 * and its checkpoint are in. `open` connects, checks JetStream and the stream before anything is produced, and never
 * changes a stream it did not create (it may create the checkpoint bucket).
 *
 * The window, retries, reconnect watching, state and close accounting are AckedPublisherSink's.
 */
export class NatsSink extends AckedPublisherSink<NatsMessage, NatsSinkResult> {
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly streamName: string;
  private readonly subjectPrefix: string;
  private readonly duplicateWindowMs: number;
  private readonly connectTimeoutMs: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private connection: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  /** Where the PubAcks of this run's publishes arrive (pub-ack-inbox.ts). */
  private acks: PubAckInbox | null = null;
  private jsm: JetStreamManager | null = null;
  private checkpoints: NatsCheckpointStore | null = null;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  /** Each reading's message bytes (the nested record as JSON). */
  private messages: MessageBytes | null = null;
  private shard: Shard | null = null;
  private subject = '';
  /** The job's key: its id, with the shard when it is one (shard.ts); the `Forge-Job` header and the checkpoint's key. */
  private jobKey = '';
  private duplicates = 0;
  private skipped = 0;
  /** The job's checkpoint as recorded (or as it will be, from the first batch, for a job without one). */
  private position: NatsCheckpoint | null = null;
  /** The highest stream sequence of a message this run stored (not a duplicate): every later message comes after it. */
  private storedUpTo = 0;
  /** A resumed run: the job's messages found past the checkpoint (message id -> stream sequence), not sent again. */
  private landed: Map<string, number> | null = null;
  /** Of `landed`, those the resumed run has not yet passed: S stays below them (see the class comment). */
  private readonly unpassed = new Map<string, number>();
  private resumed = false;

  constructor(options: NatsSinkOptions = {}) {
    const url = options.url ?? DEFAULT_NATS_URL;
    const shownUrl = checkNatsUrl(url);
    const streamName = checkStreamName(options.streamName ?? defaultNatsStream());
    const subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? defaultNatsSubjectPrefix());
    const minimum = minDuplicateWindowMs();
    const duplicateWindowMs = checkInt(options.duplicateWindowMs ?? minimum, 'nats duplicateWindowMs', { min: 1 });
    if (duplicateWindowMs < minimum) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`nats duplicateWindowMs must be at least ${MIN_DUPLICATE_WINDOW_MS} (2 minutes), not ${duplicateWindowMs}`]);
    }
    const maxPending = checkInt(options.maxPending ?? 1_000, 'nats maxPending', { min: 1, max: 100_000 });
    const connectTimeoutMs = checkInt(options.connectTimeoutMs ?? 10_000, 'nats connectTimeoutMs', { min: 1 });
    const ackTimeoutMs = checkInt(options.ackTimeoutMs ?? 10_000, 'nats ackTimeoutMs', { min: 1 });
    const reconnectTimeoutMs = checkInt(options.reconnectTimeoutMs ?? 30_000, 'nats reconnectTimeoutMs', { min: 1 });
    const maxAttempts = checkInt(options.maxAttempts ?? 5, 'nats maxAttempts', { min: 1, max: 100 });
    // A full window is refilled once half of it is acknowledged, not one slot at a time, so publishes leave in larger
    // socket writes (about 10% faster here); the window is never exceeded either way.
    super('nats', { shownUrl, maxInFlight: maxPending, refillAt: maxPending >> 1, maxAttempts, reconnectTimeoutMs, onStatus: options.onStatus });
    this.url = url;
    this.shownUrl = shownUrl;
    this.streamName = streamName;
    this.subjectPrefix = subjectPrefix;
    this.duplicateWindowMs = duplicateWindowMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.ackTimeoutMs = ackTimeoutMs;
    this.maxAttempts = maxAttempts;
  }

  protected async connect(context: SinkContext): Promise<void> {
    this.subject = readingSubject(this.subjectPrefix, checkSubjectToken(context.scenario.area, 'the service area'));
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    this.messages = new MessageBytes(context.fleet, context.scenario.area);
    this.shard = context.scenario.shard;
    this.jobKey = shardedJobKey(context.jobId, this.shard);
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
        pendingLimit: 512 * 1024,
      } as Parameters<typeof connect>[0]);
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
      const info = await this.ensureStream(jsm);
      this.jsm = jsm;
      this.js = jetstream(connection, { timeout: this.ackTimeoutMs });
      try {
        this.checkpoints = await NatsCheckpointStore.open(jsm, this.js, info);
      } catch (e) {
        throw new ForgeError('FORGE_ERR_SINK_CONNECT', [this.name, this.shownUrl, `cannot read or create the checkpoint bucket (the stream KV_FORGE_CHECKPOINTS): ${errorText(e)}`], { cause: e });
      }
      await this.startPosition(context.resume === true);
    } catch (e) {
      await connection.close().catch(() => undefined);
      throw e;
    }
    this.connection = connection;
    this.acks = new PubAckInbox(connection, this.ackTimeoutMs);
    void this.watch(connection);
  }

  /** A resumed run does not send what the stream already holds (see `heldAlready`); those rows count as skipped. */
  protected message(batch: ReadingBatch, row: number): NatsMessage | null {
    const fleet = this.fleet!;
    const id = messageId(fleet.meterIds[batch.meterIndex[row]!]!, batch.tsUtcMs[row]!);
    if (this.resumed && this.heldAlready(batch, row, id)) {
      this.skipped++;
      return null;
    }
    return { payload: this.messages!.of(batch, row), id };
  }

  protected async publish(message: NatsMessage): Promise<void> {
    const ack = await this.send(this.subject, message.payload, message.id);
    if (ack.duplicate) this.duplicates++;
    // A duplicate's sequence is its first copy's, which may be older than this run's messages.
    else if (ack.seq > this.storedUpTo) this.storedUpTo = ack.seq;
  }

  protected describe(message: NatsMessage): string {
    return `publish of ${message.id} to ${this.subject}`;
  }

  /** Every message of the batch is acknowledged: its checkpoint is recorded before `write` resolves. */
  protected override async acknowledged(info: BatchInfo): Promise<void> {
    await this.commit(info.sequence);
  }

  protected async disconnect(): Promise<void> {
    this.acks!.close();
    await this.connection!.drain();
  }

  protected async destroy(): Promise<void> {
    this.acks?.close();
    const connection = this.connection;
    if (connection && !connection.isClosed()) await connection.close();
  }

  protected result(counts: PublisherCounts): NatsSinkResult {
    return {
      sink: counts.sink,
      rows: counts.rows,
      outputs: [`${this.shownUrl} stream ${this.streamName} subject ${this.subject}`],
      duplicates: this.duplicates,
      skipped: this.skipped,
      retries: counts.retries,
      stream: this.streamName,
      subject: this.subject,
    };
  }

  /**
   * The last batch sequence of `jobId` (with this sink's shard) whose messages, and every earlier batch's, the stream
   * holds, or null when none. Valid after `open`; for the job the sink was opened with, it follows this run's batches.
   */
  async checkpoint(jobId: string): Promise<number | null> {
    this.state.assertOpen('checkpoint');
    const key = shardedJobKey(jobId, this.shard);
    const position = key === this.jobKey ? this.position : await this.readCheckpoint(key);
    return position && position.sequence >= 0 ? position.sequence : null;
  }

  /**
   * Publishes one message and resolves with the stream's PubAck: the seam tests use to watch the window. Overriding
   * it must keep the contract (resolve once acknowledged, reject when the publish failed or timed out).
   */
  protected async send(subject: string, payload: Uint8Array, msgID: string): Promise<PublishAck> {
    const h = headers();
    h.set(FORGE_JOB_HEADER, this.jobKey);
    h.set(PubHeaders.MsgIdHdr, msgID);
    return this.acks!.publish(subject, payload, h);
  }

  /**
   * A resumed run: true when the stream already holds this row's reading from the job's killed run (found past the
   * checkpoint), or when the row is a second copy: its first copy was delivered earlier, possibly before the crash and
   * more than a duplicate window ago, and the stream keeps one copy of a reading (ReadingBatch.redelivery).
   */
  private heldAlready(batch: ReadingBatch, row: number, id: string): boolean {
    if (this.landed!.has(id)) {
      this.unpassed.delete(id);
      return true;
    }
    return batch.redelivery?.[row] === 1;
  }

  /**
   * Where the job stands before its first write. A new job records its start: no batch yet, and the stream's last
   * sequence, after which all of its messages will be. A resumed job reads its checkpoint and looks for what its killed
   * run stored past it. A checkpoint of a stream since deleted and created again (another creation time) is void: the
   * messages it counted are gone, so the job is resent from its start into the new stream.
   */
  private async startPosition(resume: boolean): Promise<void> {
    const jsm = this.jsm!;
    const info = await jsm.streams.info(this.streamName);
    const fresh: NatsCheckpoint = { sequence: -1, streamSeq: info.state.last_seq, streamCreated: info.created, updated: new Date().toISOString() };
    if (resume) {
      this.resumed = true;
      const recorded = await this.readCheckpoint(this.jobKey);
      if (recorded && recorded.streamCreated === info.created) {
        let scan;
        try {
          scan = await landedMessages(jsm, this.js!, this.streamName, this.subject, recorded.streamSeq, this.jobKey, this.connectTimeoutMs);
        } catch (e) {
          throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot look for the job's messages in stream ${this.streamName} after its checkpoint: ${errorText(e)}`], { cause: e });
        }
        this.landed = scan.landed;
        for (const [id, seq] of scan.landed) this.unpassed.set(id, seq);
        this.position = recorded;
        this.storedUpTo = recorded.streamSeq;
        return;
      }
      this.landed = new Map();
    }
    this.storedUpTo = fresh.streamSeq;
    await this.recordCheckpoint(fresh);
  }

  /** After a batch is wholly acknowledged: records it as the job's checkpoint (see the class comment for S). */
  private async commit(sequence: number): Promise<void> {
    let streamSeq = Math.max(this.position!.streamSeq, this.storedUpTo);
    for (const seq of this.unpassed.values()) if (seq <= streamSeq) streamSeq = seq - 1;
    await this.recordCheckpoint({ sequence, streamSeq, streamCreated: this.position!.streamCreated, updated: new Date().toISOString() });
  }

  /** Writes the job's checkpoint, retrying like a publish; a checkpoint that cannot be recorded fails the write. */
  private async recordCheckpoint(next: NatsCheckpoint): Promise<void> {
    const key = checkpointKey(this.streamName, this.jobKey);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.checkpoints!.write(key, next);
        this.position = next;
        return;
      } catch (e) {
        if (attempt >= this.maxAttempts) {
          throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot record the checkpoint of ${this.jobKey} (batch ${next.sequence}) in the bucket FORGE_CHECKPOINTS, after ${attempt} attempts: ${errorText(e)}`], { cause: e });
        }
        await this.pause(attempt);
      }
    }
  }

  private async readCheckpoint(jobKey: string): Promise<NatsCheckpoint | null> {
    try {
      return await this.checkpoints!.read(checkpointKey(this.streamName, jobKey));
    } catch (e) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, `cannot read the checkpoint of ${jobKey}: ${errorText(e)}`], { cause: e });
    }
  }

  /**
   * Uses the named stream if it captures the sink's subject with a long enough duplicate window, creates it when
   * absent, and refuses anything else (another stream holding the subject, a short window) without changing it.
   */
  private async ensureStream(jsm: JetStreamManager): Promise<StreamInfo> {
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
    return info;
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

  /** After open: the client does the reconnecting; the base class reports it and fails writes past the reconnect timeout. */
  private async watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') this.connectionLost('connection to the server lost; reconnecting');
      else if (status.type === 'reconnect') this.connectionBack();
    }
  }
}

/** One reading as JetStream gets it: the head-end message as JSON, and its stable message id (`Nats-Msg-Id`). */
interface NatsMessage {
  readonly payload: Uint8Array;
  readonly id: string;
}

const isNotFound = (e: unknown): boolean => e instanceof JetStreamApiError && (e.name === 'StreamNotFoundError' || e.code === 10059);
