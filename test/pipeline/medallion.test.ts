import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPipelineOnce, watchPipeline, type PipelineRun } from '../../src/pipeline/pipeline-runner.js';
import { DEFAULT_TRANSFORMER_KVA, NAMEPLATE_POWER_FACTOR } from '../../src/generator/transformer-columns.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { byHour, engineReadings, HOUR_MS, ndjson, putStageFiles, type EngineReading } from '../support/pipeline.js';

/** A forced storm on the day, so the outage summary has outages to count. */
const scenario = resolveScenario({ meters: 20, days: 1, start: '2026-06-10', seed: 11, storm: '2026-06-10' });

let readings: EngineReading[];
let dir: string;
let stage: LocalStageStore;
let dbPath: string;

beforeAll(async () => {
  readings = await engineReadings(scenario);
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-medallion-'));
  stage = new LocalStageStore(join(dir, 'stage'));
  dbPath = join(dir, 'pipeline.duckdb');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(): Promise<PipelineRun> {
  const w = await Warehouse.open(dbPath);
  try {
    return await runPipelineOnce(w, stage);
  } finally {
    w.close();
  }
}

async function query<T>(fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const w = await Warehouse.open(dbPath);
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

const keyOf = (meterId: string, tsUtcMs: number): string => `${meterId} ${tsUtcMs}`;
const hourIso = (ms: number): string => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Gold hourly usage by hour (ISO), summed over meters. */
async function goldHourly(w: Warehouse): Promise<Map<string, { kwh: number; readings: number }>> {
  const rows = await w.rows(`SELECT epoch_ms(hour_utc) AS h, sum(kwh) AS kwh, sum(readings) AS n FROM gold_usage_hourly GROUP BY 1 ORDER BY 1`);
  return new Map(rows.map((r) => [new Date(Number(r.h)).toISOString(), { kwh: Number(r.kwh), readings: Number(r.n) }]));
}

function engineHourly(rs: readonly EngineReading[]): Map<string, { kwh: number; readings: number }> {
  const out = new Map<string, { kwh: number; readings: number }>();
  for (const r of rs) {
    const h = hourIso(r.tsUtcMs);
    const v = out.get(h) ?? { kwh: 0, readings: 0 };
    v.kwh += r.record.reading.usage_kwh;
    v.readings++;
    out.set(h, v);
  }
  return out;
}

describe('silver and gold', () => {
  it('silver holds each reading once, with the engine values, despite duplicated lines across and within files', async () => {
    const hours = byHour(readings);
    await putStageFiles(stage, hours);
    // A re-delivery: readings of hours 2 and 5 again in a later file, one of them twice in that file.
    const again = [...hours[2]!, ...hours[5]!, hours[5]![0]!];
    await stage.put(stageKey(hours[23]![0]!.tsUtcMs + 2 * HOUR_MS, 'redelivery', 1, 'json.gz'), gzipSync(ndjson(again)));

    const first = await run();
    expect(first.load.loaded).toHaveLength(25);
    expect(first.bronzeRows).toBe(readings.length + again.length);
    expect(first.silverRows).toBe(readings.length);
    expect(first.goldHours).toBe(24);
    expect(first.lagMs).not.toBeNull();

    await query(async (w) => {
      expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(readings.length + again.length);
      expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length);
      const rows = await w.rows(
        `SELECT meter_id, epoch_ms(reading_ts_utc) AS t, strftime(reading_ts, '%Y-%m-%d %H:%M:%S') AS local, interval_minutes,
                usage_kwh, voltage, power_factor, temperature_c, transformer_id, circuit_id, substation_id, service_area,
                customer_segment, latitude, longitude, is_outage, data_quality, event_type, emission_pattern, message_id
         FROM silver_ami`,
      );
      const expected = new Map(readings.map((r) => [keyOf(r.record.meter.meter_id, r.tsUtcMs), r.record]));
      let same = 0;
      for (const row of rows) {
        const e = expected.get(keyOf(String(row.meter_id), Number(row.t)));
        if (!e) continue;
        const actual = {
          local: row.local, interval: row.interval_minutes, usage: row.usage_kwh, voltage: row.voltage, pf: row.power_factor,
          temp: row.temperature_c, xf: row.transformer_id, feeder: row.circuit_id, sub: row.substation_id, area: row.service_area,
          seg: row.customer_segment, lat: row.latitude, lon: row.longitude, outage: row.is_outage, dq: row.data_quality,
          event: row.event_type, pattern: row.emission_pattern, id: row.message_id,
        };
        expect(actual).toEqual({
          local: e.reading.reading_ts.slice(0, 19), interval: e.reading.interval_minutes, usage: e.reading.usage_kwh, voltage: e.reading.voltage,
          pf: e.reading.power_factor, temp: e.reading.temperature_c, xf: e.meter.transformer_id, feeder: e.meter.circuit_id,
          sub: e.meter.substation_id, area: e.meter.service_area, seg: e.meter.customer_segment, lat: e.meter.latitude,
          lon: e.meter.longitude, outage: e.quality.is_outage, dq: e.quality.data_quality, event: e.quality.event_type,
          pattern: e.metadata.emission_pattern, id: e.header.message_id,
        });
        same++;
      }
      expect(same).toBe(readings.length);
      const engineSum = readings.reduce((s, r) => s + r.record.reading.usage_kwh, 0);
      expect(close(await w.number(`SELECT sum(usage_kwh) FROM silver_ami`), engineSum)).toBe(true);
    });

    // A restarted pipeline (new process, same database) adds nothing.
    const second = await run();
    expect(second.load.loaded).toEqual([]);
    expect(second.silverRows).toBe(0);
    expect(second.refreshId).toBeNull();
    await query(async (w) => expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length));
  });

  it('gold aggregates equal silver and the engine: hourly, daily, transformer peaks, feeders, substations, outages', async () => {
    await putStageFiles(stage, byHour(readings));
    await run();
    await query(async (w) => {
      const gold = await goldHourly(w);
      const engine = engineHourly(readings);
      expect([...gold.keys()]).toEqual([...engine.keys()]);
      for (const [h, v] of engine) {
        expect(gold.get(h)!.readings).toBe(v.readings);
        expect(close(gold.get(h)!.kwh, v.kwh)).toBe(true);
      }
      const silverSum = await w.number(`SELECT sum(usage_kwh) FROM silver_ami`);
      for (const table of ['gold_usage_hourly', 'gold_usage_daily', 'gold_transformer_hourly', 'gold_feeder_hourly', 'gold_substation_hourly']) {
        expect(close(await w.number(`SELECT sum(kwh) FROM ${table}`), silverSum)).toBe(true);
      }
      expect(await w.number(`SELECT count(*) FROM gold_usage_hourly`)).toBe(20 * 24);
      expect(await w.number(`SELECT sum(readings) FROM gold_usage_daily`)).toBe(readings.length);

      // Transformer peak kW, recomputed here from the engine's readings.
      const load = new Map<string, number>();
      const meters = new Map<string, Set<string>>();
      for (const r of readings) {
        const k = `${r.record.meter.transformer_id} ${r.tsUtcMs}`;
        load.set(k, (load.get(k) ?? 0) + r.record.reading.usage_kwh / (r.record.reading.interval_minutes / 60));
        const hk = `${r.record.meter.transformer_id} ${hourIso(r.tsUtcMs)}`;
        if (!meters.has(hk)) meters.set(hk, new Set());
        meters.get(hk)!.add(r.record.meter.meter_id);
      }
      const peaks = new Map<string, number>();
      for (const [k, kw] of load) {
        const [xf, t] = k.split(' ');
        const hk = `${xf} ${hourIso(Number(t))}`;
        peaks.set(hk, Math.max(peaks.get(hk) ?? Number.NEGATIVE_INFINITY, kw));
      }
      // These files came without the stage sink's transformer file: every transformer is taken as 25 kVA, and says so.
      const xrows = await w.rows(`SELECT transformer_id, epoch_ms(hour_utc) AS h, peak_kw, meters, over_nameplate, nameplate_kw, nameplate_source FROM gold_transformer_hourly`);
      expect(xrows).toHaveLength(peaks.size);
      for (const r of xrows) {
        const hk = `${String(r.transformer_id)} ${new Date(Number(r.h)).toISOString()}`;
        expect(close(Number(r.peak_kw), peaks.get(hk)!)).toBe(true);
        expect(Number(r.meters)).toBe(meters.get(hk)!.size);
        expect(r.nameplate_kw).toBeCloseTo(DEFAULT_TRANSFORMER_KVA * NAMEPLATE_POWER_FACTOR, 9);
        expect(r.nameplate_source).toBe('DEFAULT_25_KVA');
        expect(r.over_nameplate).toBe(peaks.get(hk)! > DEFAULT_TRANSFORMER_KVA * NAMEPLATE_POWER_FACTOR);
      }
      expect(await w.number(`SELECT count(DISTINCT circuit_id) FROM gold_feeder_hourly`)).toBe(new Set(readings.map((r) => r.record.meter.circuit_id)).size);
      expect(await w.number(`SELECT max(meters) FROM gold_substation_hourly`)).toBe(20);

      // Outages per local day, from the engine's labels.
      const days = new Map<string, { served: Set<string>; out: Set<string>; minutes: number; gasps: number }>();
      for (const r of readings) {
        const d = r.record.reading.reading_ts.slice(0, 10);
        const v = days.get(d) ?? { served: new Set(), out: new Set(), minutes: 0, gasps: 0 };
        v.served.add(r.record.meter.meter_id);
        if (r.record.quality.is_outage) {
          v.out.add(r.record.meter.meter_id);
          v.minutes += r.record.reading.interval_minutes;
        }
        if (r.record.quality.event_type === 'LAST_GASP') v.gasps++;
        days.set(d, v);
      }
      expect([...days.values()].some((v) => v.minutes > 0)).toBe(true);
      const orows = await w.rows(
        `SELECT strftime(local_date, '%Y-%m-%d') AS d, customers, customers_out, customer_minutes_out, interruptions, saifi, saidi_minutes
         FROM gold_outage_summary ORDER BY d`,
      );
      expect(orows.map((r) => r.d)).toEqual([...days.keys()].sort());
      for (const r of orows) {
        const v = days.get(String(r.d))!;
        expect([Number(r.customers), Number(r.customers_out), Number(r.customer_minutes_out), Number(r.interruptions)]).toEqual([
          v.served.size, v.out.size, v.minutes, v.gasps,
        ]);
        expect(close(Number(r.saidi_minutes), v.minutes / v.served.size)).toBe(true);
        expect(close(Number(r.saifi), v.gasps / v.served.size)).toBe(true);
      }
    });
  });

  it('a late file (part of an hour arriving after the hour was refreshed) corrects that hour and day in gold', async () => {
    const hours = byHour(readings);
    const lateHour = hours[5]!;
    const early = lateHour.filter((_, i) => i % 2 === 0);
    const late = lateHour.filter((_, i) => i % 2 === 1);
    await putStageFiles(stage, [...hours.slice(0, 5), early, ...hours.slice(6)]);
    await run();
    const h = hourIso(lateHour[0]!.tsUtcMs);
    const sum = (rs: readonly EngineReading[]): number => rs.reduce((s, r) => s + r.record.reading.usage_kwh, 0);
    await query(async (w) => {
      const g = (await goldHourly(w)).get(h)!;
      expect(g.readings).toBe(early.length);
      expect(close(g.kwh, sum(early))).toBe(true);
    });
    await stage.put(stageKey(hours[23]![0]!.tsUtcMs + 3 * HOUR_MS, 'late', 1, 'json.gz'), gzipSync(ndjson(late)));
    const second = await run();
    expect(second.silverRows).toBe(late.length);
    expect(second.goldHours).toBe(1);
    await query(async (w) => {
      const gold = await goldHourly(w);
      expect(gold.get(h)!.readings).toBe(lateHour.length);
      expect(close(gold.get(h)!.kwh, sum(lateHour))).toBe(true);
      expect(close(await w.number(`SELECT sum(kwh) FROM gold_usage_daily`), sum(readings))).toBe(true);
      expect(close(await w.number(`SELECT sum(kwh) FROM gold_transformer_hourly`), sum(readings))).toBe(true);
      expect(await w.number(`SELECT count(*) FROM gold_usage_hourly`)).toBe(20 * 24);
      expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length);
    });
  });

  it('the watch loop picks up files as they land and stops on its signal', async () => {
    const hours = byHour(readings);
    const w = await Warehouse.open(dbPath);
    const controller = new AbortController();
    const runs: PipelineRun[] = [];
    try {
      const watching = watchPipeline(w, stage, { targetLagMs: 200, signal: controller.signal, onRun: (r) => runs.push(r) });
      await putStageFiles(stage, hours.slice(0, 12));
      await new Promise((r) => setTimeout(r, 300));
      await putStageFiles(stage, hours.slice(12), 'test', 12);
      const deadline = Date.now() + 20_000;
      while (runs.reduce((s, r) => s + r.silverRows, 0) < readings.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      const count = await watching;
      expect(count).toBe(runs.length);
      expect(runs.reduce((s, r) => s + r.load.loaded.length, 0)).toBe(24);
      expect(runs.reduce((s, r) => s + r.silverRows, 0)).toBe(readings.length);
      expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length);
      expect(await w.number(`SELECT count(*) FROM pipeline_refresh_history`)).toBe(runs.filter((r) => r.refreshId !== null).length);
    } finally {
      controller.abort();
      w.close();
    }
  });
});
