import { gzipSync } from 'node:zlib';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { recordOf, type NestedReading } from '../../src/generator/reading-records.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import type { StageStore } from '../../src/stage/stage-store.js';

/** 20 meters x 1 day at 15 minutes: 1,920 readings from the real engine. */
export function pipelineScenario(): Scenario {
  return resolveScenario({ meters: 20, days: 1, start: '2026-06-10', seed: 11 });
}

export interface EngineReading {
  readonly tsUtcMs: number;
  readonly record: NestedReading;
  readonly line: string;
}

/** Every reading of the scenario as the nested head-end message (one NDJSON line each), in event-time order. */
export async function engineReadings(scenario: Scenario = pipelineScenario()): Promise<EngineReading[]> {
  const fleet = buildFleet(scenario);
  const out: EngineReading[] = [];
  for await (const { batch, release } of emitBatches(scenario, { workers: 0 })) {
    for (let row = 0; row < batch.length; row++) {
      const record = recordOf(batch, row, fleet, scenario.area, 'nested') as NestedReading;
      out.push({ tsUtcMs: batch.tsUtcMs[row]!, record, line: JSON.stringify(record) });
    }
    release();
  }
  return out.sort((a, b) => a.tsUtcMs - b.tsUtcMs || (a.record.meter.meter_id < b.record.meter.meter_id ? -1 : 1));
}

export const HOUR_MS = 3_600_000;

/** The readings grouped by UTC hour of their interval start, in hour order. */
export function byHour(readings: readonly EngineReading[]): EngineReading[][] {
  const groups = new Map<number, EngineReading[]>();
  for (const r of readings) {
    const hour = Math.floor(r.tsUtcMs / HOUR_MS) * HOUR_MS;
    if (!groups.has(hour)) groups.set(hour, []);
    groups.get(hour)!.push(r);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

export const ndjson = (readings: readonly EngineReading[]): string => readings.map((r) => r.line).join('\n') + '\n';

/** Puts one gzip NDJSON stage file per group, keyed as the stage sink keys them (landing = the group's first reading + 1 h). */
export async function putStageFiles(store: StageStore, groups: readonly (readonly EngineReading[])[], writer = 'test', firstSequence = 0): Promise<string[]> {
  const keys: string[] = [];
  for (const [i, group] of groups.entries()) {
    const key = stageKey(group[0]!.tsUtcMs + HOUR_MS, writer, firstSequence + i, 'json.gz');
    await store.put(key, gzipSync(ndjson(group)));
    keys.push(key);
  }
  return keys;
}

export const usageSum = (readings: readonly EngineReading[]): number => readings.reduce((s, r) => s + r.record.reading.usage_kwh, 0);
