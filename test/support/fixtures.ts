import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFleet, type Fleet } from '../../src/fleet/fleet.js';
import { allocateBatch, sliceBatch, type ReadingBatch } from '../../src/generator/reading-batch.js';
import { flatReading, type FlatReading } from '../../src/generator/reading-records.js';
import { EMISSION_PATTERNS, EVENT_TYPES } from '../../src/scenario/enums.js';
import { intervalsPerMeter, resolveScenario, scenarioStartUtcMs, serviceAreaOf, type Scenario } from '../../src/scenario/scenario.js';
import type { BatchInfo, SinkContext } from '../../src/sinks/sink.js';
import { isoDate, toWallClockMs } from '../../src/util/time-zone.js';

/**
 * Handmade readings for sink tests: 20 meters over 2026-03-08, the day US clocks spring forward, so the 24 real
 * hours of the scenario span two local dates (23 hours of 2026-03-08, then the first hour of 2026-03-09). Values are
 * chosen to be awkward (negative usage, non-terminating binary fractions, every event code including none) and are
 * a pure function of (meter, interval), without the real generator.
 */
export function testScenario(overrides: Record<string, unknown> = {}): Scenario {
  return resolveScenario({ meters: 20, days: 1, start: '2026-03-08', seed: 7, ...overrides });
}

export interface TestJob {
  readonly context: SinkContext;
  readonly batches: { batch: ReadingBatch; info: BatchInfo }[];
  readonly rows: number;
  /** Every reading as reading-records.ts renders it, keyed by `${meter_id} ${reading_ts_utc}`. */
  readonly expected: Map<string, FlatReading>;
}

export function testJob(options: { scenario?: Scenario; jobId?: string; batchesPerDate?: number } = {}): TestJob {
  const scenario = options.scenario ?? testScenario();
  const fleet: Fleet = buildFleet(scenario);
  const area = serviceAreaOf(scenario);
  const steps = intervalsPerMeter(scenario);
  const stepMs = scenario.intervalMinutes * 60_000;
  const start = scenarioStartUtcMs(scenario);
  const n = steps * fleet.size;
  const all = allocateBatch(n, scenario.intervalMinutes);
  const pattern = EMISSION_PATTERNS.indexOf(scenario.emissionPattern);
  let row = 0;
  for (let t = 0; t < steps; t++) {
    const utc = start + t * stepMs;
    const local = toWallClockMs(area.timeZone, utc);
    for (let m = 0; m < fleet.size; m++, row++) {
      const k = t * fleet.size + m;
      const outage = k % 37 === 5;
      all.meterIndex[row] = m;
      all.tsUtcMs[row] = utc;
      all.tsLocalMs[row] = local;
      all.usageKwh[row] = outage ? 0 : m % 5 === 4 ? -0.1 * (t % 3) - 0.2 : 0.1 + m * 0.01 + t / 3;
      all.voltage[row] = outage ? 0 : 118 + (k % 9) * 0.7;
      all.powerFactor[row] = 0.9 + (k % 10) / 100;
      all.temperatureC[row] = -3.3 + t * 0.25;
      all.isOutage[row] = outage ? 1 : 0;
      all.dataQuality[row] = outage ? 2 : k % 4;
      all.eventType[row] = outage ? 1 : k % 11 < 2 ? 0 : 1 + (k % (EVENT_TYPES.length));
      // One emission pattern a job, as the engine emits (the file sinks write it as the job's constant).
      all.emissionPattern[row] = pattern;
    }
  }
  // Split by local date, then each date into `batchesPerDate` batches, as an emitter would send them.
  const batches: { batch: ReadingBatch; info: BatchInfo }[] = [];
  const per = options.batchesPerDate ?? 2;
  let from = 0;
  let sequence = 0;
  while (from < n) {
    const date = isoDate(all.tsLocalMs[from]!);
    let to = from;
    while (to < n && isoDate(all.tsLocalMs[to]!) === date) to++;
    const size = Math.ceil((to - from) / per);
    for (let s = from; s < to; s += size) {
      const e = Math.min(to, s + size);
      batches.push({ batch: sliceBatch(all, s, e), info: { localDate: date, lastOfDate: e === to, sequence: sequence++ } });
    }
    from = to;
  }
  const expected = new Map<string, FlatReading>();
  for (let i = 0; i < n; i++) {
    const r = flatReading(all, i, fleet, scenario.area);
    expected.set(`${r.meter_id} ${r.reading_ts_utc}`, r);
  }
  return { context: { scenario, fleet, jobId: options.jobId ?? 'job-test-1' }, batches, rows: n, expected };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'forge-sink-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
