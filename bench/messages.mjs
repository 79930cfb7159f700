// Message sink benchmarks (part of npm run bench; node bench/messages.mjs after npm run build): forge generate into
// NATS JetStream and into MQTT (QoS 1), each against its baseline measured in the same run: the client library alone
// publishing as many ready-made messages of the same size with the same acknowledgement guarantee and the same window
// (JetStream: JetStreamClient.publish with a message id, each awaited for its PubAck; MQTT: MQTT.js QoS 1 publishes,
// each awaited for its PUBACK). The sink's figure includes generating and serialising the readings.
// Needs the local NATS (FORGE_NATS_URL, default nats://127.0.0.1:4222) and Mosquitto (FORGE_MQTT_URL, default
// mqtt://127.0.0.1:1883); a case whose server is absent is skipped with the reason.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, headers } from '@nats-io/transport-node';
import { connectAsync } from 'mqtt';

const NATS_URL = process.env.FORGE_NATS_URL ?? 'nats://127.0.0.1:4222';
const MQTT_URL = process.env.FORGE_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const FORGE = new URL('../dist/cli/main.js', import.meta.url).pathname;
const METERS = 2_000; // x 1 day at 15 minutes = 192,000 messages
const COUNT = METERS * 96;
const tag = `bench${process.pid}`;

/** A payload of the sink's size: the nested head-end message is about 560 bytes. */
function payload(i) {
  const id = `MTR-TGC-${String(i % METERS).padStart(7, '0')}`;
  return JSON.stringify({
    header: { message_id: `${id}:${1780290000 + i * 900}`, source: 'AMI_HEADEND', schema_version: '1.0', emission_pattern: 'UNIFORM' },
    meter: { meter_id: id, transformer_id: 'XFMR-TGC-000001', circuit_id: 'FDR-TGC-0001', substation_id: 'SUB-TGC-001', service_area: 'TEXAS_GULF_COAST', customer_segment: 'RESIDENTIAL', latitude: 29.853367, longitude: -95.117645 },
    reading: { reading_ts: '2026-06-01 00:00:00', reading_ts_utc: '2026-06-01T05:00:00Z', interval_minutes: 15, usage_kwh: 0.048, voltage: 120.7, power_factor: 0.925, temperature_c: 24.9 },
    status: { is_outage: false, data_quality: 'VALID', event_type: null },
  });
}

/** Runs `send(i)` for i < COUNT with at most `window` unsettled at once; returns messages per second. */
async function windowed(window, send) {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < COUNT) await send(next++);
  };
  await Promise.all(Array.from({ length: window }, lane));
  return COUNT / ((performance.now() - started) / 1000);
}

function forge(sink, env) {
  const dir = mkdtempSync(join(tmpdir(), 'forge-bench-messages-'));
  try {
    const out = execFileSync(
      process.execPath,
      [FORGE, 'generate', '--meters', String(METERS), '--days', '1', '--start', '2026-06-01', '--area', 'ERCOT', '--sink', sink, '--json', '--state-dir', join(dir, 'jobs')],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(name, rate, ratio = '') {
  console.log(name.padEnd(58), COUNT.toLocaleString('en-US').padStart(10), `${(rate / 1e3).toFixed(1)}K`.padStart(9), ratio.padStart(8));
}

console.log('');
console.log('message sinks (2,000 meters x 1 day)'.padEnd(58), 'messages'.padStart(10), 'msgs/s'.padStart(9), 'ratio'.padStart(8));

async function natsCases() {
  let nc;
  try {
    nc = await natsConnect({ servers: NATS_URL, timeout: 3_000 });
  } catch (e) {
    return console.log('NATS'.padEnd(58), `skipped: no server at ${NATS_URL} (${e.message})`);
  }
  const jsm = await jetstreamManager(nc);
  const streams = [`FORGE_BENCH_${tag}_BASE`, `FORGE_BENCH_${tag}_SINK`];
  try {
    await jsm.streams.add({ name: streams[0], subjects: [`${tag}.base.>`], duplicate_window: 120e9 });
    const js = jetstream(nc);
    const base = await windowed(1_000, async (i) => {
      const h = headers();
      h.set('Nats-Msg-Id', `base:${i}`);
      await js.publish(`${tag}.base.TEXAS_GULF_COAST`, payload(i), { headers: h });
    });
    line('JetStreamClient.publish, 1,000 awaiting PubAck (baseline)', base);
    const result = forge('nats', { FORGE_NATS_STREAM: streams[1], FORGE_NATS_SUBJECT_PREFIX: `${tag}.sink`, FORGE_NATS_URL: NATS_URL });
    const stored = (await jsm.streams.info(streams[1])).state.messages;
    line(`forge generate --sink nats (${stored.toLocaleString('en-US')} stored)`, result.rowsPerSecond, `${(result.rowsPerSecond / base).toFixed(2)}x`);
  } finally {
    for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
}

async function mqttCases() {
  let client;
  try {
    client = await connectAsync(MQTT_URL, { connectTimeout: 3_000, reconnectPeriod: 0 });
  } catch (e) {
    return console.log('MQTT'.padEnd(58), `skipped: no broker at ${MQTT_URL} (${e.message})`);
  }
  let base;
  try {
    base = await windowed(500, (i) => client.publishAsync(`${tag}/base/${i % METERS}/reading`, payload(i), { qos: 1 }));
    line('MQTT.js QoS 1 publish, 500 awaiting PUBACK (baseline)', base);
  } finally {
    await client.endAsync();
  }
  const result = forge('mqtt', { FORGE_MQTT_URL: MQTT_URL });
  line('forge generate --sink mqtt', result.rowsPerSecond, `${(result.rowsPerSecond / base).toFixed(2)}x`);
}

await natsCases();
await mqttCases();
