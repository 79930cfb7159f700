import { DiscardPolicy, JetStreamApiError, StorageType, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { z } from 'zod';

/**
 * Where the NATS sink keeps its jobs' checkpoints: one JetStream key-value bucket per server, FORGE_CHECKPOINTS, in the
 * layout of the KV API (a stream `KV_FORGE_CHECKPOINTS` on subjects `$KV.FORGE_CHECKPOINTS.>`, one message kept per
 * subject), so `nats kv get FORGE_CHECKPOINTS <key>` shows an entry; written with plain publishes and read with a
 * last-by-subject get, which needs no client package beyond JetStream's. The key is `<stream>.<job>[.shard-i-of-N]`:
 * a checkpoint belongs to the data stream it describes, and shards of one job never share one.
 *
 * One bucket rather than one per data stream: a sink that publishes into a stream it did not create adds one stream
 * to the server, once, not one for every stream it is pointed at. An entry is a few hundred bytes and stays after its
 * job (a job can be resumed at any later time); `nats kv del FORGE_CHECKPOINTS <key>` removes one.
 */
export const CHECKPOINT_BUCKET = 'FORGE_CHECKPOINTS';
const BUCKET_STREAM = `KV_${CHECKPOINT_BUCKET}`;

const entrySchema = z.strictObject({
  sequence: z.number().int().min(-1),
  streamSeq: z.number().int().min(0),
  streamCreated: z.string(),
  updated: z.string(),
});

/**
 * One job's position in one data stream. Invariant the sink keeps: every batch up to `sequence` is in the stream,
 * whole, and every message of the job the stream holds beyond those batches has a stream sequence above `streamSeq`.
 */
export type NatsCheckpoint = z.infer<typeof entrySchema>;

/** Key tokens the KV layout allows unescaped; any other job key is written in base64url (`b64-...`). */
const PLAIN_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function checkpointKey(stream: string, jobKey: string): string {
  const job = PLAIN_KEY.test(jobKey) ? jobKey : `b64-${Buffer.from(jobKey, 'utf8').toString('base64url')}`;
  return `${stream}.${job}`;
}

export class NatsCheckpointStore {
  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
  ) {}

  /**
   * The server's bucket, created when absent with the data stream's storage and replicas (a checkpoint is as durable
   * as the messages it describes). Throws the client's error when it can be neither read nor created.
   */
  static async open(jsm: JetStreamManager, js: JetStreamClient, data: StreamInfo): Promise<NatsCheckpointStore> {
    try {
      await jsm.streams.info(BUCKET_STREAM);
    } catch (e) {
      if (!(e instanceof JetStreamApiError && (e.name === 'StreamNotFoundError' || e.code === 10059))) throw e;
      try {
        await jsm.streams.add({
          name: BUCKET_STREAM,
          subjects: [`$KV.${CHECKPOINT_BUCKET}.>`],
          max_msgs_per_subject: 1,
          discard: DiscardPolicy.New,
          allow_rollup_hdrs: true,
          deny_delete: true,
          allow_direct: true,
          storage: data.config.storage ?? StorageType.File,
          num_replicas: data.config.num_replicas ?? 1,
          duplicate_window: nanos(120_000),
        });
      } catch (added) {
        // Another sink may have created it at the same moment.
        await jsm.streams.info(BUCKET_STREAM).catch(() => Promise.reject(added));
      }
    }
    return new NatsCheckpointStore(jsm, js);
  }

  /** The entry under `key`, or null when there is none. An entry this sink did not write is an error. */
  async read(key: string): Promise<NatsCheckpoint | null> {
    const stored = await this.jsm.streams.getMessage(BUCKET_STREAM, { last_by_subj: `$KV.${CHECKPOINT_BUCKET}.${key}` });
    if (stored === null || stored.data.length === 0) return null;
    let value: unknown;
    try {
      value = stored.json();
    } catch {
      value = undefined;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) throw new Error(`the checkpoint ${CHECKPOINT_BUCKET}/${key} is not one this sink wrote`);
    return parsed.data;
  }

  /** Replaces the entry under `key`; resolves when the bucket's stream has stored it. */
  async write(key: string, checkpoint: NatsCheckpoint): Promise<void> {
    await this.js.publish(`$KV.${CHECKPOINT_BUCKET}.${key}`, JSON.stringify(checkpoint));
  }
}
