import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { expectedRows, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { quotePgIdentifier, redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { verifySink, type VerifyReport } from '../../src/verify/verify-sink.js';
import { closedPort } from '../support/brokers.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';
import { at, tamperPlan, tsText, verifyScenario } from '../support/verify.js';

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);

const scenario = verifyScenario();
const meterIds = buildFleet(scenario).meterIds;
const from = scenarioStartUtcMs(scenario);
const to = scenarioEndUtcMs(scenario);
const plan = tamperPlan(meterIds, scenario);

/** Fresh names per test, unique to this run; dropped after the file. */
let names = 0;
const tables: string[] = [];
const schemas: string[] = [];
const freshTable = (): string => {
  const name = `verify_test_${process.pid}_${++names}`;
  tables.push(name);
  return name;
};

const verify = (table: string, window: { fromMs?: number; toMs?: number } = {}, url = PG_TEST_URL): Promise<VerifyReport> =>
  verifySink({ scenario, fromUtcMs: window.fromMs ?? from, toUtcMs: window.toMs ?? to, target: { kind: 'postgres', url, table } });

describe('verifySink against Postgres (no server needed)', () => {
  it('reports an unreachable server as FORGE_ERR_SINK_CONNECT without the password', async () => {
    const port = await closedPort();
    const error = await verify('ami_readings', {}, `postgres://forge:s3cret@127.0.0.1:${port}/test`).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORGE_ERR_SINK_CONNECT', message: expect.stringContaining(`postgres://forge:***@127.0.0.1:${port}/test`) });
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('refuses a table name that is not a plain identifier before connecting', async () => {
    const port = await closedPort();
    await expect(verify('ami; drop table x', {}, `postgres://postgres@127.0.0.1:${port}/test`)).rejects.toMatchObject({ code: 'FORGE_ERR_INVALID_IDENTIFIER' });
  });

  it.runIf(gate.required)('has a Postgres to test against (required on CI)', () => {
    expect(service.available, service.reason).toBe(true);
  });
});

describe.runIf(gate.run)(`verifySink against Postgres at ${redactPgUrl(PG_TEST_URL)}${gate.note}`, () => {
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });

  afterAll(async () => {
    if (!admin) return;
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS ${quotePgIdentifier(table)}`);
    const hasCheckpoints = await admin.query(`SELECT to_regclass('forge_checkpoints') IS NOT NULL AS ok`);
    if (hasCheckpoints.rows[0].ok) await admin.query(`DELETE FROM forge_checkpoints WHERE table_name = ANY ($1)`, [tables.map((t) => `public.${t}`)]);
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quotePgIdentifier(schema)} CASCADE`);
    await admin.end();
  });

  /** Runs the real batch job into a table (`name` or `schema.name`). */
  async function writeTable(name: string): Promise<void> {
    await runBatchJob({ scenario, sinks: [PostgresSink.fromTableName(name, { url: PG_TEST_URL })], workers: 0 });
  }

  const count = async (table: string, fromMs = from, toMs = to): Promise<number> =>
    Number(
      (await admin.query(`SELECT count(*) AS n FROM ${quotePgIdentifier(table)} WHERE meter_id = ANY ($1) AND reading_ts_utc >= $2 AND reading_ts_utc < $3`, [
        meterIds, tsText(fromMs), tsText(toMs),
      ])).rows[0].n,
    );

  /** Where (meter, instant) is, as the sink wrote its local time. */
  const localDate = async (table: string, meterId: string, tsMs: number): Promise<string> =>
    (await admin.query(`SELECT DISTINCT to_char(reading_ts, 'YYYY-MM-DD') AS d FROM ${quotePgIdentifier(table)} WHERE meter_id = $1 AND reading_ts_utc = $2`, [meterId, tsText(tsMs)])).rows[0].d;

  it('reports clean output as ok, naming the table without a password', async () => {
    const table = freshTable();
    await writeTable(table);
    const report = await verify(table);
    expect(report).toMatchObject({
      target: `postgres ${redactPgUrl(PG_TEST_URL)}#public.${table}`,
      expected: expectedRows(scenario),
      found: expectedRows(scenario),
      missing: 0,
      duplicates: 0,
      differing: 0,
      unexpected: 0,
      meterDays: scenario.meters * 3,
      problems: [],
      ok: true,
    });
    expect(report.found).toBe(await count(table));
  });

  it('finds deleted and changed rows through the primary key, then duplicates and shifted rows once the key is dropped', async () => {
    const table = freshTable();
    await writeTable(table);
    const t = quotePgIdentifier(table);
    const before = (await admin.query(`SELECT usage_kwh FROM ${t} WHERE meter_id = $1 AND reading_ts_utc = $2`, [plan.change.meterId, tsText(plan.change.tsMs)])).rows[0].usage_kwh as number;
    const deleted = await admin.query(`DELETE FROM ${t} WHERE meter_id = $1 AND reading_ts_utc >= $2 AND reading_ts_utc < $3`, [plan.delete.meterId, tsText(plan.delete.fromMs), tsText(plan.delete.toMs)]);
    expect(deleted.rowCount).toBe(plan.delete.rows);
    await admin.query(`UPDATE ${t} SET usage_kwh = usage_kwh + $3 WHERE meter_id = $1 AND reading_ts_utc = $2`, [plan.change.meterId, tsText(plan.change.tsMs), plan.change.by]);
    const expected = expectedRows(scenario);

    const keyed = await verify(table);
    expect(keyed).toMatchObject({ expected, found: expected - 3, missing: 3, duplicates: 0, differing: 1, unexpected: 0, problemMeterDays: 2, ok: false });
    const changedDate = await localDate(table, plan.change.meterId, plan.change.tsMs);
    expect(keyed.problems.map((p) => [p.meterId, p.localDate, p.missing, p.differing])).toEqual([
      [plan.delete.meterId, await localDate(table, plan.delete.meterId, plan.delete.toMs), 3, 0],
      [plan.change.meterId, changedDate, 0, 1],
    ]);
    expect(keyed.problems[1]!.firstDifference).toBe(`${tsText(plan.change.tsMs).replace('.000Z', 'Z')}: usage_kwh ${before} -> ${before + plan.change.by}`);

    // Without the key the table can hold a second copy of a reading, and verify reads it by the other query shape.
    await admin.query(`ALTER TABLE ${t} DROP CONSTRAINT ${quotePgIdentifier(`${table}_pkey`)}`);
    await admin.query(`INSERT INTO ${t} SELECT * FROM ${t} WHERE meter_id = $1 AND reading_ts_utc = $2`, [plan.duplicate.meterId, tsText(plan.duplicate.tsMs)]);
    await admin.query(`INSERT INTO ${t} SELECT (r).* FROM (SELECT r FROM ${t} r WHERE meter_id = $1 AND reading_ts_utc = $2) s`, [plan.offGrid.meterId, tsText(plan.offGrid.tsMs)]);
    await admin.query(`UPDATE ${t} SET reading_ts_utc = reading_ts_utc + make_interval(mins => $3) WHERE ctid = (SELECT max(ctid) FROM ${t} WHERE meter_id = $1 AND reading_ts_utc = $2)`, [
      plan.offGrid.meterId, tsText(plan.offGrid.tsMs), plan.offGrid.shiftMinutes,
    ]);
    expect(await count(table)).toBe(expected - 3 + 2);
    const unkeyed = await verify(table);
    expect(unkeyed).toMatchObject({ expected, found: expected - 3 + 2, missing: 3, duplicates: 1, differing: 1, unexpected: 1, problemMeterDays: 4, ok: false });
    const problems = new Map(unkeyed.problems.map((p) => [p.meterId, p]));
    expect([...problems.keys()].sort()).toEqual([plan.delete.meterId, plan.duplicate.meterId, plan.change.meterId, plan.offGrid.meterId].sort());
    expect(problems.get(plan.duplicate.meterId)).toMatchObject({ localDate: await localDate(table, plan.duplicate.meterId, plan.duplicate.tsMs), duplicates: 1, missing: 0, differing: 0 });
    expect(problems.get(plan.offGrid.meterId)).toMatchObject({ localDate: await localDate(table, plan.offGrid.meterId, plan.offGrid.tsMs), unexpected: 1, missing: 0, differing: 0 });
  });

  it('compares doubles by their bits: a value one ulp off is a differing reading', async () => {
    const table = freshTable();
    await writeTable(table);
    const t = quotePgIdentifier(table);
    const meterId = meterIds[5]!;
    const tsMs = at(scenario, 20);
    const voltage = (await admin.query(`SELECT voltage FROM ${t} WHERE meter_id = $1 AND reading_ts_utc = $2`, [meterId, tsText(tsMs)])).rows[0].voltage as number;
    const bits = new Float64Array([voltage]);
    new BigUint64Array(bits.buffer)[0]! += 1n;
    const next = bits[0]!;
    expect(next).not.toBe(voltage);
    // pg sends the double as its shortest round-trip text, so the table holds exactly `next`.
    await admin.query(`UPDATE ${t} SET voltage = $3::float8 WHERE meter_id = $1 AND reading_ts_utc = $2`, [meterId, tsText(tsMs), next]);
    const report = await verify(table);
    expect(report).toMatchObject({ ok: false, differing: 1, missing: 0, duplicates: 0, unexpected: 0, problemMeterDays: 1 });
    expect(report.problems[0]).toMatchObject({ meterId, firstDifference: `${tsText(tsMs).replace('.000Z', 'Z')}: voltage ${voltage} -> ${next}` });
  });

  it('reads schema.table and ignores readings outside a narrower window', async () => {
    const schema = `verify_s_${process.pid}`;
    schemas.push(schema);
    const table = `${schema}.readings`;
    await writeTable(table);
    const deleted = await admin.query(`DELETE FROM ${quotePgIdentifier(schema)}.readings WHERE meter_id = $1 AND reading_ts_utc >= $2 AND reading_ts_utc < $3`, [
      plan.delete.meterId, tsText(plan.delete.fromMs), tsText(plan.delete.toMs),
    ]);
    expect(deleted.rowCount).toBe(3);
    expect(await verify(table)).toMatchObject({ target: expect.stringMatching(new RegExp(`#${schema}\\.readings$`)), ok: false, missing: 3 });
    const later = await verify(table, { fromMs: at(scenario, 6), toMs: to });
    expect(later).toMatchObject({ ok: true, expected: scenario.meters * 42 * 4, found: scenario.meters * 42 * 4 });
  });

  it('reports a table that does not exist as FORGE_ERR_OUTPUT_NOT_FOUND', async () => {
    const table = `verify_absent_${process.pid}`;
    await expect(verify(table)).rejects.toMatchObject({ code: 'FORGE_ERR_OUTPUT_NOT_FOUND', message: expect.stringContaining(`#${table} (no such table)`) });
    expect((await admin.query(`SELECT to_regclass($1) AS t`, [table])).rows[0].t).toBeNull();
  });
});
