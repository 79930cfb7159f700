import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Sink } from '../../../src/sinks/sink.js';
import { SnowflakeInsertSink } from '../../../src/sinks/snowflake/snowflake-insert-sink.js';
import { SnowflakeStageSink } from '../../../src/sinks/snowflake/snowflake-stage-sink.js';
import { SnowpipeStreamingSink } from '../../../src/sinks/snowflake/snowpipe-streaming-sink.js';
import { readingKey, sinkContract, type ContractTarget } from '../../support/sink-contract.js';
import { FakeSnowflake } from '../../support/snowflake/fake-snowflake.js';
import { FakeSnowflakeSql } from '../../support/snowflake/fake-snowflake-sql.js';
import { FakeSnowflakeStage } from '../../support/snowflake/fake-snowflake-stage.js';
import { startStageStore, type LocalStageStore } from '../../support/snowflake/fake-stage-store.js';

/**
 * The sink contract (test/support/sink-contract.ts) against the three Snowflake sinks, each on a fresh local fake of
 * the service it calls: the Snowpipe Streaming REST API (fake-snowflake.ts) for `snowflake`, the driver's SQL endpoints
 * (fake-snowflake-sql.ts) for `snowflake-insert`, and those plus PUT/COPY onto an S3-compatible server
 * (fake-snowflake-stage.ts, fake-stage-store.ts) for `snowflake-stage`. The reader is what a query of the target table
 * would find: the rows the fake has committed, never rows merely received. Each target's cleanup also fails the test
 * if the fake saw a request the real service would refuse.
 */

// No network: the driver's cloud-platform probes and connection-shape telemetry are off (see the insert sink's test).
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

const ACCOUNT = 'myorg-myaccount';
const USER = 'forge_loader';
const PASSWORD = 'contract-pa55-w0rd';
const TABLE = 'FORGE.AMI.AMI_READINGS';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let stageStore: LocalStageStore;
beforeAll(async () => {
  // The fakes speak plain HTTP: no certificate whose revocation (OCSP) the driver could check.
  const sdk = (await import('snowflake-sdk')).default;
  sdk.configure({ disableOCSPChecks: true });
  stageStore = await startStageStore();
});
afterAll(async () => {
  await stageStore?.close();
});

/** A row of the target table as the reader reports it (upper-case columns, as Snowflake holds them). */
const keyOf = (row: Record<string, unknown>): string => readingKey(String(row.METER_ID), Date.parse(String(row.READING_TS_UTC)), Number(row.USAGE_KWH));

/** The target around a sink and its fake: the fake stops, after checking it refused nothing, when the test is over. */
function target(sink: Sink, fake: { violations: readonly string[]; close(): Promise<void> }, rows: () => readonly Record<string, unknown>[]): ContractTarget {
  return {
    sink,
    read: async () => rows().map(keyOf),
    readableWhileOpen: true,
    cleanup: async () => {
      await fake.close();
      if (fake.violations.length > 0) throw new Error(`the fake saw requests Snowflake would refuse: ${fake.violations.join('; ')}`);
    },
  };
}

sinkContract('SnowpipeStreamingSink (fake Snowpipe Streaming REST API)', {
  async create() {
    const fake = await FakeSnowflake.start({ kind: 'keypair', publicKeyPem: keys.publicKey, account: ACCOUNT.toUpperCase(), user: USER.toUpperCase() });
    const sink = new SnowpipeStreamingSink({
      account: ACCOUNT, user: USER, database: 'FORGE', schema: 'AMI', pipe: 'AMI_STREAMING_PIPE',
      auth: { kind: 'keypair', privateKeyPem: keys.privateKey }, url: fake.accountUrl, retryBaseMs: 5,
    });
    return target(sink, fake, () => fake.committedRows());
  },
});

sinkContract('SnowflakeInsertSink (fake SQL API)', {
  async create() {
    const fake = await FakeSnowflakeSql.start({ account: ACCOUNT, user: USER, auth: { kind: 'password', password: PASSWORD } });
    const sink = new SnowflakeInsertSink({ account: ACCOUNT, user: USER, database: 'forge', schema: 'ami', warehouse: 'forge_wh', auth: { kind: 'password', password: PASSWORD }, accessUrl: fake.url });
    return target(sink, fake, () => fake.tables.get(TABLE) ?? []);
  },
});

sinkContract('SnowflakeStageSink (fake SQL API, PUT to a local S3)', {
  async create() {
    const fake = await FakeSnowflakeStage.start({ account: ACCOUNT, user: USER, auth: { kind: 'password', password: PASSWORD } });
    // Each fake account gets its own folder in the one bucket, as separate accounts never share a stage.
    fake.store = { ...stageStore.store, prefix: `stages-${randomUUID().slice(0, 8)}/` };
    const sink = new SnowflakeStageSink({ account: ACCOUNT, user: USER, database: 'forge', schema: 'ami', warehouse: 'forge_wh', auth: { kind: 'password', password: PASSWORD }, accessUrl: fake.url });
    return target(sink, fake, () => fake.tables.get(TABLE) ?? []);
  },
});
