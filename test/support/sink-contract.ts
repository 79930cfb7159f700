import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchInfo, Sink } from '../../src/sinks/sink.js';
import { ForgeError } from '../../src/util/forge-error.js';
import { testJob, type TestJob } from './fixtures.js';

/**
 * The one contract every sink keeps (src/sinks/sink.ts), checked the same way against each: run it from the sink's
 * test file with `sinkContract(subject)`. What a subject gives is a sink on a fresh destination and a reader of that
 * destination, so every check is made from the outside, by what a consumer of the sink would find.
 */
export interface ContractSubject {
  /** A new sink on a destination no other test uses, and how to read what that destination holds. */
  create(): Promise<ContractTarget>;
}

export interface ContractTarget {
  readonly sink: Sink;
  /** The readings the destination holds now: `meter_id|epoch seconds|usage_kwh`, one entry per reading found. */
  read(): Promise<string[]>;
  /**
   * Whether a reader sees flushed data while the sink is still open. False where the destination is locked by its
   * writer (a DuckDB file) or invisible until close (a file sink's open part): `flush` is then checked by close.
   */
  readonly readableWhileOpen: boolean;
  /**
   * False for a sink that lands rolling files (the stage): `flush` keeps its open file until the roll interval, so
   * its checkpoint may trail what was written; what it covers must still be exactly what a reader finds.
   */
  readonly flushLandsEverything?: boolean;
  /** Removes what the test created (tables, streams, keys); files go with the suite's directory. */
  cleanup?(): Promise<void>;
}

/** The key a reader reports for a reading: what identifies it, and a value that shows it was not scribbled over. */
export const readingKey = (meterId: string, tsUtcMs: number, usageKwh: number): string => `${meterId}|${Math.round(tsUtcMs / 1000)}|${usageKwh}`;

/** The keys of a test job's readings, as `ContractTarget.read` reports them. */
function expectedKeys(job: TestJob, upTo = Number.POSITIVE_INFINITY): string[] {
  const keys: string[] = [];
  for (const { batch, info } of job.batches) {
    if (info.sequence > upTo) continue;
    for (let row = 0; row < batch.length; row++) keys.push(readingKey(job.context.fleet.meterIds[batch.meterIndex[row]!]!, batch.tsUtcMs[row]!, batch.usageKwh[row]!));
  }
  return keys.sort();
}

/** The fixture job under a job id of its own: sinks that key checkpoints by job never see another test's. */
const freshJob = (batchesPerDate: number): TestJob => testJob({ batchesPerDate, jobId: `job-contract-${randomUUID().slice(0, 8)}` });

const codeOf = async (run: () => Promise<unknown>): Promise<string> => {
  try {
    await run();
    return 'no error';
  } catch (e) {
    return e instanceof ForgeError ? e.code : `not a ForgeError: ${String(e)}`;
  }
};

/** The batches' memory overwritten, as the generator does with a batch handed back. */
function scribble(job: TestJob, info: BatchInfo): void {
  const { batch } = job.batches.find((b) => b.info.sequence === info.sequence)!;
  batch.usageKwh.fill(-12345.5);
  batch.tsUtcMs.fill(0);
  batch.meterIndex.fill(0);
}

export function sinkContract(name: string, subject: ContractSubject): void {
  describe(`${name} keeps the sink contract (sinks/sink.ts)`, () => {
    it('misuse is FORGE_ERR_SINK_STATE: write, flush or close before open; open twice; anything after close', async () => {
      const job = freshJob(2);
      const target = await subject.create();
      const { sink } = target;
      const first = job.batches[0]!;
      try {
        expect(await codeOf(() => sink.write(first.batch, first.info))).toBe('FORGE_ERR_SINK_STATE');
        expect(await codeOf(() => sink.flush())).toBe('FORGE_ERR_SINK_STATE');
        expect(await codeOf(() => sink.close())).toBe('FORGE_ERR_SINK_STATE');
        await sink.open(job.context);
        expect(await codeOf(() => sink.open(job.context))).toBe('FORGE_ERR_SINK_STATE');
        await sink.write(first.batch, first.info);
        await sink.close('completed');
        expect(await codeOf(() => sink.write(first.batch, first.info))).toBe('FORGE_ERR_SINK_STATE');
        expect(await codeOf(() => sink.flush())).toBe('FORGE_ERR_SINK_STATE');
        expect(await codeOf(() => sink.close())).toBe('FORGE_ERR_SINK_STATE');
      } finally {
        await sink.abort(new Error('test over'));
        await target.cleanup?.();
      }
    });

    it('abort never throws, from any state, however often', async () => {
      const job = freshJob(2);
      const states: ((sink: Sink) => Promise<void>)[] = [
        async () => undefined,
        async (sink) => sink.open(job.context),
        async (sink) => {
          await sink.open(job.context);
          await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
        },
        async (sink) => {
          await sink.open(job.context);
          await sink.write(job.batches[0]!.batch, job.batches[0]!.info);
          await sink.close('completed');
        },
      ];
      for (const [index, reach] of states.entries()) {
        const target = await subject.create();
        try {
          await reach(target.sink);
          await expect(target.sink.abort(new Error(`state ${index}`)), `state ${index}`).resolves.toBeUndefined();
          await expect(target.sink.abort(new Error('again')), `state ${index}, twice`).resolves.toBeUndefined();
        } finally {
          await target.cleanup?.();
        }
      }
    });

    it('once write resolves the batch is the caller\'s: overwriting it changes nothing; close reports exactly the rows written', async () => {
      const job = freshJob(3);
      const target = await subject.create();
      try {
        await target.sink.open(job.context);
        const sequences = job.batches.map((b) => b.info);
        for (const { batch, info } of [...job.batches]) {
          await target.sink.write(batch, info);
          scribble(job, info);
        }
        const result = await target.sink.close('completed');
        expect(result.rows).toBe(job.rows);
        expect(sequences.length).toBeGreaterThan(1);
        expect((await target.read()).sort()).toEqual(expectedKeys(testJob({ batchesPerDate: 3 })));
      } finally {
        await target.cleanup?.();
      }
    });

    it('after flush what was written is durable and visible; a checkpoint (where offered) matches what a reader finds', async () => {
      const job = freshJob(4);
      const target = await subject.create();
      const half = Math.ceil(job.batches.length / 2);
      try {
        await target.sink.open(job.context);
        for (const { batch, info } of job.batches.slice(0, half)) await target.sink.write(batch, info);
        await target.sink.flush();
        const lastWritten = job.batches[half - 1]!.info.sequence;
        const landsEverything = target.flushLandsEverything ?? true;
        if (target.readableWhileOpen && landsEverything) expect((await target.read()).sort()).toEqual(expectedKeys(job, lastWritten));
        if (target.sink.checkpoint) {
          const checkpoint = await target.sink.checkpoint(job.context.jobId);
          if (landsEverything) expect(checkpoint).toBe(lastWritten);
          else expect(checkpoint ?? -1).toBeLessThanOrEqual(lastWritten);
          if (target.readableWhileOpen) expect((await target.read()).sort()).toEqual(expectedKeys(job, checkpoint ?? -1));
        }
        for (const { batch, info } of job.batches.slice(half)) await target.sink.write(batch, info);
        const result = await target.sink.close('completed');
        expect(result.rows).toBe(job.rows);
        expect((await target.read()).sort()).toEqual(expectedKeys(job));
      } finally {
        await target.sink.abort(null);
        await target.cleanup?.();
      }
    });
  });
}
