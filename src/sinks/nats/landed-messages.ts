import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** The header each message carries with the job (and shard) that published it: how a resume recognises its own. */
export const FORGE_JOB_HEADER = 'Forge-Job';

/** Messages read per fetch; each is headers only (about 100 bytes). */
const FETCH = 5_000;

export interface LandedScan {
  /** Message id -> stream sequence of each message of the job found. */
  readonly landed: Map<string, number>;
  /** Messages read (the job's and any others on the subject): the scan's cost. */
  readonly scanned: number;
}

/**
 * The messages of job `jobKey` on `subject` stored after stream sequence `afterSeq`: what a killed run of the job
 * published beyond its checkpoint (the batch in hand, whole or in part), found so that the resumed run does not send
 * them again. Reads headers only (`Nats-Msg-Id`, `Forge-Job`), through a short-lived consumer filtered to the subject
 * and starting after `afterSeq`, so the cost is the messages on that subject since the checkpoint (normally one batch
 * at most), never the whole stream; the consumer is removed afterwards (or by the server when idle, if the process dies).
 */
export async function landedMessages(
  jsm: JetStreamManager,
  js: JetStreamClient,
  stream: string,
  subject: string,
  afterSeq: number,
  jobKey: string,
  timeoutMs: number,
): Promise<LandedScan> {
  const landed = new Map<string, number>();
  const { state } = await jsm.streams.info(stream);
  if (state.last_seq <= afterSeq) return { landed, scanned: 0 };
  const created = await jsm.consumers.add(stream, {
    filter_subject: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
    ack_policy: AckPolicy.None,
    headers_only: true,
    mem_storage: true,
    inactive_threshold: nanos(60_000),
  });
  let scanned = 0;
  try {
    // The messages on the subject when the scan began: a killed run publishes nothing more, and what arrives later
    // (another job on the same subject) is not this job's.
    const total = created.num_pending;
    const consumer = await js.consumers.get(stream, created.name);
    while (scanned < total) {
      const messages = await consumer.fetch({ max_messages: Math.min(FETCH, total - scanned), expires: timeoutMs });
      let got = 0;
      for await (const m of messages) {
        got++;
        scanned++;
        const id = m.headers?.get('Nats-Msg-Id');
        if (id && m.headers?.get(FORGE_JOB_HEADER) === jobKey) landed.set(id, m.seq);
      }
      if (got === 0) throw new Error(`no messages from stream ${stream} within ${timeoutMs} ms while looking for the job's messages after sequence ${afterSeq} (${scanned} of ${total} read)`);
    }
  } finally {
    await jsm.consumers.delete(stream, created.name).catch(() => false);
  }
  return { landed, scanned };
}
