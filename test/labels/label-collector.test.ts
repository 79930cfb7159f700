import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { LABEL_TYPES, LabelCollector, type AnomalyLabel } from '../../src/generator/anomaly-labels.js';
import { EVENT_TYPES } from '../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';

/** Every reading of a job, per meter, in time order: its start (UTC ms) and event name ('' for none). */
interface Generated {
  readonly labels: AnomalyLabel[];
  readonly readings: Map<number, { utc: number[]; event: string[] }>;
}

async function generate(scenario: Scenario, unitRows: number): Promise<Generated> {
  const collector = new LabelCollector(scenario, buildFleet(scenario));
  const labels: AnomalyLabel[] = [];
  const readings = new Map<number, { utc: number[]; event: string[] }>();
  for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0, unitRows })) {
    collector.add(batch);
    for (let i = 0; i < batch.length; i++) {
      const m = batch.meterIndex[i]!;
      let r = readings.get(m);
      if (!r) readings.set(m, (r = { utc: [], event: [] }));
      r.utc.push(batch.tsUtcMs[i]!);
      r.event.push(batch.eventType[i] === 0 ? '' : EVENT_TYPES[batch.eventType[i]! - 1]!);
    }
    if (unit.lastOfDay) labels.push(...collector.endDay());
    release();
  }
  labels.push(...collector.finish());
  for (const r of readings.values()) {
    const order = r.utc.map((_, i) => i).sort((a, b) => r.utc[a]! - r.utc[b]!);
    r.utc = order.map((i) => r.utc[i]!);
    r.event = order.map((i) => r.event[i]!);
  }
  return { labels, readings };
}

/** The label type a reading's event belongs to, or null. */
const labelOf = (event: string): string | null => (event === 'LAST_GASP' ? 'OUTAGE' : (LABEL_TYPES as readonly string[]).includes(event) ? event : null);

/** Every way the labels could disagree with the per-row flags, as messages (empty: they agree). */
function disagreements({ labels, readings }: Generated, stepMs: number): string[] {
  const problems: string[] = [];
  const byMeterType = new Map<string, AnomalyLabel[]>();
  for (const l of labels) {
    const key = `${l.meterIndex}|${l.eventType}`;
    byMeterType.set(key, [...(byMeterType.get(key) ?? []), l]);
  }
  // Windows of one meter and type never overlap.
  for (const [key, list] of byMeterType) {
    list.sort((a, b) => a.startUtcMs - b.startUtcMs);
    for (let i = 1; i < list.length; i++) if (list[i]!.startUtcMs < list[i - 1]!.endUtcMs) problems.push(`${key}: overlapping windows`);
  }
  for (const l of labels) {
    const r = readings.get(l.meterIndex);
    if (!r) {
      problems.push(`label for meter ${l.meterIndex} with no readings`);
      continue;
    }
    const inside = r.utc.flatMap((t, i) => (t >= l.startUtcMs && t < l.endUtcMs ? [i] : []));
    const own = inside.filter((i) => labelOf(r.event[i]!) === l.eventType);
    // Every window has its readings, first and last of its own type, and counts them.
    if (own.length !== l.readings || own.length === 0) problems.push(`${l.meterIndex} ${l.eventType}: ${own.length} flagged readings, label says ${l.readings}`);
    if (inside.length === 0 || labelOf(r.event[inside[0]!]!) !== l.eventType || labelOf(r.event[inside.at(-1)!]!) !== l.eventType) {
      problems.push(`${l.meterIndex} ${l.eventType}: window does not start and end on its readings`);
    }
    if (l.eventType === 'TAMPER') {
      // Theft spans other events, never a reading with no event.
      if (inside.some((i) => r.event[i] === '')) problems.push(`${l.meterIndex} TAMPER window spans an unflagged reading`);
    } else if (own.length !== inside.length || (l.endUtcMs - l.startUtcMs) / stepMs !== l.readings) {
      problems.push(`${l.meterIndex} ${l.eventType}: window not contiguous`);
    }
    // Windows are whole: the readings either side are not of its type.
    const before = inside[0]! - 1;
    const after = inside.at(-1)! + 1;
    if (l.eventType !== 'TAMPER' && before >= 0 && labelOf(r.event[before]!) === l.eventType) problems.push(`${l.meterIndex} ${l.eventType}: window cut short at its start`);
    if (l.eventType !== 'TAMPER' && after < r.utc.length && labelOf(r.event[after]!) === l.eventType) problems.push(`${l.meterIndex} ${l.eventType}: window cut short at its end`);
  }
  // Every flagged reading lies in a window of its meter and type.
  for (const [m, r] of readings) {
    for (let i = 0; i < r.utc.length; i++) {
      const type = labelOf(r.event[i]!);
      if (!type) continue;
      const list = byMeterType.get(`${m}|${type}`) ?? [];
      if (!list.some((l) => r.utc[i]! >= l.startUtcMs && r.utc[i]! < l.endUtcMs)) problems.push(`${m} ${type} reading at ${new Date(r.utc[i]!).toISOString()} has no window`);
    }
  }
  return problems;
}

describe('anomaly labels (LabelCollector)', () => {
  // Raised rates and a storm so every label type shows, over days with DST (March) and windows crossing midnight.
  const scenario = resolveScenario({
    meters: 300, days: 21, start: '2025-03-01', interval: 60, seed: 7, storm: true,
    anomalyRate: 'theft=0.01,meter_fault=0.02,comm_gap=0.05,usage_spike=0.05,voltage_sag=0.05,voltage_swell=0.05',
  });

  it('agree with the per-row flags: every flagged reading in a window of its meter and type, every window holding its readings', async () => {
    const generated = await generate(scenario, 2_000);
    expect(disagreements(generated, 60 * 60_000)).toEqual([]);
    const types = new Set(generated.labels.map((l) => l.eventType));
    expect([...types].sort()).toEqual([...LABEL_TYPES].sort());
    // Theft lasts days, a storm outage hours: windows are events, not readings.
    expect(generated.labels.some((l) => l.eventType === 'TAMPER' && l.endUtcMs - l.startUtcMs > 2 * 86_400_000)).toBe(true);
    expect(generated.labels.some((l) => l.eventType === 'OUTAGE' && l.readings > 1)).toBe(true);
    for (const l of generated.labels) {
      expect(l.severity).toBeGreaterThanOrEqual(0);
      expect(l.severity).toBeLessThanOrEqual(1);
    }
    expect(generated.labels.filter((l) => l.eventType === 'TAMPER').every((l) => l.severity >= 0.4 && l.severity <= 0.8)).toBe(true);
  });

  it('are the same whatever the batch size, for any seed and interval (generated cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(15, 30, 60), fc.integer({ min: 50, max: 5_000 }), async (seed, interval, unitRows) => {
        const s = resolveScenario({ meters: 60, days: 4, start: '2025-10-31', interval, seed, anomalyRate: 0.05 });
        const whole = await generate(s, 1_000_000);
        const blocks = await generate(s, unitRows);
        expect(disagreements(blocks, interval * 60_000)).toEqual([]);
        const key = (l: AnomalyLabel): string => `${l.meterIndex}|${l.eventType}|${l.startUtcMs}|${l.endUtcMs}|${l.readings}|${l.severity}`;
        expect(blocks.labels.map(key).sort()).toEqual(whole.labels.map(key).sort());
      }),
      { numRuns: 8, seed: 14 },
    );
  });
});
