import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { createClient } from '@redis/client';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import S3rver from 's3rver';
import { afterAll, describe, expect } from 'vitest';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { createSinks } from '../../src/jobs/sink-factory.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { FileSink } from '../../src/sinks/files/file-sink.js';
import { readFormatDir } from '../../src/sinks/formats/format-files.js';
import { FormatSink } from '../../src/sinks/formats/format-sink.js';
import { MqttSink } from '../../src/sinks/mqtt/mqtt-sink.js';
import { NatsSink } from '../../src/sinks/nats/nats-sink.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { RedisStreamSink } from '../../src/sinks/redis/redis-stream-sink.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { StdoutSink } from '../../src/sinks/stdout/stdout-sink.js';
import { S3StageStore } from '../../src/stage/s3-stage-store.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { MQTT_URL, NATS_URL, REDIS_URL, brokerGate, mqttBroker, natsBroker, redisServer, runId } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { testJob } from '../support/fixtures.js';
import { linesFormat } from '../support/lines-format.js';
import { readingKey, sinkContract } from '../support/sink-contract.js';

/**
 * The sink contract (test/support/sink-contract.ts) against every sink that runs here: the embedded and file sinks,
 * stdout, and the machine's Postgres, Mosquitto, NATS and Redis. Each reader reads the destination as its consumers
 * do (SQL, files through DuckDB, a subscriber, a JetStream consumer, XRANGE).
 */
const dir = mkdtempSync(join(tmpdir(), 'forge-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (name: string): string => join(dir, `${name}-${runId()}`);

/** Readings in DuckDB-readable data: `from` is a table or a table function over files. */
async function duckKeys(from: string, attach?: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    if (attach) await connection.run(`ATTACH '${attach}' AS src (READ_ONLY)`);
    const reader = await connection.runAndReadAll(`SELECT meter_id, epoch(reading_ts_utc::TIMESTAMPTZ) * 1000, usage_kwh FROM ${from}`);
    return reader.getRows().map(([meter, ms, usage]) => readingKey(String(meter), Number(ms), Number(usage)));
  } catch (e) {
    // Nothing written yet: no file or table to read.
    if (/No files found|does not exist|Cannot open file/.test(String(e))) return [];
    throw e;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A nested head-end message's key. */
const nestedKey = (text: string): string => {
  const m = JSON.parse(text) as { meter: { meter_id: string }; reading: { reading_ts_utc: string; usage_kwh: number } };
  return readingKey(m.meter.meter_id, Date.parse(m.reading.reading_ts_utc), m.reading.usage_kwh);
};

sinkContract('DuckDbSink', {
  async create() {
    const path = `${fresh('db')}.duckdb`;
    return { sink: new DuckDbSink({ path }), read: () => duckKeys('src.ami_readings', path), readableWhileOpen: false };
  },
});

const NDJSON_COLUMNS = "{meter_id: 'VARCHAR', reading_ts_utc: 'TIMESTAMPTZ', usage_kwh: 'DOUBLE'}";
for (const format of ['parquet', 'csv', 'ndjson'] as const) {
  const reader = {
    parquet: (d: string) => `read_parquet('${d}/**/*.parquet')`,
    csv: (d: string) => `read_csv('${d}/**/*.csv', header = true, types = {'reading_ts_utc': 'TIMESTAMPTZ'})`,
    ndjson: (d: string) => `read_json('${d}/**/*.ndjson', columns = ${NDJSON_COLUMNS})`,
  }[format];
  sinkContract(`FileSink (${format})`, {
    async create() {
      const out = fresh(format);
      return { sink: new FileSink({ format, dir: out }), read: () => duckKeys(reader(out)), readableWhileOpen: false };
    },
  });
}

// The exchange-format base (sinks/formats/), with a lossless toy format: the real formats write whole Wh, which the
// fixture's values are not. Both groupings: a file per date, and a directory of per-meter files per part.
for (const grouping of ['date', 'customer-day'] as const) {
  sinkContract(`FormatSink (${grouping})`, {
    async create() {
      const out = fresh(`format-${grouping}`);
      const format = linesFormat(grouping);
      const { scenario, fleet } = testJob().context;
      const read = async (): Promise<string[]> => {
        const keys: string[] = [];
        for await (const r of readFormatDir(out, format, { scenario, fleet })) keys.push(readingKey(r.meterId, r.startUtcMs, r.usageKwh));
        return keys;
      };
      return { sink: new FormatSink({ format, dir: out }), read, readableWhileOpen: false };
    },
  });
}

sinkContract('StdoutSink', {
  async create() {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    const read = async (): Promise<string[]> =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const r = JSON.parse(line) as { meter_id: string; reading_ts_utc: string; usage_kwh: number };
          return readingKey(r.meter_id, Date.parse(r.reading_ts_utc), r.usage_kwh);
        });
    return { sink: new StdoutSink({ stream }), read, readableWhileOpen: true };
  },
});

sinkContract('StageSink (local, gzip NDJSON)', {
  async create() {
    const out = fresh('stage');
    const read = async (): Promise<string[]> => {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        const reader = await connection.runAndReadAll(`SELECT json FROM read_json_objects('${out}/**/*.json.gz', format = 'newline_delimited')`);
        return reader.getRows().map(([json]) => nestedKey(String(json)));
      } catch (e) {
        if (/No files found/.test(String(e))) return [];
        throw e;
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    };
    const sink = new StageSink({ location: parseStageLocation(`file://${out}`), format: 'ndjson', gzip: true });
    return { sink, read, readableWhileOpen: true, flushLandsEverything: false };
  },
});

/** One in-process S3-compatible server for the suite, started by the first test that needs it. */
let s3: Promise<{ endpoint: string; close: () => Promise<void> }> | null = null;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
afterAll(async () => (s3 ? (await s3).close() : undefined));
function s3Server(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  s3 ??= (async () => {
    const directory = fresh('s3rver');
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: 'forge-contract' }));
    client.destroy();
    return { endpoint, close: () => server.close() };
  })();
  return s3;
}

sinkContract('StageSink (S3, gzip NDJSON)', {
  async create() {
    const { endpoint } = await s3Server();
    const prefix = `landing-${runId()}`;
    const read = async (): Promise<string[]> => {
      const store = new S3StageStore('forge-contract', prefix, { endpoint, credentials });
      const keys: string[] = [];
      // Readings only (raw/ami): the transformer file beside them is no reading.
      for (const file of await store.list('raw/ami/')) {
        const text = gunzipSync(await store.get(file.key)).toString('utf8');
        for (const line of text.split('\n')) if (line) keys.push(nestedKey(line));
      }
      store.close();
      return keys;
    };
    const sink = new StageSink({ location: parseStageLocation(`s3://forge-contract/${prefix}`), format: 'ndjson', gzip: true, s3: { endpoint, credentials } });
    return { sink, read, readableWhileOpen: true, flushLandsEverything: false };
  },
});

const pgStatus = await postgresService(PG_TEST_URL);
const pgGate = serviceGate('Postgres', PG_TEST_URL, pgStatus);
describe.skipIf(!pgGate.run)(`Postgres${pgGate.note}`, () => {
  sinkContract('PostgresSink', {
    async create() {
      const table = `contract_${runId()}`;
      const query = async (sql: string): Promise<pg.QueryResult> => {
        const client = new pg.Client({ connectionString: PG_TEST_URL });
        await client.connect();
        try {
          return await client.query(sql);
        } finally {
          await client.end();
        }
      };
      const read = async (): Promise<string[]> => {
        const result = await query(`SELECT meter_id, (extract(epoch from reading_ts_utc) * 1000)::float8 AS ms, usage_kwh FROM ${table}`).catch((e: Error) => {
          if (/does not exist/.test(e.message)) return { rows: [] };
          throw e;
        });
        return (result.rows as { meter_id: string; ms: number; usage_kwh: number }[]).map((r) => readingKey(r.meter_id, r.ms, r.usage_kwh));
      };
      return {
        sink: PostgresSink.fromTableName(table, { url: PG_TEST_URL }),
        read,
        readableWhileOpen: true,
        cleanup: async () => void (await query(`DROP TABLE IF EXISTS ${table}`)),
      };
    },
  });
});

const mqttGate = brokerGate('Mosquitto', MQTT_URL, await mqttBroker());
describe.skipIf(!mqttGate.run)(`MQTT${mqttGate.note}`, () => {
  sinkContract('MqttSink', {
    async create() {
      const prefix = `forge-contract-${runId()}`;
      const received: string[] = [];
      // MQTT 5 with a large Receive Maximum: Mosquitto then sends the subscriber everything instead of queueing.
      const subscriber = await connectAsync(MQTT_URL, { protocolVersion: 5, clean: true, properties: { receiveMaximum: 65_535 } });
      subscriber.on('message', (_topic, payload) => received.push(nestedKey(payload.toString('utf8'))));
      await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
      // A PUBACK means the broker took the message; the subscriber gets it a moment later: read when it is quiet.
      const read = async (): Promise<string[]> => {
        let seen = -1;
        while (seen !== received.length) {
          seen = received.length;
          await new Promise((resolve) => setTimeout(resolve, 400));
        }
        return [...received];
      };
      return { sink: new MqttSink({ url: MQTT_URL, topicPrefix: prefix }), read, readableWhileOpen: true, cleanup: async () => void (await subscriber.endAsync()) };
    },
  });
});

const natsGate = brokerGate('NATS', NATS_URL, await natsBroker());
describe.skipIf(!natsGate.run)(`NATS${natsGate.note}`, () => {
  sinkContract('NatsSink', {
    async create() {
      const id = runId();
      const streamName = `FORGE_CONTRACT_${id}`;
      const read = async (): Promise<string[]> => {
        const nc = await natsConnect({ servers: NATS_URL });
        try {
          const info = await (await jetstreamManager(nc)).streams.info(streamName).catch(() => null);
          const total = info?.state.messages ?? 0;
          if (total === 0) return [];
          const consumer = await jetstream(nc).consumers.get(streamName);
          const keys: string[] = [];
          for await (const message of await consumer.fetch({ max_messages: total, expires: 5_000 })) {
            keys.push(nestedKey(message.string()));
            if (keys.length === total) break;
          }
          return keys;
        } finally {
          await nc.close();
        }
      };
      const cleanup = async (): Promise<void> => {
        const nc = await natsConnect({ servers: NATS_URL });
        await (await jetstreamManager(nc)).streams.delete(streamName).catch(() => false);
        await nc.close();
      };
      return { sink: new NatsSink({ url: NATS_URL, streamName, subjectPrefix: `forge-contract-${id}.ami` }), read, readableWhileOpen: true, cleanup };
    },
  });
});

const redisGate = brokerGate('Redis', REDIS_URL, await redisServer());
describe.skipIf(!redisGate.run)(`Redis${redisGate.note}`, () => {
  sinkContract('RedisStreamSink', {
    async create() {
      const stream = `forge-contract:${runId()}`;
      const client = createClient({ url: REDIS_URL });
      client.on('error', () => undefined);
      await client.connect();
      const read = async (): Promise<string[]> => {
        const page = (await client.sendCommand(['XRANGE', stream, '-', '+'])) as [string, string[]][];
        return page.map(([, fields]) => {
          const f = new Map<string, string>();
          for (let i = 0; i < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
          return readingKey(f.get('meter_id')!, Date.parse(f.get('reading_ts_utc')!), Number(f.get('usage_kwh')));
        });
      };
      const cleanup = async (): Promise<void> => {
        await client.sendCommand(['DEL', stream, `${stream}:forge-checkpoints`]);
        await client.close();
      };
      // Built as a job builds it: through the registry (the sink was added as a plugin: src/sinks/redis/redis-plugin.ts).
      const [sink] = await createSinks(parseOutputOptions({ sink: 'redis', redisUrl: REDIS_URL, redisStream: stream, redisMaxlen: 0 }));
      expect(sink).toBeInstanceOf(RedisStreamSink);
      return { sink: sink!, read, readableWhileOpen: true, cleanup };
    },
  });
});
