import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { nestedReading, type NestedReading } from '../../src/generator/reading-records.js';
import { checkNatsUrl, defaultNatsUrl, natsUrlProblem } from '../../src/sinks/nats/nats-options.js';
import { NatsSink, type NatsSinkOptions, type NatsSinkResult, type PublishAck } from '../../src/sinks/nats/nats-sink.js';
import { checkStreamName, checkSubjectPrefix } from '../../src/sinks/nats/nats-subject.js';
import { NATS_URL, brokerGate, closedPort, natsBroker, runForgeAsync, runId, tcpProxy } from '../support/brokers.js';
import { testJob, testScenario, type TestJob } from '../support/fixtures.js';

const status = await natsBroker();
const gate = brokerGate('NATS', NATS_URL, status);

interface Stored {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly message: NestedReading;
}

/** A stream and subject prefix of this run only; the suite deletes its streams afterwards. */
function names(): { streamName: string; subjectPrefix: string } {
  const id = runId();
  return { streamName: `FORGE_TEST_${id}`, subjectPrefix: `forge-test-${id}.ami.readings` };
}

async function runJob(sink: NatsSink, job: TestJob, times = 1): Promise<NatsSinkResult> {
  await sink.open(job.context);
  for (let t = 0; t < times; t++) for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

/** Every reading of the job is stored exactly once, on the area's subject, as a head-end message with its id. */
function expectExactlyOnce(stored: readonly Stored[], job: TestJob, subject: string): void {
  const seen = new Set<string>();
  for (const { subject: s, msgId, message } of stored) {
    const flat = job.expected.get(`${message.meter.meter_id} ${message.reading.reading_ts_utc}`);
    expect(flat, message.header.message_id).toBeDefined();
    expect(message).toEqual(nestedReading(flat!, Date.parse(flat!.reading_ts_utc)));
    expect(s).toBe(subject);
    expect(msgId).toBe(message.header.message_id);
    seen.add(message.header.message_id);
  }
  expect(seen.size).toBe(job.rows);
  expect(stored).toHaveLength(job.rows);
}

/** A sink whose `send` seam counts pending acks, refuses some first attempts, or loses some acks after publishing. */
class WatchedNatsSink extends NatsSink {
  current = 0;
  max = 0;
  private readonly seen = new Set<string>();
  private readonly refuseEvery: number;
  private readonly loseAckEvery: number;
  private sends = 0;
  constructor(options: NatsSinkOptions & { refuseEvery?: number; loseAckEvery?: number }) {
    super(options);
    this.refuseEvery = options.refuseEvery ?? 0;
    this.loseAckEvery = options.loseAckEvery ?? 0;
  }
  protected override async send(subject: string, payload: Uint8Array, msgID: string): Promise<PublishAck> {
    const n = ++this.sends;
    const first = !this.seen.has(msgID);
    this.seen.add(msgID);
    if (first && this.refuseEvery > 0 && n % this.refuseEvery === 0) throw new Error('publish refused before it left');
    this.current++;
    this.max = Math.max(this.max, this.current);
    try {
      const ack = await super.send(subject, payload, msgID);
      // The message is stored, but the PubAck "never arrives": the sink must send it again with the same id.
      if (first && this.loseAckEvery > 0 && n % this.loseAckEvery === 0) throw new Error('timeout waiting for PubAck');
      return ack;
    } finally {
      this.current--;
    }
  }
}

describe('NatsSink without a server', () => {
  it('fails clearly on write before open, bad URLs, options, stream names and subjects', async () => {
    const { batch, info } = testJob().batches[0]!;
    await expect(new NatsSink().write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink nats: write called before open' });
    for (const url of ['http://127.0.0.1:4222', 'not a url']) expect(() => new NatsSink({ url })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new NatsSink({ duplicateWindowMs: 60_000 })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringContaining('at least 120000') }));
    expect(() => new NatsSink({ maxPending: 0 })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(checkNatsUrl('nats://forge:secret@nats:4222')).toBe('nats://forge:***@nats:4222');
    expect(natsUrlProblem('http://forge:secret@nats:4222')).toBe('expected nats://, tls://, ws://, wss://, not http://');
    expect(natsUrlProblem('nats://127.0.0.1:4222')).toBeUndefined();
    expect(parseOutputOptions({ sink: 'nats', natsUrl: 'nats://nats:4223' })).toMatchObject({ sink: ['nats'], natsUrl: 'nats://nats:4223' });
    expect(() => parseOutputOptions({ sink: 'nats', natsUrl: 'http://x' })).toThrow(/natsUrl: expected nats:\/\//);
    expect(() => parseOutputOptions({ sink: 'duckdb', natsUrl: 'nats://nats:4223' })).toThrow(/--nats-url applies to the nats sink only/);
    expect(() => parseOutputOptions({ sink: 'nats', out: 'x' })).toThrow(/--out names the path of a/);
    expect(defaultNatsUrl({})).toBe('nats://127.0.0.1:4222');
    expect(defaultNatsUrl({ FORGE_NATS_URL: 'nats://nats:4223' })).toBe('nats://nats:4223');
    expect(checkSubjectPrefix('forge-test-1.ami.readings')).toBe('forge-test-1.ami.readings');
    for (const bad of ['ami.', '.ami', 'ami.*', 'ami.>', 'ami readings', 'ami..x', '$JS.API']) {
      expect(() => checkSubjectPrefix(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    }
    for (const bad of ['', 'AMI.READINGS', 'AMI READINGS', 'a/b', 'x'.repeat(65)]) {
      expect(() => checkStreamName(bad), bad).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    }
  });

  it('open fails clearly, naming the URL, when nothing listens there', async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`;
    await expect(new NatsSink({ url, connectTimeoutMs: 3_000 }).open(testJob().context)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: expect.stringMatching(new RegExp(`^Sink nats cannot reach ${url}: `)),
    });
  });
});

describe('the NATS server', () => {
  it.runIf(gate.required)(`is reachable at ${NATS_URL} (required on CI)`, () => {
    expect(status.available, status.reason).toBe(true);
  });
});

describe.skipIf(!gate.run)(`NatsSink against NATS JetStream at ${NATS_URL}${gate.note}`, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const created: string[] = [];
  const fresh = (): { streamName: string; subjectPrefix: string } => {
    const n = names();
    created.push(n.streamName);
    return n;
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const name of created) await jsm.streams.delete(name).catch(() => false);
    await nc.close();
  });

  /** Everything the stream holds, read with an ordered consumer. */
  async function readStream(streamName: string): Promise<Stored[]> {
    const total = (await jsm.streams.info(streamName)).state.messages;
    const out: Stored[] = [];
    if (total === 0) return out;
    const consumer = await jetstream(nc).consumers.get(streamName);
    const messages = await consumer.fetch({ max_messages: total, expires: 5_000 });
    for await (const m of messages) {
      out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), message: m.json<NestedReading>() });
      if (m.info.pending === 0) break;
    }
    return out;
  }

  it('creates the stream and stores every reading of 20 meters x 1 day exactly once, as a head-end message with its id', async () => {
    const { streamName, subjectPrefix } = fresh();
    const job = testJob();
    const sink = new WatchedNatsSink({ streamName, subjectPrefix, maxPending: 100 });
    const result = await runJob(sink, job);
    const subject = `${subjectPrefix}.TEXAS_GULF_COAST`;
    expect(result).toEqual({
      sink: 'nats', rows: 1920, duplicates: 0, skipped: 0, retries: 0, stream: streamName, subject,
      outputs: [`${NATS_URL} stream ${streamName} subject ${subject}`],
    });
    // The window filled and was never exceeded.
    expect(sink.max).toBe(100);
    const info = await jsm.streams.info(streamName);
    expect(info.config.subjects).toEqual([`${subjectPrefix}.>`]);
    expect(info.config.duplicate_window).toBe(nanos(120_000));
    const stored = await readStream(streamName);
    expectExactlyOnce(stored, job, subject);
    const { header, metadata } = stored[0]!.message;
    expect(header).toMatchObject({ source_system: 'AMI_HEAD_END', message_type: 'METER_READING', schema_version: '1.0' });
    expect(metadata.generator).toBe('flux-data-forge');
  });

  it('publishing the same batches twice, or re-running the job, leaves the stream with the original messages; duplicates are reported', async () => {
    const names = fresh();
    const job = testJob();
    const twice = await runJob(new NatsSink(names), job, 2);
    expect(twice).toMatchObject({ rows: 3840, duplicates: 1920 });
    expect((await jsm.streams.info(names.streamName)).state.messages).toBe(1920);
    const rerun = await runJob(new NatsSink(names), job);
    expect(rerun).toMatchObject({ rows: 1920, duplicates: 1920 });
    expect((await jsm.streams.info(names.streamName)).state.messages).toBe(1920);
    expectExactlyOnce(await readStream(names.streamName), job, `${names.subjectPrefix}.TEXAS_GULF_COAST`);
  });

  it('retries refused publishes and lost PubAcks with the same message id: stored once, lost acks come back as duplicates', async () => {
    const { streamName, subjectPrefix } = fresh();
    const job = testJob();
    const result = await runJob(new WatchedNatsSink({ streamName, subjectPrefix, refuseEvery: 89, loseAckEvery: 97 }), job);
    expect(result.rows).toBe(1920);
    expect(result.retries).toBeGreaterThanOrEqual(Math.floor(1920 / 89) + Math.floor(1920 / 97) - 2);
    // Each lost ack was for a stored message: its retry is acknowledged as a duplicate, never stored again.
    expect(result.duplicates).toBeGreaterThanOrEqual(Math.floor(1920 / 97) - 2);
    expect(result.duplicates).toBeLessThanOrEqual(result.retries);
    expectExactlyOnce(await readStream(streamName), job, `${subjectPrefix}.TEXAS_GULF_COAST`);
  });

  it('survives a dropped connection: the client reconnects, unacknowledged publishes go again and are stored once', async () => {
    const { streamName, subjectPrefix } = fresh();
    const job = testJob({ scenario: testScenario({ meters: 40, days: 2 }) });
    const proxy = await tcpProxy(NATS_URL, 4222);
    try {
      const statuses: string[] = [];
      const sink = new NatsSink({ url: proxy.url, streamName, subjectPrefix, maxPending: 200, ackTimeoutMs: 2_000, onStatus: (s) => statuses.push(s.state) });
      await sink.open(job.context);
      let cut = false;
      for (const { batch, info } of job.batches) {
        const writing = sink.write(batch, info);
        if (!cut) {
          // Cut once the stream has taken some of the first batch, while publishes are pending.
          while ((await jsm.streams.info(streamName)).state.messages < 500) await new Promise((r) => setTimeout(r, 5));
          proxy.cut();
          cut = true;
        }
        await writing;
      }
      const result = await sink.close();
      expect(proxy.connections).toBeGreaterThanOrEqual(2);
      // The job is told: degraded while the client reconnects, recovered when it is back.
      expect(statuses).toEqual(['degraded', 'recovered']);
      expect(result.rows).toBe(job.rows);
      expect(result.retries).toBeGreaterThan(0);
      expectExactlyOnce(await readStream(streamName), job, `${subjectPrefix}.TEXAS_GULF_COAST`);
    } finally {
      await proxy.close();
    }
  });

  it('fails the write, clearly, when the server stays unreachable past the reconnect timeout', async () => {
    const names = fresh();
    const job = testJob();
    const proxy = await tcpProxy(NATS_URL, 4222);
    const sink = new NatsSink({ ...names, url: proxy.url, reconnectTimeoutMs: 1_500 });
    await sink.open(job.context);
    await proxy.close();
    const { batch, info } = job.batches[0]!;
    await expect(sink.write(batch, info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: `Sink nats cannot reach ${proxy.url}: connection lost and not back within 1500 ms`,
    });
    await sink.abort(new Error('stop'));
  });

  it('refuses, before publishing, a stream with a short duplicate window or a subject another stream holds', async () => {
    const job = testJob();
    const short = fresh();
    await jsm.streams.add({ name: short.streamName, subjects: [`${short.subjectPrefix}.>`], duplicate_window: nanos(30_000) });
    await expect(new NatsSink(short).open(job.context)).rejects.toMatchObject({
      code: 'FORGE_ERR_STREAM_CONFLICT',
      message: expect.stringContaining(`cannot use stream ${short.streamName} on ${NATS_URL}: its duplicate window is 30 s`),
    });
    const other = fresh();
    await expect(new NatsSink({ streamName: other.streamName, subjectPrefix: short.subjectPrefix }).open(job.context)).rejects.toMatchObject({
      code: 'FORGE_ERR_STREAM_CONFLICT',
      message: expect.stringContaining(`captured by stream ${short.streamName}, not ${other.streamName}`),
    });
    const elsewhere = fresh();
    await jsm.streams.add({ name: elsewhere.streamName, subjects: [`${elsewhere.subjectPrefix}.ONE_AREA`] });
    await expect(new NatsSink({ streamName: elsewhere.streamName, subjectPrefix: fresh().subjectPrefix }).open(job.context)).rejects.toMatchObject({
      code: 'FORGE_ERR_STREAM_CONFLICT',
      message: expect.stringContaining('do not capture'),
    });
    expect((await jsm.streams.info(short.streamName)).state.messages).toBe(0);
    await expect(jsm.streams.info(other.streamName)).rejects.toThrow();
  });
});

describe.skipIf(!gate.run)(`forge generate --sink nats${gate.note}`, () => {
  let dir: string;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'forge-nats-cli-'));
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes 10 meters x 1 day = 960 readings into the default stream AMI_READINGS, subject ami.readings.<area>', async () => {
    // The default stream is shared with anything else using this server: a unique meter id prefix picks out this
    // run's messages (and keeps their message ids out of other runs' duplicate windows).
    const idPrefix = `T${runId().slice(0, 7).toUpperCase()}`;
    const before = await jsm.streams.info('AMI_READINGS').catch(() => null);
    const run = await runForgeAsync(
      ['generate', '--sink', 'nats', '--nats-url', NATS_URL, '--meters', '10', '--days', '1', '--start', '2026-06-01', '--id-prefix', idPrefix, '--json'],
      dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { rows: number; sinks: { sink: string; rows: number; duplicates: number }[] };
    expect(summary.rows).toBe(960);
    expect(summary.sinks).toMatchObject([{ sink: 'nats', rows: 960, duplicates: 0 }]);
    try {
      const info = await jsm.streams.info('AMI_READINGS');
      expect(info.config.subjects).toEqual(['ami.readings.>']);
      const consumer = await jetstream(nc).consumers.get('AMI_READINGS', { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: (before?.state.last_seq ?? 0) + 1 });
      const ours: Stored[] = [];
      const messages = await consumer.fetch({ max_messages: info.state.last_seq - (before?.state.last_seq ?? 0), expires: 5_000 });
      for await (const m of messages) {
        const message = m.json<NestedReading>();
        if (message.meter.meter_id.startsWith(`${idPrefix}-`)) ours.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), message });
        if (m.info.pending === 0) break;
      }
      expect(ours).toHaveLength(960);
      expect(new Set(ours.map((o) => o.msgId)).size).toBe(960);
      for (const o of ours) {
        expect(o.subject).toBe('ami.readings.TEXAS_GULF_COAST');
        expect(o.msgId).toBe(o.message.header.message_id);
      }
    } finally {
      // Leave the server as found: drop the stream this test created, or only this run's messages from one that was there.
      if (before === null) await jsm.streams.delete('AMI_READINGS').catch(() => false);
      else {
        const consumer = await jetstream(nc).consumers.get('AMI_READINGS', { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: before.state.last_seq + 1 });
        const messages = await consumer.fetch({ max_messages: 10_000, expires: 2_000 });
        for await (const m of messages) {
          if (m.json<NestedReading>().meter.meter_id.startsWith(`${idPrefix}-`)) await jsm.streams.deleteMessage('AMI_READINGS', m.seq, false);
          if (m.info.pending === 0) break;
        }
      }
    }
  });
});

// A server without JetStream, started for the test: needs the nats-server binary (on the machine with the broker).
const natsServer = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
const haveServerBinary = natsServer.status === 0;
describe.skipIf(!haveServerBinary)(`NatsSink and a server without JetStream${haveServerBinary ? '' : ' (skipped: no nats-server binary on PATH)'}`, () => {
  let server: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await closedPort();
    url = `nats://127.0.0.1:${port}`;
    server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(await listening(port))) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(() => {
    server.kill();
  });

  it('open says JetStream is not enabled', async () => {
    await expect(new NatsSink({ url }).open(testJob().context)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: `Sink nats cannot reach ${url}: JetStream is not enabled on this server (start nats-server with -js)`,
    });
  });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
