import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sliceBatch, type ReadingBatch } from '../../src/generator/reading-batch.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { CHECKPOINT_BUCKET, checkpointKey } from '../../src/sinks/nats/nats-checkpoint-store.js';
import { TESTING_MIN_DUPLICATE_WINDOW_ENV, minDuplicateWindowMs } from '../../src/sinks/nats/nats-options.js';
import { NatsSink } from '../../src/sinks/nats/nats-sink.js';
import type { BatchInfo, SinkContext } from '../../src/sinks/sink.js';
import { NATS_URL, brokerGate, natsBroker, runId } from '../support/brokers.js';
import { KilledNatsSink, SHORT_WINDOW_MS, removeStream, shortWindowStream, subjectContents, waitPastDuplicateWindow, type TestStream } from '../support/nats-streams.js';
import { testJob, testScenario, type TestJob } from '../support/fixtures.js';

/**
 * The NATS sink's checkpoint (issue 12, case 5): a job killed mid-batch, or between a batch's last PubAck and its
 * checkpoint, and resumed after the stream's duplicate window has passed, ends with every reading in the stream once.
 * Streams here have a one-second window (allowed by the testing override, set for this file's process only).
 */

process.env[TESTING_MIN_DUPLICATE_WINDOW_ENV] = String(SHORT_WINDOW_MS);
const status = await natsBroker();
const gate = brokerGate('NATS', NATS_URL, status);

const rowsBefore = (job: TestJob, batches: number): number => job.batches.slice(0, batches).reduce((n, b) => n + b.batch.length, 0);

describe('the testing override of the duplicate window', () => {
  it('applies only to whole numbers under the production minimum; users still get 2 minutes', () => {
    expect(minDuplicateWindowMs({})).toBe(120_000);
    for (const bad of ['', '0', '-5', '1.5', 'abc', '120000', '999999']) expect(minDuplicateWindowMs({ [TESTING_MIN_DUPLICATE_WINDOW_ENV]: bad }), bad).toBe(120_000);
    expect(minDuplicateWindowMs({ [TESTING_MIN_DUPLICATE_WINDOW_ENV]: '1000' })).toBe(1_000);
    expect(checkpointKey('AMI_READINGS', 'job-20261205-ab12cd34.shard-2-of-8')).toBe('AMI_READINGS.job-20261205-ab12cd34.shard-2-of-8');
    // A job key that is not a valid KV key (empty token, other characters) is written in base64url.
    expect(checkpointKey('S', 'a..b')).toBe(`S.b64-${Buffer.from('a..b').toString('base64url')}`);
  });
});

describe.skipIf(!gate.run)(`NatsSink checkpoints against NATS JetStream at ${NATS_URL}${gate.note}`, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const fresh = async (): Promise<TestStream> => {
    const s = await shortWindowStream(jsm);
    streams.push(s.streamName);
    return s;
  };
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const name of streams) await removeStream(jsm, name);
    await nc?.close();
  });

  const subjectOf = (s: TestStream): string => `${s.subjectPrefix}.TEXAS_GULF_COAST`;

  /** Writes the batches until the sink dies; returns how many were written whole. */
  async function writeUntilKilled(sink: NatsSink, batches: readonly { batch: ReadingBatch; info: BatchInfo }[], context: SinkContext): Promise<number> {
    await sink.open(context);
    for (const [i, { batch, info }] of batches.entries()) {
      try {
        await sink.write(batch, info);
      } catch {
        return i;
      }
    }
    throw new Error('the sink was never killed');
  }

  it('killed mid-batch, resumed after the duplicate window: checkpoint = the last acknowledged batch, the rest sent once', async () => {
    const stream = await fresh();
    const job = testJob({ scenario: testScenario({ meters: 40 }), batchesPerDate: 4, jobId: `job-${runId()}` });
    const k = 2;
    // Killed 300 publishes into batch k, with up to 50 more in flight: some of them land, which is the point.
    const whole = await writeUntilKilled(new KilledNatsSink({ ...stream, maxPending: 50 }, rowsBefore(job, k) + 300), job.batches, job.context);
    expect(whole).toBe(k);
    await waitPastDuplicateWindow(nc, stream);
    // Counted once the window has passed: a publish the killed client had in flight may be stored a moment after the
    // kill (on a loaded machine, after a count taken at once); what the resume meets is what the stream holds now.
    const left = await subjectContents(nc, jsm, stream.streamName, subjectOf(stream));
    expect(left.messages).toBeGreaterThan(rowsBefore(job, k));
    expect(left.messages).toBeLessThan(rowsBefore(job, k + 1));

    const sink = new NatsSink(stream);
    await sink.open({ ...job.context, resume: true });
    expect(await sink.checkpoint(job.context.jobId)).toBe(k - 1);
    for (const { batch, info } of job.batches.slice(k)) await sink.write(batch, info);
    const result = await sink.close();
    const landed = left.messages - rowsBefore(job, k);
    console.info(`nats checkpoint: killed in batch ${k} with ${landed} of its ${job.batches[k]!.batch.length} messages stored; resumed after the window`);
    expect(result).toMatchObject({ rows: job.rows - rowsBefore(job, k), skipped: landed, duplicates: 0 });
    const final = await subjectContents(nc, jsm, stream.streamName, subjectOf(stream));
    expect(final.messages).toBe(job.rows);
    expect(final.ids.size).toBe(job.rows);
    // What the summary says the stream gained is what it gained.
    expect(result.rows - result.duplicates - result.skipped).toBe(job.rows - left.messages);
  });

  it('killed after a batch was acknowledged but before its checkpoint was recorded: that batch is not sent again', async () => {
    const stream = await fresh();
    const job = testJob({ scenario: testScenario({ meters: 40 }), batchesPerDate: 4, jobId: `job-${runId()}` });
    const k = 3;
    const first = new NatsSink(stream);
    await first.open(job.context);
    for (const { batch, info } of job.batches.slice(0, k)) await first.write(batch, info);
    expect(await first.checkpoint(job.context.jobId)).toBe(k - 1);
    // The entry as it stood before batch k; put back after batch k is wholly acknowledged, as if the process had
    // died between the last PubAck and the checkpoint's write.
    const subject = `$KV.${CHECKPOINT_BUCKET}.${checkpointKey(stream.streamName, job.context.jobId)}`;
    const before = await jsm.streams.getMessage(`KV_${CHECKPOINT_BUCKET}`, { last_by_subj: subject });
    expect(before!.json()).toMatchObject({ sequence: k - 1 });
    await first.write(job.batches[k]!.batch, job.batches[k]!.info);
    await jetstream(nc).publish(subject, before!.data);
    await first.abort(new Error('kill -9'));
    await waitPastDuplicateWindow(nc, stream);

    const sink = new NatsSink(stream);
    await sink.open({ ...job.context, resume: true });
    expect(await sink.checkpoint(job.context.jobId)).toBe(k - 1);
    for (const { batch, info } of job.batches.slice(k)) await sink.write(batch, info);
    const result = await sink.close();
    expect(result).toMatchObject({ rows: job.rows - rowsBefore(job, k), skipped: job.batches[k]!.batch.length, duplicates: 0 });
    const final = await subjectContents(nc, jsm, stream.streamName, subjectOf(stream));
    expect(final).toMatchObject({ messages: job.rows });
    expect(final.ids.size).toBe(job.rows);
  });

  it('killed again before the resumed run passed what the first run left: the second resume still finds it (batches cut differently)', async () => {
    const stream = await fresh();
    const job = testJob({ scenario: testScenario({ meters: 40 }), batchesPerDate: 4, jobId: `job-${runId()}` });
    // The first run numbers its batches 0, 2, 4, ...; the resumed runs cut batch k in two (as a resumed stream cuts
    // its ticks differently), numbered 2k and 2k + 1.
    const even = job.batches.map(({ batch, info }) => ({ batch, info: { ...info, sequence: info.sequence * 2 } }));
    const k = 1;
    const size = job.batches[k]!.batch.length;
    // Holes in what the first run left: the resumed run publishes them anew (stored after everything the killed run
    // left) before it reaches the killed run's later messages, so the checkpoint it records must stay below those.
    const whole = await writeUntilKilled(new KilledNatsSink({ ...stream, maxPending: 400, maxAttempts: 100 }, rowsBefore(job, k) + size - 40, 7, rowsBefore(job, k)), even, job.context);
    expect(whole).toBe(k);
    const left = await subjectContents(nc, jsm, stream.streamName, subjectOf(stream));
    const landed = left.messages - rowsBefore(job, k);
    // Most of batch k landed, with holes, so both halves hold messages of the killed run and holes.
    expect(landed).toBeGreaterThan(size / 2);
    expect(landed).toBeLessThan(size - 40);
    await waitPastDuplicateWindow(nc, stream);

    const half = Math.floor(size / 2);
    const { batch, info } = job.batches[k]!;
    const second = new NatsSink(stream);
    await second.open({ ...job.context, resume: true });
    expect(await second.checkpoint(job.context.jobId)).toBe(2 * (k - 1));
    await second.write(sliceBatch(batch, 0, half), { ...info, sequence: 2 * k });
    expect(await second.checkpoint(job.context.jobId)).toBe(2 * k);
    await second.abort(new Error('kill -9 again'));
    await waitPastDuplicateWindow(nc, stream);

    const third = new NatsSink(stream);
    await third.open({ ...job.context, resume: true });
    expect(await third.checkpoint(job.context.jobId)).toBe(2 * k);
    await third.write(sliceBatch(batch, half, size), { ...info, sequence: 2 * k + 1 });
    for (const b of even.slice(k + 1)) await third.write(b.batch, b.info);
    const result = await third.close();
    // At least landed - half of the killed run's messages are in the second half: found again after the second kill.
    expect(result.skipped).toBeGreaterThanOrEqual(landed - half);
    expect(result.skipped).toBeGreaterThan(0);
    const final = await subjectContents(nc, jsm, stream.streamName, subjectOf(stream));
    expect(final.messages).toBe(job.rows);
    expect(final.ids.size).toBe(job.rows);
  });

  it('keys checkpoints by job and shard, answers null for a job it never saw, and voids the checkpoint of a stream created again', async () => {
    const stream = await fresh();
    const jobId = `job-${runId()}`;
    const shards = [0, 1].map((index) => {
      const scenario = resolveScenario({ meters: 20, days: 1, start: '2026-03-08', seed: 7, shard: `${index}/2` });
      const job = testJob({ scenario, jobId });
      return { job, context: job.context };
    });
    const written = [1, 3];
    for (const [i, { job, context }] of shards.entries()) {
      const sink = new NatsSink(stream);
      await sink.open(context);
      expect(await sink.checkpoint(jobId)).toBeNull();
      for (const { batch, info } of job.batches.slice(0, written[i])) await sink.write(batch, info);
      await sink.close();
    }
    for (const [i, { context }] of shards.entries()) {
      const sink = new NatsSink(stream);
      await sink.open({ ...context, resume: true });
      expect(await sink.checkpoint(jobId)).toBe(written[i]! - 1);
      expect(await sink.checkpoint(`job-${runId()}`)).toBeNull();
      await sink.abort(new Error('done'));
    }
    const keys = await jsm.streams.info(`KV_${CHECKPOINT_BUCKET}`, { subjects_filter: `$KV.${CHECKPOINT_BUCKET}.${stream.streamName}.>` });
    expect(Object.keys(keys.state.subjects ?? {}).sort()).toEqual([0, 1].map((i) => `$KV.${CHECKPOINT_BUCKET}.${stream.streamName}.${jobId}.shard-${i}-of-2`));

    // The stream deleted and created again: the checkpoint counted messages that are gone, so the job starts over.
    await jsm.streams.delete(stream.streamName);
    await shortWindowStreamNamed(jsm, stream);
    const again = new NatsSink(stream);
    await again.open({ ...shards[0]!.context, resume: true });
    expect(await again.checkpoint(jobId)).toBeNull();
    await again.abort(new Error('done'));
  });
});

async function shortWindowStreamNamed(jsm: JetStreamManager, stream: TestStream): Promise<void> {
  await jsm.streams.add({ name: stream.streamName, subjects: [`${stream.subjectPrefix}.>`], duplicate_window: nanos(SHORT_WINDOW_MS) });
}
