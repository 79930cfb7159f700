import { z } from 'zod';

/**
 * A shard: this process emits only part `index` (0-based) of `count` parts of the fleet. The partition is of meters,
 * in contiguous ranges of the fleet's order: shard i holds meters [floor(i * M / N), floor((i + 1) * M / N)). The
 * fleet, its topology, weather and outages are still built for the whole fleet (they are pure functions of the
 * scenario), so a meter's readings are the same whichever shard emits them, and N shards together emit exactly what
 * one process emits. Contiguous ranges (rather than meter index modulo N) keep the generator's meter blocks whole.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** At most this many shards (a shard of the largest fleet then still holds 100 meters). */
export const MAX_SHARDS = 10_000;

const FORM = 'expected i/N with whole numbers, 0 <= i < N (e.g. 2/8: the third of eight shards)';

/** Why (index, count) is not a shard, or null. */
export function shardProblem(index: number, count: number): string | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) return FORM;
  if (count < 1) return 'the shard count N of i/N must be at least 1';
  if (count > MAX_SHARDS) return `at most ${MAX_SHARDS.toLocaleString('en-US')} shards`;
  if (index < 0 || index >= count) return `the shard index must be from 0 to ${count - 1} for ${count} shard${count === 1 ? '' : 's'}`;
  return null;
}

/** `i/N` (the CLI's --shard, FORGE_SHARD) or `{ index, count }` (config files, API bodies). */
export const shardSchema = z.union([z.string(), z.strictObject({ index: z.unknown(), count: z.unknown() })]).transform((v, ctx): Shard => {
  let index: number;
  let count: number;
  if (typeof v === 'string') {
    const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 40)}": ${FORM}` });
      return z.NEVER;
    }
    index = Number(m[1]);
    count = Number(m[2]);
  } else {
    index = typeof v.index === 'number' ? v.index : Number.NaN;
    count = typeof v.count === 'number' ? v.count : Number.NaN;
  }
  const problem = shardProblem(index, count);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: typeof v === 'string' ? `"${v.trim()}": ${problem}` : problem });
    return z.NEVER;
  }
  return { index, count };
});

/** The fleet indexes [start, end) shard `shard` emits of a fleet of `meters`; the whole fleet without a shard. */
export function shardRange(meters: number, shard: Shard | null): { readonly start: number; readonly end: number } {
  if (!shard) return { start: 0, end: meters };
  return { start: Math.floor((shard.index * meters) / shard.count), end: Math.floor(((shard.index + 1) * meters) / shard.count) };
}

/** `shard-2-of-8`: names a shard's files, stage writer and checkpoint keys. */
export const shardLabel = (shard: Shard): string => `shard-${shard.index}-of-${shard.count}`;

/** `2/8`, the form `--shard` takes. */
export const shardText = (shard: Shard): string => `${shard.index}/${shard.count}`;

/**
 * The key a sink files a job's checkpoint under: the job id, plus the shard when there is one, so shards that share a
 * destination (and even a job id) never share a checkpoint.
 */
export const shardedJobKey = (jobId: string, shard: Shard | null): string => (shard ? `${jobId}.${shardLabel(shard)}` : jobId);
