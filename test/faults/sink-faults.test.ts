import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStreamJob, SinkHealth } from '../../src/jobs/stream-job.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { MqttSink } from '../../src/sinks/mqtt/mqtt-sink.js';
import { NatsSink } from '../../src/sinks/nats/nats-sink.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { verifySink } from '../../src/verify/verify-sink.js';
import { MQTT_URL, NATS_URL, brokerGate, closedPort, mqttBroker, natsBroker, runId, tcpProxy } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { duckFactCounts, forge, jobRecords } from '../support/faults.js';

/**
 * Each networked sink (Postgres, MQTT, NATS JetStream) unavailable when a job starts, and going away in the middle of
 * a stream job and coming back. The sinks' own tests (test/sinks) cover a cut connection and a service that never
 * comes back at the sink level; here the whole job runs and the outage lasts seconds.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-sinks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a networked sink unavailable at start (nothing listens on the port)', () => {
  it('forge generate --sink duckdb,<sink> fails clearly for postgres, mqtt and nats: exit 1, the URL named, the job failed, no reading written', async () => {
    const cases = [
      { sink: 'postgres', flag: '--pg-url', url: `postgres://forge:pw-s3cret-91@127.0.0.1:${await closedPort()}/test`, shown: 'postgres://forge:***@127.0.0.1' },
      { sink: 'mqtt', flag: '--mqtt-url', url: `mqtt://127.0.0.1:${await closedPort()}`, shown: 'mqtt://127.0.0.1' },
      { sink: 'nats', flag: '--nats-url', url: `nats://127.0.0.1:${await closedPort()}`, shown: '127.0.0.1' },
    ];
    const results = await Promise.all(
      cases.map(async (c) => {
        const work = join(dir, `start-${c.sink}`);
        await mkdir(work, { recursive: true });
        const out = join(work, 'forge.duckdb');
        const stateDir = join(work, 'jobs');
        const run = await forge(['generate', '--meters', '20', '--days', '1', '--start', '2026-06-01', '--sink', `duckdb,${c.sink}`, c.flag, c.url, '--out', out, '--state-dir', stateDir], work);
        return { ...c, run, out, stateDir, work };
      }),
    );
    for (const { sink, url, shown, run, out, stateDir, work } of results) {
      expect(run.code, `${sink}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`Sink ${sink} cannot reach .*${new URL(url).port}.*\\[FORGE_ERR_SINK_CONNECT\\]`));
      expect(run.stderr).toContain(shown);
      expect(run.stderr).not.toMatch(/pw-s3cret-91|\n\s+at /);
      const [record] = await jobRecords(stateDir);
      expect(record).toMatchObject({ status: 'failed', stats: { delivered: 0 } });
      expect(record!.errors.join(' ')).toMatch(/FORGE_ERR_SINK_CONNECT|cannot reach/);
      const show = await forge(['jobs', 'show', record!.jobId, '--state-dir', stateDir], work);
      expect(show.stdout).not.toContain('pw-s3cret-91');
      // The DuckDB sink opened first and was aborted: no reading.
      expect((await duckFactCounts(out).catch(() => ({ rows: 0, keys: 0 }))).rows).toBe(0);
    }
  }, 120_000);
});

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 60, seed: 8 });
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const EXPECTED = 60 * 96;
/** A simulated day in about 5 s of wall time. */
const SPEED = 86_400 / 5;
const OUTAGE_MS = 2_000;

interface OutageRun {
  readonly summary: Awaited<ReturnType<typeof runStreamJob>>;
  readonly states: string[];
  /** Wall milliseconds from the service coming back to the sink reporting recovered. */
  readonly recoverMs: number;
}

/** Streams the day into `sink`; once readings flow, the service behind `proxy` goes away for OUTAGE_MS. */
async function streamThroughOutage(name: string, sink: (onStatus: (s: { state: 'degraded' | 'recovered'; error?: string }) => void) => Sink, proxy: { down(): void; up(): void }): Promise<OutageRun> {
  const health = new SinkHealth();
  const states: string[] = [];
  let upAt = 0;
  let recoveredAt = 0;
  let outage: Promise<void> | null = null;
  const summary = await runStreamJob({
    scenario, window, speed: SPEED, emission: resolveEmission('UNIFORM'), jobId: `job-fault-${name}-${runId()}`, health,
    sinks: [
      sink((s) => {
        states.push(s.state);
        if (s.state === 'recovered') recoveredAt = Date.now();
        health.update({ sink: name, state: s.state, ...(s.error ? { error: s.error } : {}) });
      }),
    ],
    onStats: (stats) => {
      if (outage || stats.delivered === 0) return;
      proxy.down();
      outage = new Promise((resolve) => setTimeout(() => {
        upAt = Date.now();
        proxy.up();
        resolve();
      }, OUTAGE_MS));
    },
  });
  await outage;
  return { summary, states, recoverMs: recoveredAt - upAt };
}

const pgStatus = await postgresService(PG_TEST_URL);
const pgGate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), pgStatus);
const mqttGate = brokerGate('Mosquitto', MQTT_URL, await mqttBroker());
const natsGate = brokerGate('NATS', NATS_URL, await natsBroker());

describe.runIf(pgGate.run)(`Postgres going away mid-stream${pgGate.note}`, () => {
  it('the job reports degraded, recovers when it is back, and verify finds 0 missing, 0 duplicates', async () => {
    const proxy = await tcpProxy(PG_TEST_URL, 5432);
    const table = `fault_outage_${runId()}`;
    try {
      const run = await streamThroughOutage('postgres', (onStatus) => PostgresSink.fromTableName(table, { url: proxy.url, retry: { initialDelayMs: 50, maxDelayMs: 500 }, onStatus }), proxy);
      console.info(`postgres outage ${OUTAGE_MS} ms: states ${run.states.join(' -> ')}, recovered ${run.recoverMs} ms after the server came back, ${run.summary.stats.delivered} delivered`);
      expect(run.states).toContain('degraded');
      expect(run.states.at(-1)).toBe('recovered');
      expect(run.summary.status).toBe('completed');
      expect(run.summary.stats.sinks[0]).toMatchObject({ sink: 'postgres', state: 'ok', committed: EXPECTED });
      const report = await verifySink({ scenario, ...window, target: { kind: 'postgres', url: PG_TEST_URL, table } });
      expect(report).toMatchObject({ expected: EXPECTED, found: EXPECTED, missing: 0, duplicates: 0, differing: 0, unexpected: 0, ok: true });
    } finally {
      await proxy.close();
      const admin = new pg.Client({ connectionString: PG_TEST_URL });
      await admin.connect();
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    }
  }, 90_000);
});

describe.runIf(mqttGate.run)(`Mosquitto going away mid-stream${mqttGate.note}`, () => {
  it('the job reports degraded, recovers when it is back, and a subscriber receives every reading (at least once)', async () => {
    const prefix = `forge-fault-${runId()}/ami`;
    const subscriber = await connectAsync(MQTT_URL, { clean: true, clientId: `forge-fault-sub-${runId()}`, reconnectPeriod: 0, protocolVersion: 5, properties: { receiveMaximum: 65_535 } });
    const ids = new Map<string, number>();
    subscriber.on('message', (_topic, payload) => {
      const id = (JSON.parse(payload.toString()) as { header: { message_id: string } }).header.message_id;
      ids.set(id, (ids.get(id) ?? 0) + 1);
    });
    await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
    const proxy = await tcpProxy(MQTT_URL, 1883);
    try {
      const run = await streamThroughOutage('mqtt', (onStatus) => new MqttSink({ url: proxy.url, topicPrefix: prefix, onStatus }), proxy);
      const until = Date.now() + 20_000;
      while (ids.size < EXPECTED && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const received = [...ids.values()].reduce((a, b) => a + b, 0);
      console.info(`mqtt outage ${OUTAGE_MS} ms: states ${run.states.join(' -> ')}, recovered ${run.recoverMs} ms after the broker came back; ${ids.size} distinct readings received, ${received - ids.size} repeats`);
      expect(run.states).toContain('degraded');
      expect(run.states.at(-1)).toBe('recovered');
      expect(run.summary.status).toBe('completed');
      expect(run.summary.stats.sinks[0]).toMatchObject({ sink: 'mqtt', state: 'ok', committed: EXPECTED });
      // 0 missing; repeats are MQTT's at-least-once (each carries the same message id for the subscriber to drop).
      expect(ids.size).toBe(EXPECTED);
    } finally {
      await proxy.close();
      await subscriber.endAsync();
    }
  }, 90_000);
});

describe.runIf(natsGate.run)(`NATS JetStream going away mid-stream${natsGate.note}`, () => {
  it('the job reports degraded, recovers when it is back, and the stream holds every reading exactly once', async () => {
    const id = runId();
    const streamName = `FORGE_FAULT_${id}`;
    const subjectPrefix = `forge-fault-${id}.ami.readings`;
    const proxy = await tcpProxy(NATS_URL, 4222);
    const nc = await natsConnect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    try {
      const run = await streamThroughOutage('nats', (onStatus) => new NatsSink({ url: proxy.url, streamName, subjectPrefix, onStatus }), proxy);
      const stored = (await jsm.streams.info(streamName)).state.messages;
      console.info(`nats outage ${OUTAGE_MS} ms: states ${run.states.join(' -> ')}, recovered ${run.recoverMs} ms after the server came back; stream holds ${stored}`);
      expect(run.states).toContain('degraded');
      expect(run.states.at(-1)).toBe('recovered');
      expect(run.summary.status).toBe('completed');
      expect(run.summary.stats.sinks[0]).toMatchObject({ sink: 'nats', state: 'ok', committed: EXPECTED });
      // JetStream's message-id de-duplication: publishes sent again after the outage are stored once.
      expect(stored).toBe(EXPECTED);
    } finally {
      await jsm.streams.delete(streamName).catch(() => false);
      await nc.close();
      await proxy.close();
    }
  }, 90_000);
});
