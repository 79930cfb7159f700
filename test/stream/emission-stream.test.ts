import { afterEach, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../../src/scenario/scenario.js';
import { RESTORE_EVERY_MS } from '../../src/stream/emission-schedule.js';
import { resolveEmission, type EmissionSettings } from '../../src/stream/emission-settings.js';
import { EmissionStream, TICK_MS, type StreamBatch } from '../../src/stream/emission-stream.js';
import { checksumOf, ReadingChecksum } from '../support/core.js';

const STEP = 15 * 60_000;

function streamOf(
  scenario: Scenario,
  emission: EmissionSettings,
  window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) },
  workers = 0,
): EmissionStream {
  const stream = new EmissionStream(scenario, buildFleet(scenario), emission, generationDays(scenario), window, { workers });
  opened.push(stream);
  return stream;
}

/** Streams of a test: closed after it (a stream with workers keeps them until closed). */
const opened: EmissionStream[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** Every batch of the stream, taken as fast as possible. */
async function drain(stream: EmissionStream, maxRows = 5_000): Promise<StreamBatch[]> {
  const out: StreamBatch[] = [];
  for (let b = await stream.take(Number.POSITIVE_INFINITY, maxRows); b; b = await stream.take(Number.POSITIVE_INFINITY, maxRows)) out.push(b);
  return out;
}

/** Per reading (not per copy): emission delay after its interval's end, ms. */
function delays(batches: readonly StreamBatch[]): { delays: number[]; copies: number; keys: Set<string> } {
  const result: number[] = [];
  const keys = new Set<string>();
  let copies = 0;
  for (const { batch } of batches) {
    for (let i = 0; i < batch.length; i++) {
      if (batch.redelivery[i] === 1) {
        copies++;
        continue;
      }
      keys.add(`${batch.meterIndex[i]}:${batch.tsUtcMs[i]}`);
      result.push(batch.emittedUtcMs[i]! - (batch.tsUtcMs[i]! + STEP));
    }
  }
  return { delays: result, copies, keys };
}

const share = (values: readonly number[], test: (v: number) => boolean): number => values.filter(test).length / values.length;

describe('emission stream', () => {
  const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 2, meters: 120, seed: 9 });
  const readings = 120 * 2 * 96;

  it('UNIFORM: every meter reports exactly at the end of each interval, each reading once, in emission order', async () => {
    const batches = await drain(streamOf(scenario, resolveEmission('UNIFORM')));
    const { delays: d, copies, keys } = delays(batches);
    expect(d.length).toBe(readings);
    expect(keys.size).toBe(readings);
    expect(copies).toBe(0);
    expect(new Set(d)).toEqual(new Set([0]));
    const emitted = batches.flatMap(({ batch }) => Array.from(batch.emittedUtcMs));
    expect(emitted).toEqual([...emitted].sort((a, b) => a - b));
    // Readings emitted at the same instant (every meter's, here) leave in the day's row order: by meter.
    const meters = batches.flatMap(({ batch }) => Array.from(batch.meterIndex));
    const outOfRowOrder = meters.filter((m, i) => i > 0 && emitted[i] === emitted[i - 1] && m <= meters[i - 1]!);
    expect(outOfRowOrder).toEqual([]);
  });

  it('contains exactly the readings of the batch engine for the same scenario', async () => {
    const sum = new ReadingChecksum();
    for (const { batch } of await drain(streamOf(scenario, resolveEmission('DEGRADED_NETWORK')))) sum.add(firstCopies(batch));
    const reference = await checksumOf(scenario, { workers: 0 });
    expect(sum.count).toBe(reference.rows);
    expect(sum.duplicates).toBe(0);
    expect(sum.digest()).toBe(reference.digest);
  });

  it('STAGGERED_REALISTIC spreads meters over the interval, each meter keeping its phase', async () => {
    const batches = await drain(streamOf(scenario, resolveEmission('STAGGERED_REALISTIC')));
    const { delays: d } = delays(batches);
    expect(Math.max(...d)).toBeLessThan(STEP);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
    // Spread: each quarter of the interval holds 15-35% of the reports.
    for (let q = 0; q < 4; q++) expect(share(d, (v) => v >= (q * STEP) / 4 && v < ((q + 1) * STEP) / 4)).toBeGreaterThan(0.15);
    for (let q = 0; q < 4; q++) expect(share(d, (v) => v >= (q * STEP) / 4 && v < ((q + 1) * STEP) / 4)).toBeLessThan(0.35);
  });

  it('PARTIAL_REPORTING misses about 2% of reads at their time and backfills them 1 to 4 hours later', async () => {
    const stats = await drain(streamOf(scenario, resolveEmission('PARTIAL_REPORTING')));
    const { delays: d } = delays(stats);
    const backfilled = d.filter((v) => v >= STEP);
    expect(backfilled.length / d.length).toBeGreaterThan(0.012);
    expect(backfilled.length / d.length).toBeLessThan(0.03);
    expect(Math.min(...backfilled)).toBeGreaterThanOrEqual(3_600_000);
    expect(Math.max(...backfilled)).toBeLessThan(4 * 3_600_000 + STEP);
    expect(stats.reduce((n, b) => n + b.backfilled, 0)).toBe(backfilled.length);
  });

  it('DEGRADED_NETWORK: about 15% missing or late, the missing ones in bursts when the network comes back', async () => {
    const batches = await drain(streamOf(scenario, resolveEmission('DEGRADED_NETWORK')));
    const { delays: d, copies } = delays(batches);
    const delayed = share(d, (v) => v >= STEP);
    expect(delayed).toBeGreaterThan(0.12);
    expect(delayed).toBeLessThan(0.19);
    // Backfills land within 30 s after a restore (every 2 hours).
    const backfills = batches.reduce((n, b) => n + b.backfilled, 0);
    let inBursts = 0;
    for (const { batch } of batches) {
      for (let i = 0; i < batch.length; i++) {
        const sinceRestore = batch.emittedUtcMs[i]! % RESTORE_EVERY_MS;
        if (batch.redelivery[i] === 0 && batch.emittedUtcMs[i]! - batch.tsUtcMs[i]! >= 2 * STEP && sinceRestore < 30_000) inBursts++;
      }
    }
    expect(backfills / d.length).toBeGreaterThan(0.07);
    // Nearly all delayed reads inside the 30 s after a restore are the backfills (a late one lands there by chance).
    expect(inBursts).toBeGreaterThanOrEqual(backfills);
    expect(inBursts).toBeLessThan(backfills + 0.01 * d.length);
    expect(copies / d.length).toBeGreaterThan(0.002);
    expect(copies / d.length).toBeLessThan(0.01);
  });

  it('the rates options override the pattern and reject nonsense', async () => {
    const batches = await drain(streamOf(scenario, resolveEmission('STAGGERED_REALISTIC', { lateRate: 0.1, duplicateRate: '0.05', outOfOrderRate: 0.02 })));
    const { delays: d, copies } = delays(batches);
    expect(share(d, (v) => v >= STEP)).toBeGreaterThan(0.09);
    expect(copies / d.length).toBeGreaterThan(0.04);
    expect(batches.reduce((n, b) => n + b.outOfOrder, 0) / d.length).toBeGreaterThan(0.015);
    expect(() => resolveEmission('UNIFORM', { lateRate: -1 })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    expect(() => resolveEmission('UNIFORM', { lateRate: 0.3, missingRate: 0.3 })).toThrow(/at most 0.5/);
    expect(() => resolveEmission('UNIFORM', { bogus: 1 })).toThrow(/unknown key "bogus"/);
  });

  it('cuts batches at whole ticks and can skip to a checkpoint, then continues exactly where a full run would', async () => {
    const settings = resolveEmission('DEGRADED_NETWORK');
    const full = await drain(streamOf(scenario, settings), 997);
    for (const b of full) {
      const ticks = Array.from(b.batch.emittedUtcMs, (t) => Math.floor((t - scenarioStartUtcMs(scenario)) / TICK_MS));
      expect(Math.max(...ticks)).toBe(b.lastTick);
    }
    const cut = full[Math.floor(full.length / 2)]!.lastTick;
    const resumed = streamOf(scenario, settings);
    await resumed.skipBefore(cut + 1);
    const rest = await drain(resumed, 997);
    const after = (bs: readonly StreamBatch[]): string[] =>
      bs.flatMap(({ batch }) => Array.from(batch.meterIndex, (m, i) => `${m}:${batch.tsUtcMs[i]}:${batch.emittedUtcMs[i]}:${batch.redelivery[i]}`));
    expect(after(rest)).toEqual(after(full.filter((b) => b.lastTick > cut)));
  });

  it('never splits a tick whatever instant the clock has reached, so a resume after any batch loses and repeats nothing', async () => {
    const settings = resolveEmission('DEGRADED_NETWORK');
    const key = (batch: StreamBatch['batch'], i: number): string => `${batch.meterIndex[i]}:${batch.tsUtcMs[i]}:${batch.emittedUtcMs[i]}:${batch.redelivery[i]}`;
    const all = (await drain(streamOf(scenario, settings))).flatMap(({ batch }) => Array.from(batch.meterIndex, (_m, i) => key(batch, i)));
    // A clock that moves by uneven, fractional steps (a real-time or accelerated clock read at arbitrary moments).
    const stream = streamOf(scenario, settings);
    const taken: StreamBatch[] = [];
    let now = scenarioStartUtcMs(scenario);
    for (let step = 1; taken.length < 60; step++) {
      now += ((step * 7919) % 4_000) + 0.37 * (step % 3);
      const b = await stream.take(now, 50);
      if (b) taken.push(b);
    }
    for (const cutAt of [5, 23, 59]) {
      const checkpoint = taken[cutAt]!.lastTick;
      const resumed = streamOf(scenario, settings);
      await resumed.skipBefore(checkpoint + 1);
      const before = taken.slice(0, cutAt + 1).flatMap(({ batch }) => Array.from(batch.meterIndex, (_m, i) => key(batch, i)));
      const after = (await drain(resumed)).flatMap(({ batch }) => Array.from(batch.meterIndex, (_m, i) => key(batch, i)));
      expect([...before, ...after]).toEqual(all);
    }
  });

  it('days made ahead in worker threads give the same batches, cut the same, as days made on the stream thread', async () => {
    // Across the spring DST change, with late, out-of-order, backfilled and duplicate readings crossing day ends, a
    // window starting and ending mid-day, and batch sizes that end runs anywhere.
    const dst = resolveScenario({ area: 'ERCOT', start: '2026-03-07', days: 4, meters: 90, seed: 4 });
    const settings = resolveEmission('DEGRADED_NETWORK', { lateRate: 0.05, outOfOrderRate: 0.03, duplicateRate: 0.02 });
    const window = { fromUtcMs: scenarioStartUtcMs(dst) + 7 * 3_600_000, toUtcMs: scenarioEndUtcMs(dst) - 5 * 3_600_000 };
    const rows = (bs: readonly StreamBatch[]): string[] =>
      bs.flatMap(({ batch, lastTick, late, backfilled, outOfOrder, duplicates }) => [
        `batch ${lastTick} ${late} ${backfilled} ${outOfOrder} ${duplicates}`,
        ...Array.from(batch.meterIndex, (m, i) => `${m}:${batch.tsUtcMs[i]}:${batch.tsLocalMs[i]}:${batch.emittedUtcMs[i]}:${batch.redelivery[i]}:${batch.usageKwh[i]}:${batch.voltage[i]}:${batch.isOutage[i]}:${batch.dataQuality[i]}:${batch.eventType[i]}`),
      ]);
    for (const maxRows of [331, 20_000]) {
      const completedInline: string[] = [];
      const inlineStream = streamOf(dst, settings, window);
      inlineStream.onDayComplete = (day, dayRows, tick) => completedInline.push(`${day.localDate} ${dayRows.length} ${tick}`);
      const inline = await drain(inlineStream, maxRows);
      expect(completedInline).toHaveLength(4);
      expect(inline.reduce((n, b) => n + b.late + b.outOfOrder + b.backfilled + b.duplicates, 0)).toBeGreaterThan(100);
      for (const workers of [1, 2]) {
        const stream = streamOf(dst, settings, window, workers);
        const completed: string[] = [];
        stream.onDayComplete = (day, dayRows, tick) => completed.push(`${day.localDate} ${dayRows.length} ${tick}`);
        expect(rows(await drain(stream, maxRows))).toEqual(rows(inline));
        expect(completed).toEqual(completedInline);
        expect(stream.generated).toBe(inline.reduce((n, b) => n + b.batch.length - b.duplicates, 0));
      }
    }
  });

  it('a stream with workers resumes after a checkpoint exactly as one without, and can be closed with days still being made', async () => {
    const settings = resolveEmission('DEGRADED_NETWORK');
    const full = await drain(streamOf(scenario, settings), 997);
    const cut = full[Math.floor(full.length / 3)]!.lastTick;
    const resumed = streamOf(scenario, settings, undefined, 2);
    await resumed.skipBefore(cut + 1);
    const key = (bs: readonly StreamBatch[]): string[] => bs.flatMap(({ batch }) => Array.from(batch.meterIndex, (m, i) => `${m}:${batch.tsUtcMs[i]}:${batch.emittedUtcMs[i]}:${batch.redelivery[i]}`));
    expect(key(await drain(resumed, 997))).toEqual(key(full.filter((b) => b.lastTick > cut)));
    const closed = streamOf(scenario, settings, undefined, 2);
    await closed.close();
    await expect(closed.take(Number.POSITIVE_INFINITY, 100)).rejects.toThrow(/closed/);
  });

  it('streams only the window: readings of intervals outside it are not emitted', async () => {
    const from = scenarioStartUtcMs(scenario) + 10 * 3_600_000;
    const to = from + 3 * 3_600_000;
    const { keys } = delays(await drain(streamOf(scenario, resolveEmission('UNIFORM'), { fromUtcMs: from, toUtcMs: to })));
    expect(keys.size).toBe(120 * 12);
    for (const key of keys) {
      const ts = Number(key.split(':')[1]);
      expect(ts >= from && ts < to).toBe(true);
    }
  });
});

/** The batch without its second copies. */
function firstCopies(batch: StreamBatch['batch']): ReadingBatch {
  const keep = Array.from(batch.redelivery, (r, i) => (r === 0 ? i : -1)).filter((i) => i >= 0);
  const out: Record<string, unknown> = { length: keep.length, intervalMinutes: batch.intervalMinutes };
  for (const [name, column] of Object.entries(batch)) {
    if (ArrayBuffer.isView(column) && name !== 'emittedUtcMs' && name !== 'redelivery') {
      const source = column as unknown as Float64Array;
      const target = new (source.constructor as Float64ArrayConstructor)(keep.length);
      keep.forEach((row, i) => (target[i] = source[row]!));
      out[name] = target;
    }
  }
  return out as unknown as ReadingBatch;
}
