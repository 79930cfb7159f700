import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NestedReading } from '../../src/generator/reading-records.js';
import { runStreamJob } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { MqttSink } from '../../src/sinks/mqtt/mqtt-sink.js';
import { NatsSink } from '../../src/sinks/nats/nats-sink.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { brokerGate, MQTT_URL, mqttBroker, NATS_URL, natsBroker, runId } from '../support/brokers.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 40, seed: 5, emissionPattern: 'DEGRADED_NETWORK' });
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const EXPECTED = 40 * 96;
// Duplicates on: a head end's network sends some readings twice.
const emission = resolveEmission('DEGRADED_NETWORK', { duplicateRate: 0.02 });

const mqttStatus = await mqttBroker();
const mqttGate = brokerGate('MQTT', MQTT_URL, mqttStatus);
const natsStatus = await natsBroker();
const natsGate = brokerGate('NATS', NATS_URL, natsStatus);

describe('stream brokers', () => {
  it.runIf(mqttGate.required)(`has Mosquitto at ${MQTT_URL} (required on CI)`, () => expect(mqttStatus.available, mqttStatus.reason).toBe(true));
  it.runIf(natsGate.required)(`has NATS at ${NATS_URL} (required on CI)`, () => expect(natsStatus.available, natsStatus.reason).toBe(true));
});

function expectStreamed(messages: readonly NestedReading[]): void {
  for (const m of messages) {
    expect(m.header.emitted_at, m.header.message_id).toBeDefined();
    expect(Date.parse(m.header.emitted_at!)).toBeGreaterThanOrEqual(Date.parse(m.reading.reading_ts_utc) + 15 * 60_000);
  }
}

describe.skipIf(!mqttGate.run)(`stream into Mosquitto at ${MQTT_URL}${mqttGate.note}`, () => {
  it('a QoS 1 subscriber receives every reading, duplicates as a head end sends them, each with its emission time', async () => {
    const prefix = `forge-stream-${runId()}/ami`;
    const client = await mqtt.connectAsync(MQTT_URL, { clean: true });
    const received: NestedReading[] = [];
    client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as NestedReading));
    await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
    try {
      const summary = await runStreamJob({
        scenario, window, speed: null, emission, jobId: `job-${runId()}`, maxBatchRows: 400, sinks: [new MqttSink({ url: MQTT_URL, topicPrefix: prefix })],
      });
      for (let i = 0; i < 200 && received.length < summary.stats.delivered; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(summary.stats.duplicates).toBeGreaterThan(0);
      expect(received.length).toBe(summary.stats.delivered);
      expect(new Set(received.map((m) => m.header.message_id)).size).toBe(EXPECTED);
      expect(summary.stats.sinks[0]).toMatchObject({ sink: 'mqtt', committed: EXPECTED });
      expectStreamed(received);
    } finally {
      await client.endAsync();
    }
  }, 60_000);
});

describe.skipIf(!natsGate.run)(`stream into NATS JetStream at ${NATS_URL}${natsGate.note}`, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streamName = `FORGE_STREAM_${runId()}`;
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await jsm?.streams.delete(streamName).catch(() => false);
    await nc?.close();
  });

  it('the stream holds every reading exactly once: second copies are dropped by their message id', async () => {
    const subjectPrefix = `forge.stream.${runId()}`;
    const summary = await runStreamJob({
      scenario, window, speed: null, emission, jobId: `job-${runId()}`, maxBatchRows: 400,
      sinks: [new NatsSink({ url: NATS_URL, streamName, subjectPrefix })],
    });
    expect(summary.stats.duplicates).toBeGreaterThan(0);
    expect(summary.stats.delivered).toBe(EXPECTED + summary.stats.duplicates);
    expect((await jsm.streams.info(streamName)).state.messages).toBe(EXPECTED);
    const stored = await Promise.all([1, 2, EXPECTED].map((seq) => jsm.streams.getMessage(streamName, { seq })));
    expectStreamed(stored.map((m) => m!.json<NestedReading>()));
  }, 60_000);
});
