import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { expectedRows, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../../src/scenario/scenario.js';
import { quotePgIdentifier, redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { PostgresReadingStore } from '../../src/verify/postgres-reading-store.js';
import { verifySink, type VerifyReport } from '../../src/verify/verify-sink.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { differingMeterDays, storeDigests, SHARD_ROWS, shardScenario } from '../support/shard.js';

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

const SHARDS = 4;
const tables = [`shard_test_${process.pid}_single`, `shard_test_${process.pid}_sharded`];
const [singleTable, shardedTable] = tables as [string, string];

const verify = (scenario: Scenario, table: string): Promise<VerifyReport> =>
  verifySink({ scenario, fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario), target: { kind: 'postgres', url: PG_TEST_URL, table } });

describe('sharding into Postgres', () => {
  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service.available, service.reason).toBe(true);
  });
});

describe.runIf(gate.run)(`4 shards into one Postgres table at ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;
  const jobIds: string[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    for (const t of tables) await admin.query(`DROP TABLE IF EXISTS ${quotePgIdentifier(t)}`);
    await runBatchJob({ scenario: shardScenario(), sinks: [new PostgresSink({ url: PG_TEST_URL, table: singleTable })], workers: 0 });
    // Shard 0 first (it creates the table), then the other three at once into the table that already holds shard 0.
    const first = await runBatchJob({ scenario: shardScenario(`0/${SHARDS}`), sinks: [new PostgresSink({ url: PG_TEST_URL, table: shardedTable })], workers: 0 });
    const rest = await Promise.all(
      [1, 2, 3].map((i) => runBatchJob({ scenario: shardScenario(`${i}/${SHARDS}`), sinks: [new PostgresSink({ url: PG_TEST_URL, table: shardedTable })], workers: 0, unitRows: 1_500 })),
    );
    jobIds.push(first.jobId, ...rest.map((r) => r.jobId));
  }, 120_000);

  afterAll(async () => {
    if (!admin) return;
    for (const t of tables) await admin.query(`DROP TABLE IF EXISTS ${quotePgIdentifier(t)}`);
    await admin.query(`DELETE FROM forge_checkpoints WHERE table_name = ANY ($1)`, [tables.map((t) => `public.${t}`)]).catch(() => undefined);
    await admin.end();
  });

  it('holds every row once, and the same per meter-day digests as the single process table', async () => {
    const count = async (t: string): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM ${quotePgIdentifier(t)}`)).rows[0].n);
    expect(await count(singleTable)).toBe(SHARD_ROWS);
    expect(await count(shardedTable)).toBe(SHARD_ROWS);
    const digests = async (t: string): ReturnType<typeof storeDigests> => {
      const store = await PostgresReadingStore.open(PG_TEST_URL, t);
      try {
        return await storeDigests(store);
      } finally {
        await store.close();
      }
    };
    expect(differingMeterDays(await digests(singleTable), await digests(shardedTable))).toBe(0);
    expect(await verify(shardScenario(), shardedTable)).toMatchObject({ ok: true, expected: SHARD_ROWS, found: SHARD_ROWS });
  });

  it("verify of a shard's scenario checks that shard's meters only", async () => {
    const shard = shardScenario('2/4');
    const report = await verify(shard, shardedTable);
    expect(report).toMatchObject({ ok: true, expected: expectedRows(shard), found: expectedRows(shard) });
    expect(expectedRows(shard)).toBeLessThan(SHARD_ROWS / 3);
  });

  it('keys each checkpoint by job and shard', async () => {
    const rows = (await admin.query(`SELECT job_id, rows FROM forge_checkpoints WHERE table_name = $1 ORDER BY job_id`, [`public.${shardedTable}`])).rows as { job_id: string }[];
    const keys = rows.map((r) => r.job_id).sort();
    expect(keys).toEqual(jobIds.map((id, i) => `${id}.shard-${i}-of-4`).sort());
  });

  it("a shard whose meters are already in the table is refused without --append, and writes nothing", async () => {
    const before = Number((await admin.query(`SELECT count(*) AS n FROM ${quotePgIdentifier(shardedTable)}`)).rows[0].n);
    const error = await runBatchJob({ scenario: shardScenario('3/4'), sinks: [new PostgresSink({ url: PG_TEST_URL, table: shardedTable })], workers: 0 }).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORGE_ERR_TABLE_EXISTS', message: expect.stringContaining('shard 3/4') });
    const after = Number((await admin.query(`SELECT count(*) AS n FROM ${quotePgIdentifier(shardedTable)}`)).rows[0].n);
    expect(after).toBe(before);
  });
});
