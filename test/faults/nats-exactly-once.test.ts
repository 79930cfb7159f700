import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_STREAM_ENV, NATS_SUBJECT_PREFIX_ENV, TESTING_MIN_DUPLICATE_WINDOW_ENV } from '../../src/sinks/nats/nats-options.js';
import { NatsSink } from '../../src/sinks/nats/nats-sink.js';
import { NATS_URL, brokerGate, natsBroker, runId } from '../support/brokers.js';
import { KilledNatsSink, SHORT_WINDOW_MS, removeStream, shortWindowStream, subjectContents, waitPastDuplicateWindow, type TestStream } from '../support/nats-streams.js';
import { testJob, testScenario, type TestJob } from '../support/fixtures.js';
import { FAULT_SEED, forge, jobRecords, killAfter, seededRandom, startForge, waitFor } from '../support/faults.js';

/**
 * NATS exactly once after kill -9 (issue 12, case 5): a job killed at a seeded random point and resumed after the
 * stream's duplicate window has passed (so JetStream's de-duplication cannot hide a message sent twice) leaves the
 * stream with every reading of the scenario once: messages = distinct message ids = the scenario's readings.
 * Streams are made per test with a one-second window (FORGE_TESTING_NATS_MIN_DUPLICATE_WINDOW_MS lets the sink use
 * them; the CLI finds them through FORGE_NATS_STREAM and FORGE_NATS_SUBJECT_PREFIX).
 */

process.env[TESTING_MIN_DUPLICATE_WINDOW_ENV] = String(SHORT_WINDOW_MS);
const status = await natsBroker();
const gate = brokerGate('NATS', NATS_URL, status);
const random = seededRandom(FAULT_SEED ^ 0x9a75);

describe('fault suite services (NATS)', () => {
  it.runIf(gate.required)(`has NATS at ${NATS_URL} (required on CI)`, () => {
    expect(status.available, status.reason).toBe(true);
  });
});

describe.skipIf(!gate.run)(`kill -9 of jobs into NATS JetStream, resumed after the duplicate window${gate.note}`, () => {
  let dir: string;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const fresh = async (): Promise<TestStream> => {
    const s = await shortWindowStream(jsm);
    streams.push(s.streamName);
    return s;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-fault-nats-'));
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    console.info(`fault seed ${FAULT_SEED} (FORGE_FAULT_SEED repeats a run)`);
  });
  afterAll(async () => {
    for (const name of streams) await removeStream(jsm, name);
    await nc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const envOf = (stream: TestStream): Record<string, string> => ({
    [NATS_STREAM_ENV]: stream.streamName,
    [NATS_SUBJECT_PREFIX_ENV]: stream.subjectPrefix,
    [TESTING_MIN_DUPLICATE_WINDOW_ENV]: String(SHORT_WINDOW_MS),
  });

  it('forge stream --sink nats (DEGRADED_NETWORK: late, backfilled and second copies) killed at a random point, resumed after the window: every reading once', async () => {
    const stream = await fresh();
    const env = envOf(stream);
    const work = join(dir, 'stream');
    await mkdir(work, { recursive: true });
    const stateDir = join(work, 'jobs');
    const meters = 300;
    const expected = meters * 48; // 12 hours at 15 minutes
    const args = ['stream', '--meters', String(meters), '--area', 'ERCOT', '--seed', '9', '--from', '2026-06-01T05:00:00Z', '--duration', '12h', '--speed', '5400',
      '--emission-pattern', 'DEGRADED_NETWORK', '--batch-rows', '2000', '--sink', 'nats', '--nats-url', NATS_URL, '--state-dir', stateDir];
    const first = startForge(args, work, env);
    const delay = Math.round(random() * 1_500);
    const checkpointed = waitFor(async () => (await jobRecords(stateDir)).find((r) => r.pid === first.child.pid && (r.stats.checkpoint ?? -1) > -1 && r.stats.delivered > 0));
    const killed = await killAfter(first, checkpointed, delay);
    expect(killed, (await first.done).stderr).toBe(true);
    const [record] = await jobRecords(stateDir);
    // ERCOT is the Texas Gulf Coast service area's alias: its readings go to the area's subject.
    const subject = `${stream.subjectPrefix}.TEXAS_GULF_COAST`;
    const left = await subjectContents(nc, jsm, stream.streamName, subject);
    await waitPastDuplicateWindow(nc, stream);

    const resumed = await resumeWhenNotRunning(['stream', '--resume', record!.jobId, '--state-dir', stateDir, '--json'], work, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as { status: string; sinks: { sink: string; rows: number; duplicates: number; skipped: number }[] };
    const final = await subjectContents(nc, jsm, stream.streamName, subject);
    console.info(
      `nats stream: killed ${delay} ms after the first checkpoint (record checkpoint tick ${record!.stats.checkpoint}, ${record!.stats.delivered} delivered, ` +
        `${left.messages} in the stream); resumed run: ${JSON.stringify(summary.sinks[0])}; stream ${final.messages} messages, ${final.ids.size} ids`,
    );
    expect(summary.status).toBe('completed');
    expect(final.messages).toBe(expected);
    expect(final.ids.size).toBe(expected);
  }, 180_000);

  it('forge generate --sink nats killed at a random point, completed with forge generate --resume after the window: every reading once', async () => {
    const stream = await fresh();
    const env = envOf(stream);
    const work = join(dir, 'batch');
    await mkdir(work, { recursive: true });
    const stateDir = join(work, 'jobs');
    // Large enough that the publisher (tens of thousands of messages a second) is still at work when the kill lands.
    const meters = 2_000;
    const expected = meters * 96;
    const args = ['generate', '--meters', String(meters), '--days', '1', '--start', '2026-06-01', '--seed', '5', '--batch-size', '4000',
      '--sink', 'nats', '--nats-url', NATS_URL, '--state-dir', stateDir];
    const first = startForge(args, work, env);
    // 0.3 to 2 s after the first message: in the first batch of 4,000 or many batches on.
    const delay = Math.round(300 + random() * 1_700);
    const subject = `${stream.subjectPrefix}.TEXAS_GULF_COAST`;
    // Publishing has begun: the stream holds some of the job's messages.
    const publishing = waitFor(async () => ((await jsm.streams.info(stream.streamName)).state.messages > 0 ? true : undefined));
    const killed = await killAfter(first, publishing, delay);
    expect(killed, (await first.done).stderr).toBe(true);
    const [record] = await jobRecords(stateDir);
    const left = await subjectContents(nc, jsm, stream.streamName, subject);
    await waitPastDuplicateWindow(nc, stream);

    const resumed = await resumeWhenNotRunning(['generate', '--resume', record!.jobId, '--state-dir', stateDir, '--json'], work, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const final = await subjectContents(nc, jsm, stream.streamName, subject);
    console.info(`nats batch: killed ${delay} ms after the first message (${left.messages} of ${expected} in the stream); resumed: ${resumed.stdout.trim().split('\n').pop()}`);
    expect(final.messages).toBe(expected);
    expect(final.ids.size).toBe(expected);
  }, 180_000);

  it('a property: kill points anywhere (one or two kills, holes in what a killed run left), each resumed after the window, leave every reading once', async () => {
    const job = testJob({ scenario: testScenario({ meters: 30 }), batchesPerDate: 5, jobId: `job-${runId()}` });
    let runs = 0;
    let killed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 2 }),
        fc.constantFrom(0, 5, 11),
        async (kills, holeEvery) => {
          runs++;
          const stream = await fresh();
          const context = { ...job.context, jobId: `job-${runId()}` };
          let resume = false;
          for (const point of kills) {
            // A kill point as a share of the messages the run still has to send (a run may end before it).
            if (await runOnce(stream, job, context, resume, Math.max(1, Math.round(point * job.rows)), holeEvery)) killed++;
            await waitPastDuplicateWindow(nc, stream);
            resume = true;
          }
          await runOnce(stream, job, context, true, 0, 0);
          const final = await subjectContents(nc, jsm, stream.streamName, `${stream.subjectPrefix}.TEXAS_GULF_COAST`);
          await removeStream(jsm, stream.streamName);
          return final.messages === job.rows && final.ids.size === job.rows;
        },
      ),
      { seed: FAULT_SEED, numRuns: 6, endOnFailure: true },
    );
    console.info(`nats property: ${runs} runs, ${killed} kills part-way (a resumed run may end before its kill point), ${job.rows} readings every time, seed ${FAULT_SEED}`);
    expect(killed).toBeGreaterThanOrEqual(runs);
  }, 240_000);
});

/**
 * One run of the job from its checkpoint (when resumed): killed at the `killAt`-th message, or (0) run to its end.
 * True when it was killed.
 */
async function runOnce(stream: TestStream, job: TestJob, context: TestJob['context'], resume: boolean, killAt: number, holeEvery: number): Promise<boolean> {
  const sink = killAt > 0 ? new KilledNatsSink({ ...stream, maxPending: 200, maxAttempts: 100 }, killAt, holeEvery) : new NatsSink(stream);
  await sink.open({ ...context, ...(resume ? { resume: true } : {}) });
  const after = resume ? ((await sink.checkpoint(context.jobId)) ?? -1) : -1;
  try {
    for (const { batch, info } of job.batches) if (info.sequence > after) await sink.write(batch, info);
  } catch {
    return true;
  }
  await sink.close();
  return false;
}

/**
 * Runs the resume; while the killed job is still taken for running (its owner's liveness has not yet lapsed), the
 * refusal (FORGE_ERR_JOB_STATE) is what an operator would see, and the resume is tried again.
 */
async function resumeWhenNotRunning(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const until = Date.now() + 60_000;
  for (;;) {
    const run = await forge(args, cwd, env);
    if (run.code === 0 || !run.stderr.includes('is still running') || Date.now() > until) return run;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
