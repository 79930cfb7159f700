import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { rowsThrough, workPlan } from '../../src/emit/work-plan.js';
import type { ReadingBatch } from '../../src/generator/reading-batch.js';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { expectedRows, resolveScenario } from '../../src/scenario/scenario.js';
import type { BatchInfo, Sink, SinkContext, SinkResult } from '../../src/sinks/sink.js';

/**
 * The pieces `forge generate --resume` stands on, in process: the work plan and the emitter start at a sequence with
 * the same units and readings as a whole run from there, and runBatchJob sends each sink only the batches after its
 * own checkpoint (or the record's, for a sink without one), starting the generator after the lowest.
 */

const scenario = resolveScenario({ meters: 40, days: 3, start: '2026-03-07', seed: 17 });
const UNIT_ROWS = 1_000;

/** A sink that records what it is sent (a copy of each batch's usage); it keeps no checkpoint. */
class RecordingSink implements Sink {
  readonly sequences: number[] = [];
  readonly usage = new Map<number, number[]>();
  context: SinkContext | null = null;
  constructor(readonly name: string) {}
  async open(context: SinkContext): Promise<void> {
    this.context = context;
  }
  async write(batch: ReadingBatch, info: BatchInfo): Promise<void> {
    this.sequences.push(info.sequence);
    this.usage.set(info.sequence, Array.from(batch.usageKwh.subarray(0, batch.length)));
  }
  async flush(): Promise<void> {}
  async close(): Promise<SinkResult> {
    return { sink: this.name, rows: [...this.usage.values()].reduce((n, u) => n + u.length, 0), outputs: [] };
  }
  async abort(): Promise<void> {}
}

/** A recording sink that says it holds the job up to `held` (null: nothing). */
class CheckpointSink extends RecordingSink {
  constructor(
    name: string,
    private readonly held: number | null,
  ) {
    super(name);
  }
  async checkpoint(): Promise<number | null> {
    return this.held;
  }
}

describe('work plan and emitter from a start sequence', () => {
  it('the plan from any start is the whole plan from there (fast-check, seed 7, 60 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 100, max: 5_000 }), fc.nat(200), (meters, days, unitRows, start) => {
        const s = resolveScenario({ meters, days, start: '2026-03-07', seed: 1 });
        const whole = [...workPlan(s, unitRows)];
        expect([...workPlan(s, unitRows, start)]).toEqual(whole.slice(start));
        const through = Math.min(start, whole.length) - 1;
        expect(rowsThrough(s, unitRows, through)).toBe(whole.slice(0, through + 1).reduce((n, u) => n + (u.meterEnd - u.meterStart) * u.day.intervals, 0));
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it.each([0, 1])('emits from a start sequence the same readings as a whole run from there (%i workers)', async (workers) => {
    const all = new Map<number, number[]>();
    for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0, unitRows: UNIT_ROWS })) {
      all.set(unit.sequence, Array.from(batch.usageKwh.subarray(0, batch.length)));
      release();
    }
    const from = Math.floor(all.size / 2);
    const seen: number[] = [];
    for await (const { batch, unit, release } of emitBatches(scenario, { workers, unitRows: UNIT_ROWS, startSequence: from })) {
      seen.push(unit.sequence);
      expect(Array.from(batch.usageKwh.subarray(0, batch.length))).toEqual(all.get(unit.sequence));
      release();
    }
    expect(seen).toEqual([...all.keys()].filter((s) => s >= from));
  });
});

describe('runBatchJob with resume', () => {
  it('sends each sink only what it lacks: its own checkpoint, or the record\'s for a sink without one; counts the whole job', async () => {
    const units = [...workPlan(scenario, UNIT_ROWS)].length;
    const ahead = new CheckpointSink('ahead', 9);
    const none = new CheckpointSink('none', null);
    const noCheckpoint = new RecordingSink('no-checkpoint');
    const summary = await runBatchJob({ scenario, sinks: [ahead, none, noCheckpoint], workers: 0, unitRows: UNIT_ROWS, jobId: 'job-r', resume: true, resumeAfter: 4 });
    for (const sink of [ahead, none, noCheckpoint]) expect(sink.context).toMatchObject({ jobId: 'job-r', resume: true });
    const range = (from: number): number[] => Array.from({ length: units - from }, (_, i) => from + i);
    expect(ahead.sequences).toEqual(range(10));
    expect(none.sequences).toEqual(range(0));
    expect(noCheckpoint.sequences).toEqual(range(5));
    const total = expectedRows(scenario);
    // The lowest checkpoint is none's (-1): nothing is skipped, and every sink's account is the whole job's.
    expect(summary).toMatchObject({ status: 'completed', rows: total, checkpoint: units - 1, resumed: { after: -1, skippedRows: 0 } });
    expect(summary.sinks.map((s) => s.rows)).toEqual([total, total, total]);
  });

  it('starts the generator after the lowest checkpoint without generating the units before it', async () => {
    const units = [...workPlan(scenario, UNIT_ROWS)];
    const a = new CheckpointSink('a', 6);
    const b = new CheckpointSink('b', 11);
    const summary = await runBatchJob({ scenario, sinks: [a, b], workers: 0, unitRows: UNIT_ROWS, jobId: 'job-s', resume: true });
    const skipped = rowsThrough(scenario, UNIT_ROWS, 6);
    expect(summary).toMatchObject({ rows: expectedRows(scenario), resumed: { after: 6, skippedRows: skipped } });
    expect(a.sequences[0]).toBe(7);
    expect(b.sequences[0]).toBe(12);
    expect(a.sequences.at(-1)).toBe(units.length - 1);
    expect(summary.sinks.map((s) => s.rows)).toEqual([expectedRows(scenario), expectedRows(scenario)]);
  });
});
