import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { redactPgUrl } from '../../src/sinks/postgres/postgres-options.js';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink.js';
import { PG_TEST_URL, postgresService, serviceGate } from '../support/services.js';

const service = await postgresService(PG_TEST_URL);
const gate = serviceGate('Postgres', redactPgUrl(PG_TEST_URL), service);
const schema = `labels_test_${process.pid}`;

const scenario = resolveScenario({
  meters: 50, days: 4, start: '2025-03-08', interval: 60, seed: 17, storm: true,
  anomalyRate: 'theft=0.02,meter_fault=0.03,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
});

afterAll(async () => {
  if (!gate.run) return;
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe.runIf(gate.run)(`Postgres sink: anomaly_labels${gate.note}`, () => {
  it('holds one row per window beside the readings table, agreeing with its flags, once however often a window is sent', async () => {
    const sink = new PostgresSink({ url: PG_TEST_URL, schema, table: 'ami_readings' });
    const summary = await runBatchJob({ scenario, sinks: [sink], jobId: 'job-pg-labels', unitRows: 300, workers: 0 });
    const windows = Object.values(summary.labels.windows).reduce((a, b) => a + b, 0);
    expect(windows).toBeGreaterThan(20);
    const client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      const q = async (sql: string): Promise<number> => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
      const flagged = `SELECT meter_id, reading_ts, reading_ts_utc, CASE WHEN event_type = 'LAST_GASP' THEN 'OUTAGE' ELSE event_type END AS label
        FROM ${schema}.ami_readings WHERE event_type IN ('OUTAGE', 'LAST_GASP', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL', 'TAMPER', 'METER_FAULT')`;
      expect(await q(`SELECT count(*) AS n FROM ${schema}.anomaly_labels WHERE job_id = 'job-pg-labels' AND source = 'injected'`)).toBe(windows);
      expect(await q(`SELECT count(*) AS n FROM (${flagged}) f WHERE NOT EXISTS (SELECT 1 FROM ${schema}.anomaly_labels l
        WHERE l.meter_id = f.meter_id AND l.event_type = f.label AND f.reading_ts_utc >= l.start_ts_utc AND f.reading_ts_utc < l.end_ts_utc)`)).toBe(0);
      expect(await q(`SELECT count(*) AS n FROM ${schema}.anomaly_labels l WHERE l.readings <> (SELECT count(*) FROM (${flagged}) f
        WHERE f.meter_id = l.meter_id AND f.label = l.event_type AND f.reading_ts_utc >= l.start_ts_utc AND f.reading_ts_utc < l.end_ts_utc)`)).toBe(0);
      expect(await q(`SELECT count(*) AS n FROM ${schema}.anomaly_labels l WHERE NOT EXISTS (SELECT 1 FROM ${schema}.ami_readings r
        WHERE r.meter_id = l.meter_id AND r.reading_ts_utc = l.start_ts_utc AND r.reading_ts = l.start_ts)`)).toBe(0);

      // Sent again (a resumed run): replaced by key, never doubled.
      const fleet = buildFleet(scenario);
      const again = new PostgresSink({ url: PG_TEST_URL, schema, table: 'ami_readings', append: true });
      await again.open({ scenario, fleet, jobId: 'job-pg-labels' });
      const label = { meterIndex: 0, eventType: 'METER_FAULT', startUtcMs: Date.UTC(2025, 2, 8, 10), endUtcMs: Date.UTC(2025, 2, 8, 12), startLocalMs: Date.UTC(2025, 2, 8, 4), endLocalMs: Date.UTC(2025, 2, 8, 6), readings: 2, severity: 1 } as const;
      await again.writeLabels([label], { localDate: '2025-03-08', final: false, sequence: 0 });
      await again.writeLabels([{ ...label, readings: 3, endUtcMs: label.endUtcMs + 3_600_000, endLocalMs: label.endLocalMs + 3_600_000 }], { localDate: '2025-03-08', final: false, sequence: 0 });
      await again.close();
      const rows = (await client.query(`SELECT readings, to_char(end_ts, 'YYYY-MM-DD HH24:MI') AS e FROM ${schema}.anomaly_labels WHERE job_id = 'job-pg-labels' AND start_ts_utc = '2025-03-08T10:00:00Z' AND event_type = 'METER_FAULT' AND meter_id = $1`, [fleet.meterIds[0]])).rows;
      expect(rows).toEqual([{ readings: 3, e: '2025-03-08 07:00' }]);
    } finally {
      await client.end();
    }
  });

  it('refuses labels before open', async () => {
    const sink = new PostgresSink({ url: PG_TEST_URL, schema, table: 'ami_unopened' });
    await expect(sink.writeLabels([], { localDate: '2025-03-08', final: false, sequence: 0 })).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_STATE' });
  });
});
