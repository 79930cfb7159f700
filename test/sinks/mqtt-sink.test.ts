import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { nestedReading, type NestedReading } from '../../src/generator/reading-records.js';
import { checkMqttUrl, defaultMqttUrl, mqttUrlProblem } from '../../src/sinks/mqtt/mqtt-options.js';
import { MqttSink, type MqttSinkOptions, type MqttSinkResult } from '../../src/sinks/mqtt/mqtt-sink.js';
import { checkTopicLevel, checkTopicPrefix } from '../../src/sinks/mqtt/mqtt-topic.js';
import { MQTT_URL, brokerGate, closedPort, mqttBroker, runForgeAsync, runId, tcpProxy } from '../support/brokers.js';
import { testJob, testScenario, type TestJob } from '../support/fixtures.js';

const status = await mqttBroker();
const gate = brokerGate('Mosquitto', MQTT_URL, status);

interface Received {
  readonly topic: string;
  readonly message: NestedReading;
}

/**
 * A QoS 1 subscriber on a clean session, connected (and subscribed) before anything is published. MQTT 5 with the
 * largest Receive Maximum: Mosquitto then sends it everything at once instead of holding 20 in flight and queueing
 * 1,000, a queue a backfill overflows (messages dropped) while the subscriber shares the publisher's event loop.
 */
async function subscribe(filter: string): Promise<{ received: Received[]; waitFor: (n: number) => Promise<void>; close: () => Promise<void> }> {
  const client: MqttClient = await connectAsync(MQTT_URL, {
    clean: true,
    clientId: `forge-test-sub-${runId()}`,
    reconnectPeriod: 0,
    protocolVersion: 5,
    properties: { receiveMaximum: 65_535 },
  });
  const received: Received[] = [];
  client.on('message', (topic, payload) => received.push({ topic, message: JSON.parse(payload.toString()) as NestedReading }));
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    received,
    // Until n messages are in (or 30 s pass), then a little longer so a message delivered twice would show.
    async waitFor(n: number): Promise<void> {
      const until = Date.now() + 30_000;
      while (received.length < n && Date.now() < until) await sleep(20);
      await sleep(300);
    },
    close: () => client.endAsync(),
  };
}

async function runJob(sink: MqttSink, job: TestJob): Promise<MqttSinkResult> {
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

/** Every reading of the job arrived exactly once, on its meter's topic, in the head-end message shape. */
function expectExactlyOnce(received: readonly Received[], job: TestJob, prefix: string): void {
  const fleet = job.context.fleet;
  const substationOf = new Map(fleet.meterIds.map((id, m) => [id, fleet.substationIds[fleet.substation[m]!]!]));
  const seen = new Set<string>();
  for (const { topic, message } of received) {
    const flat = job.expected.get(`${message.meter.meter_id} ${message.reading.reading_ts_utc}`);
    expect(flat, message.header.message_id).toBeDefined();
    expect(message).toEqual(nestedReading(flat!, Date.parse(flat!.reading_ts_utc)));
    expect(topic).toBe(`${prefix}/${job.context.scenario.area}/${substationOf.get(flat!.meter_id)}/${flat!.meter_id}/reading`);
    seen.add(message.header.message_id);
  }
  expect(seen.size).toBe(job.rows);
  expect(received).toHaveLength(job.rows);
}

/** A window-watching sink: counts publishes awaiting their PUBACK through the `send` seam, and can refuse some. */
class WatchedMqttSink extends MqttSink {
  current = 0;
  max = 0;
  sends = 0;
  private readonly refuseEvery: number;
  constructor(options: MqttSinkOptions & { refuseEvery?: number }) {
    super(options);
    this.refuseEvery = options.refuseEvery ?? 0;
  }
  protected override async send(topic: string, payload: Buffer): Promise<void> {
    const n = ++this.sends;
    // Refuse a first attempt now and then, as a client that could not take the publish would.
    if (this.refuseEvery > 0 && n % this.refuseEvery === 0) throw new Error('client refused the publish');
    this.current++;
    this.max = Math.max(this.max, this.current);
    try {
      await super.send(topic, payload);
    } finally {
      this.current--;
    }
  }
}

describe('MqttSink without a broker', () => {
  it('fails clearly on write before open, bad URLs, options and topic levels', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    await expect(new MqttSink().write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE', message: 'Sink mqtt: write called before open' });
    expect(() => new MqttSink({ url: 'http://127.0.0.1:1883' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new MqttSink({ url: 'not a url' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => new MqttSink({ maxInFlight: 0 })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(checkMqttUrl('mqtt://forge:secret@broker:1883')).toBe('mqtt://forge:***@broker:1883');
    expect(mqttUrlProblem('http://forge:secret@broker:1883')).toBe('expected mqtt://, mqtts://, tcp://, ssl://, ws://, wss://, not http://');
    expect(mqttUrlProblem('mqtt://127.0.0.1:1883')).toBeUndefined();
    expect(parseOutputOptions({ sink: 'mqtt', mqttUrl: 'mqtt://broker:1884' })).toMatchObject({ sink: ['mqtt'], mqttUrl: 'mqtt://broker:1884' });
    expect(() => parseOutputOptions({ sink: 'mqtt', mqttUrl: 'http://x' })).toThrow(/mqttUrl: expected mqtt:\/\//);
    expect(() => parseOutputOptions({ sink: 'duckdb', mqttUrl: 'mqtt://broker:1884' })).toThrow(/--mqtt-url applies to the mqtt sink only/);
    expect(() => parseOutputOptions({ sink: 'mqtt', out: 'x' })).toThrow(/--out names the path of a single sink/);
    expect(defaultMqttUrl({})).toBe('mqtt://127.0.0.1:1883');
    expect(defaultMqttUrl({ FORGE_MQTT_URL: 'mqtt://broker:1884' })).toBe('mqtt://broker:1884');
    for (const bad of ['a+b', 'a#', 'a/b', 'a\u0000b', '']) expect(() => checkTopicLevel(bad, 'a meter id')).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
    expect(checkTopicLevel('MTR-TGC-0000042', 'a meter id')).toBe('MTR-TGC-0000042');
    expect(checkTopicPrefix('test-1/ami')).toBe('test-1/ami');
    for (const bad of ['ami/', '/ami', 'ami/+', '$SYS', 'a//b']) expect(() => checkTopicPrefix(bad)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_IDENTIFIER' }));
  });

  it('open fails at once, naming the URL, when nothing listens there', async () => {
    const url = `mqtt://127.0.0.1:${await closedPort()}`;
    const sink = new MqttSink({ url, connectTimeoutMs: 5_000 });
    const started = Date.now();
    await expect(sink.open(testJob().context)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: expect.stringMatching(new RegExp(`^Sink mqtt cannot reach ${url}: .*ECONNREFUSED`)),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    await sink.abort(new Error('done'));
  });
});

describe('the MQTT broker', () => {
  it.runIf(gate.required)(`is reachable at ${MQTT_URL} (required on CI)`, () => {
    expect(status.available, status.reason).toBe(true);
  });
});

describe.skipIf(!gate.run)(`MqttSink against Mosquitto at ${MQTT_URL}${gate.note}`, () => {
  it('delivers every reading of 20 meters x 1 day exactly once, on its meter topic, as a head-end message', async () => {
    const prefix = `forge-test-${runId()}/ami`;
    const job = testJob();
    const sub = await subscribe(`${prefix}/#`);
    try {
      const result = await runJob(new MqttSink({ topicPrefix: prefix }), job);
      await sub.waitFor(job.rows);
      expect(result).toMatchObject({ sink: 'mqtt', rows: 1920, retries: 0, outputs: [`${MQTT_URL} ${prefix}/TEXAS_GULF_COAST/+/+/reading`] });
      expectExactlyOnce(sub.received, job, prefix);
      const { header, metadata } = sub.received[0]!.message;
      expect(header).toMatchObject({ source_system: 'AMI_HEAD_END', message_type: 'METER_READING', schema_version: '1.0' });
      expect(header.message_id).toMatch(/^MTR-TGC-\d{7}:\d+$/);
      expect(metadata.generator).toBe('flux-data-forge');
    } finally {
      await sub.close();
    }
  });

  it('never has more than the window awaiting PUBACK, and 20,160 QoS 1 messages all arrive', async () => {
    const prefix = `forge-test-${runId()}/ami`;
    const job = testJob({ scenario: testScenario({ meters: 105, days: 2 }) });
    expect(job.rows).toBe(20_160);
    const sub = await subscribe(`${prefix}/#`);
    try {
      const sink = new WatchedMqttSink({ topicPrefix: prefix, maxInFlight: 200 });
      const result = await runJob(sink, job);
      await sub.waitFor(job.rows);
      expect(sink.max).toBe(200);
      expect(result.peakInFlight).toBe(200);
      expect(result.rows).toBe(20_160);
      expectExactlyOnce(sub.received, job, prefix);
    } finally {
      await sub.close();
    }
  });

  it('retries a publish the client refused: each reading still arrives exactly once and counts once', async () => {
    const prefix = `forge-test-${runId()}/ami`;
    const job = testJob();
    const sub = await subscribe(`${prefix}/#`);
    try {
      const sink = new WatchedMqttSink({ topicPrefix: prefix, refuseEvery: 97 });
      const result = await runJob(sink, job);
      await sub.waitFor(job.rows);
      expect(result.retries).toBeGreaterThanOrEqual(Math.floor(1920 / 97));
      expect(result.rows).toBe(1920);
      expectExactlyOnce(sub.received, job, prefix);
    } finally {
      await sub.close();
    }
  });

  it('survives a dropped connection: MQTT.js reconnects and resends, every reading arrives (repeats carry the same message id)', async () => {
    const prefix = `forge-test-${runId()}/ami`;
    const job = testJob({ scenario: testScenario({ meters: 40, days: 2 }) });
    const proxy = await tcpProxy(MQTT_URL, 1883);
    const sub = await subscribe(`${prefix}/#`);
    try {
      const statuses: string[] = [];
      const sink = new MqttSink({ url: proxy.url, topicPrefix: prefix, maxInFlight: 100, onStatus: (s) => statuses.push(s.state) });
      await sink.open(job.context);
      let cut = false;
      for (const { batch, info } of job.batches) {
        const writing = sink.write(batch, info);
        if (!cut) {
          while (sub.received.length < 1000) await sleep(5);
          proxy.cut();
          cut = true;
        }
        await writing;
      }
      const result = await sink.close();
      await sub.waitFor(job.rows);
      expect(proxy.connections).toBeGreaterThanOrEqual(2);
      // The job is told: degraded while the client reconnects, recovered when it is back.
      expect(statuses).toEqual(['degraded', 'recovered']);
      expect(result.rows).toBe(job.rows);
      const ids = new Set(sub.received.map((r) => r.message.header.message_id));
      expect(ids.size).toBe(job.rows);
      // At least once: only messages that were awaiting a PUBACK when the line dropped may come twice.
      expect(sub.received.length - job.rows).toBeLessThanOrEqual(100);
    } finally {
      await sub.close();
      await proxy.close();
    }
  });

  it('fails the write, clearly, when the broker stays unreachable past the reconnect timeout', async () => {
    const job = testJob();
    const proxy = await tcpProxy(MQTT_URL, 1883);
    const sink = new MqttSink({ url: proxy.url, topicPrefix: `forge-test-${runId()}/ami`, reconnectTimeoutMs: 1_500 });
    await sink.open(job.context);
    await proxy.close();
    const { batch, info } = job.batches[0]!;
    await expect(sink.write(batch, info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_CONNECT',
      message: expect.stringContaining(`Sink mqtt cannot reach ${proxy.url}: connection lost and not back within 1500 ms`),
    });
    await sink.abort(new Error('stop'));
  });
});

describe.skipIf(!gate.run)(`forge generate --sink mqtt${gate.note}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'forge-mqtt-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes 10 meters x 1 day = 960 readings that a subscriber receives', async () => {
    // The default topics are shared with anything else on the broker: a unique meter id prefix picks out this run's.
    const idPrefix = `T${runId().slice(0, 7).toUpperCase()}`;
    const sub = await subscribe('ami/TEXAS_GULF_COAST/#');
    try {
      const run = await runForgeAsync(
        ['generate', '--sink', 'mqtt', '--mqtt-url', MQTT_URL, '--meters', '10', '--days', '1', '--start', '2026-06-01', '--id-prefix', idPrefix, '--json'],
        dir,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as { rows: number; sinks: { sink: string; rows: number }[] };
      expect(summary.rows).toBe(960);
      expect(summary.sinks).toMatchObject([{ sink: 'mqtt', rows: 960 }]);
      const ours = (): Received[] => sub.received.filter((r) => r.message.meter.meter_id.startsWith(`${idPrefix}-`));
      const until = Date.now() + 10_000;
      while (ours().length < 960 && Date.now() < until) await sleep(20);
      await sleep(300);
      expect(ours()).toHaveLength(960);
      expect(new Set(ours().map((r) => r.message.header.message_id)).size).toBe(960);
      for (const { topic, message } of ours()) {
        expect(topic).toBe(`ami/TEXAS_GULF_COAST/${message.meter.substation_id}/${message.meter.meter_id}/reading`);
      }
    } finally {
      await sub.close();
    }
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
