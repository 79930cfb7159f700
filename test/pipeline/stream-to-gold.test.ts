import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStreamJob } from '../../src/jobs/stream-job.js';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { StageSink } from '../../src/sinks/stage/stage-sink.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { parseStageLocation } from '../../src/stage/stage-location.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { engineReadings, HOUR_MS } from '../support/pipeline.js';

/** A storm-degraded stream (late, out-of-order and duplicated readings) landed by the stage sink, then ingested. */
const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 1, meters: 30, seed: 8, emissionPattern: 'DEGRADED_NETWORK' });

describe('stream -> stage sink -> ingest -> silver and gold', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-stream-gold-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('silver holds exactly the batch readings of the scenario, gold hours equal the engine, whatever the delivery order and copies', async () => {
    const summary = await runStreamJob({
      scenario,
      window: { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) },
      speed: null,
      emission: resolveEmission('DEGRADED_NETWORK', { duplicateRate: 0.02 }),
      jobId: 'job-pipeline',
      maxBatchRows: 400,
      sinks: [new StageSink({ location: parseStageLocation(`file://${join(dir, 'stage')}`), rollRows: 300 })],
    });
    const expected = await engineReadings(scenario);
    expect(summary.stats.delivered).toBeGreaterThan(expected.length);

    const w = await Warehouse.open(join(dir, 'pipeline.duckdb'));
    try {
      const run = await runPipelineOnce(w, new LocalStageStore(join(dir, 'stage')));
      expect(run.load.quarantined).toEqual([]);
      expect(run.load.rows).toBe(summary.stats.delivered);
      expect(run.silverRows).toBe(expected.length);
      expect(await w.number(`SELECT count(*) FROM silver_ami WHERE emitted_at IS NULL`)).toBe(0);
      // Each key once, with the engine's value.
      const rows = await w.rows(`SELECT meter_id, epoch_ms(reading_ts_utc) AS t, usage_kwh, voltage, event_type FROM silver_ami`);
      const byKey = new Map(expected.map((r) => [`${r.record.meter.meter_id} ${r.tsUtcMs}`, r.record]));
      let same = 0;
      for (const row of rows) {
        const e = byKey.get(`${String(row.meter_id)} ${Number(row.t)}`);
        if (e && e.reading.usage_kwh === row.usage_kwh && e.reading.voltage === row.voltage && e.quality.event_type === row.event_type) same++;
      }
      expect(same).toBe(expected.length);
      // Gold per hour against the engine.
      const hourly = new Map<number, number>();
      for (const r of expected) {
        const h = Math.floor(r.tsUtcMs / HOUR_MS) * HOUR_MS;
        hourly.set(h, (hourly.get(h) ?? 0) + r.record.reading.usage_kwh);
      }
      const gold = await w.rows(`SELECT epoch_ms(hour_utc) AS h, sum(kwh) AS kwh, sum(readings) AS n FROM gold_usage_hourly GROUP BY 1`);
      expect(gold).toHaveLength(hourly.size);
      for (const g of gold) expect(Math.abs(Number(g.kwh) - hourly.get(Number(g.h))!)).toBeLessThan(1e-9);
      expect(gold.reduce((s, g) => s + Number(g.n), 0)).toBe(expected.length);
      // The lag of the refresh counts from the oldest emission it published.
      expect(run.lagMs).toBeGreaterThanOrEqual(Date.now() - run.durationMs - (await w.number(`SELECT epoch_ms(min(emitted_at)) FROM silver_ami`)) - 1000);
    } finally {
      w.close();
    }
  });

  it.each(['csv', 'parquet'] as const)('loads %s stage files too: rows become head-end messages in bronze and the same readings in silver', async (format) => {
    const summary = await runStreamJob({
      scenario,
      window: { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) },
      speed: null,
      emission: resolveEmission('DEGRADED_NETWORK', { duplicateRate: 0.02 }),
      jobId: `job-pipeline-${format}`,
      maxBatchRows: 400,
      sinks: [new StageSink({ location: parseStageLocation(join(dir, 'stage')), format, rollRows: 500 })],
    });
    const expected = await engineReadings(scenario);
    const w = await Warehouse.open(join(dir, 'pipeline.duckdb'));
    try {
      const store = new LocalStageStore(join(dir, 'stage'));
      expect((await store.list('raw/ami/')).every((f) => f.key.endsWith(format === 'csv' ? '.csv.gz' : '.parquet'))).toBe(true);
      // Beside the readings, the job's transformers: loaded into ami_transformers, each with its rating.
      expect((await store.list('raw/transformers/')).map((f) => f.key)).toEqual([expect.stringMatching(/^raw\/transformers\/transformers_[A-Za-z0-9-]+\.ndjson\.gz$/)]);
      const run = await runPipelineOnce(w, store);
      expect(run.load.skipped).toEqual([]);
      expect(run.load.quarantined).toEqual([]);
      expect(run.load.rows).toBe(summary.stats.delivered);
      expect(run.silverRows).toBe(expected.length);
      expect(await w.number(`SELECT count(*) FROM bronze_ami WHERE raw->>'$.header.source_system' = 'AMI_HEAD_END'`)).toBe(summary.stats.delivered);
      // Parquet keeps the emission time (a header field); CSV is the flat reading, without it.
      expect(await w.number(`SELECT count(*) FROM silver_ami WHERE emitted_at IS NULL`)).toBe(format === 'csv' ? expected.length : 0);
      const rows = await w.rows(`SELECT meter_id, epoch_ms(reading_ts_utc) AS t, usage_kwh, is_outage, event_type, message_id FROM silver_ami`);
      const byKey = new Map(expected.map((r) => [`${r.record.meter.meter_id} ${r.tsUtcMs}`, r.record]));
      let same = 0;
      for (const row of rows) {
        const e = byKey.get(`${String(row.meter_id)} ${Number(row.t)}`);
        if (e && e.reading.usage_kwh === row.usage_kwh && e.quality.is_outage === row.is_outage && e.quality.event_type === row.event_type && e.header.message_id === row.message_id) same++;
      }
      expect(same).toBe(expected.length);
    } finally {
      w.close();
    }
  });
});
