import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { workPlan } from '../../src/emit/work-plan.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays, type GenerationDay } from '../../src/generator/calendar.js';
import { BATCH_COLUMNS, type ReadingBatch } from '../../src/generator/reading-batch.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { expectedRows, resolveScenario } from '../../src/scenario/scenario.js';
import { checksumOf, ReadingChecksum } from '../support/core.js';

// Three Chicago days around the fall-back change (a 100-interval day), 150 meters: 43,200 rows.
const SCENARIO = resolveScenario({ area: 'ERCOT', start: '2026-10-31', days: 3, meters: 150, seed: 42 });

function rowsOf(batch: ReadingBatch, from: number, to: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const c of BATCH_COLUMNS) out[c] = Array.from(batch[c].subarray(from, to));
  return out;
}

describe('generator determinism', () => {
  it('emitBatches gives identical rows (every column, bit for bit) with 0, 1 or 2 workers and any unit size', async () => {
    const reference = await checksumOf(SCENARIO, { workers: 0 });
    expect(reference.rows).toBe(expectedRows(SCENARIO));
    expect(reference.duplicates).toBe(0);

    const variants = [
      { workers: 0, unitRows: 1_000 },
      { workers: 1, unitRows: 131_072 },
      { workers: 1, unitRows: 1_000 },
      { workers: 2, unitRows: 131_072 },
      { workers: 2, unitRows: 1_000 },
      { workers: 2, unitRows: 97, maxAhead: 1 },
      // Batches handed back are overwritten by later ones: recycled memory must not leak into any value.
      { workers: 0, unitRows: 1_000, release: true },
      { workers: 2, unitRows: 1_000, release: true },
    ];
    for (const options of variants) {
      const run = await checksumOf(SCENARIO, options);
      expect(run.rows, JSON.stringify(options)).toBe(expectedRows(SCENARIO));
      expect(run.duplicates, JSON.stringify(options)).toBe(0);
      expect(run.digest, JSON.stringify(options)).toBe(reference.digest);
      // Batches arrive in plan order whatever the workers do.
      expect(run.sequences).toEqual(run.sequences.map((_, i) => i));
    }
  }, 180_000);

  it('a different seed changes the checksum; the same seed reproduces it', async () => {
    const a = await checksumOf(SCENARIO, { workers: 0 });
    const again = await checksumOf(resolveScenario({ area: 'ERCOT', start: '2026-10-31', days: 3, meters: 150, seed: 42 }), { workers: 0 });
    const b = await checksumOf(resolveScenario({ area: 'ERCOT', start: '2026-10-31', days: 3, meters: 150, seed: 43 }), { workers: 0 });
    expect(again.digest).toBe(a.digest);
    expect(b.rows).toBe(a.rows);
    expect(b.digest).not.toBe(a.digest);
  });

  it('generating into a used batch overwrites every column: same values as a fresh batch', () => {
    const stormy = resolveScenario({ area: 'ERCOT', start: '2026-07-01', days: 2, meters: 120, seed: 5, storm: '2026-07-01' });
    const generator = new ReadingGenerator(stormy);
    const [stormDay, nextDay] = generationDays(stormy) as [GenerationDay, GenerationDay];
    const used = generator.generate(stormDay, 0, 120);
    // The storm day has outage rows (is_outage 1, zero usage): the reused memory holds values the next day must not keep.
    expect(used.isOutage.some((v) => v === 1)).toBe(true);
    const fresh = new ReadingGenerator(stormy).generate(nextDay, 0, 120);
    const reused = generator.generate(nextDay, 0, 120, used);
    expect(reused.usageKwh.buffer).toBe(used.usageKwh.buffer);
    expect(rowsOf(reused, 0, reused.length)).toEqual(rowsOf(fresh, 0, fresh.length));
  });

  it('the checksum notices a single changed value', () => {
    const generator = new ReadingGenerator(SCENARIO);
    const day = generationDays(SCENARIO)[0]!;
    const one = new ReadingChecksum();
    one.add(generator.generate(day, 0, 10));
    const other = new ReadingChecksum();
    const batch = generator.generate(day, 0, 10);
    batch.usageKwh[123] = batch.usageKwh[123]! + 0.001;
    other.add(batch);
    expect(other.digest()).not.toBe(one.digest());
  });

  it('a reading is a pure function of (scenario, meter, interval): meters [5, 9) alone equal the same rows of [0, 20)', () => {
    const s = resolveScenario({ area: 'ERCOT', start: '2026-03-07', days: 3, meters: 20, seed: 11 });
    const whole = new ReadingGenerator(s);
    const days = generationDays(s);
    // Generate the days in reverse on a fresh generator, to show no state carries from one call to the next.
    const alone = new ReadingGenerator(s, buildFleet(s));
    for (const day of [...days].reverse()) {
      const T = day.intervals;
      const part = alone.generate(day, 5, 9);
      const all = whole.generate(day, 0, 20);
      expect(part.length).toBe(4 * T);
      expect(rowsOf(part, 0, part.length)).toEqual(rowsOf(all, 5 * T, 9 * T));
    }
  });

  it('a day generated alone equals the same day generated after others, and worker-sized blocks tile a day exactly', () => {
    const s = resolveScenario({ area: 'CAISO', start: '2026-06-01', days: 4, meters: 30, seed: 5, interval: 5 });
    const days = generationDays(s);
    const sequential = new ReadingGenerator(s);
    const reference = days.map((d) => sequential.generate(d, 0, s.meters));
    const fresh = new ReadingGenerator(s).generate(days[2]!, 0, s.meters);
    expect(rowsOf(fresh, 0, fresh.length)).toEqual(rowsOf(reference[2]!, 0, reference[2]!.length));

    const T = days[1]!.intervals;
    const blocks = [[0, 7], [7, 8], [8, 30]] as const;
    const tiled = new ReadingGenerator(s);
    for (const [from, to] of blocks) {
      const part = tiled.generate(days[1]!, from, to);
      expect(rowsOf(part, 0, part.length)).toEqual(rowsOf(reference[1]!, from * T, to * T));
    }
  });

  it('readings do not depend on where the scenario starts: the same meter-day is the same in overlapping ranges', () => {
    const early = resolveScenario({ start: '2026-07-01', days: 5, meters: 12, seed: 3 });
    const late = resolveScenario({ start: '2026-07-03', days: 2, meters: 12, seed: 3 });
    const a = generationDays(early).find((d) => d.localDate === '2026-07-04')!;
    const b = generationDays(late).find((d) => d.localDate === '2026-07-04')!;
    const x = new ReadingGenerator(early).generate(a, 0, 12);
    const y = new ReadingGenerator(late).generate(b, 0, 12);
    expect(rowsOf(x, 0, x.length)).toEqual(rowsOf(y, 0, y.length));
  });

  it('the work plan covers every meter of every day once, whatever the unit size', () => {
    for (const unitRows of [1, 95, 96, 1_000, 131_072]) {
      let rows = 0;
      const covered = new Map<number, number>();
      for (const unit of workPlan(SCENARIO, unitRows)) {
        rows += (unit.meterEnd - unit.meterStart) * unit.day.intervals;
        covered.set(unit.day.index, (covered.get(unit.day.index) ?? 0) + unit.meterEnd - unit.meterStart);
        expect(unit.lastOfDay).toBe(unit.meterEnd === SCENARIO.meters);
      }
      expect(rows).toBe(expectedRows(SCENARIO));
      expect([...covered.values()]).toEqual([150, 150, 150]);
    }
  });
});

describe('batch emitter workers', () => {
  it('start from TypeScript source whatever the working directory', async () => {
    const small = resolveScenario({ start: '2026-01-01', days: 1, meters: 5 });
    const reference = await checksumOf(small, { workers: 0 });
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      const run = await checksumOf(small, { workers: 1 });
      expect(run.digest).toBe(reference.digest);
    } finally {
      process.chdir(cwd);
    }
  });

  it('stop and release the workers when the consumer stops early', async () => {
    // Each live worker holds a MessagePort handle open.
    const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const before = ports();
    let during = 0;
    let taken = 0;
    for await (const { batch } of emitBatches(SCENARIO, { workers: 2, unitRows: 1_000 })) {
      expect(batch.length).toBeGreaterThan(0);
      during = Math.max(during, ports());
      if (++taken === 3) break;
    }
    expect(taken).toBe(3);
    expect(during).toBeGreaterThanOrEqual(before + 2);
    expect(ports()).toBe(before);
  });

  it('stop when the signal aborts', async () => {
    const controller = new AbortController();
    let taken = 0;
    for await (const _ of emitBatches(SCENARIO, { workers: 2, unitRows: 1_000, signal: controller.signal })) {
      if (++taken === 2) controller.abort();
    }
    expect(taken).toBe(2);
  });
});
