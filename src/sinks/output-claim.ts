import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { shardLabel, type Shard } from '../scenario/shard.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { foreignEntry } from './partition-files.js';

/** The claim file of a job (or of one shard of a split) writing a directory it may not append to. */
export const claimName = (shard: Shard | null): string => (shard ? `.forge-claim_${shardLabel(shard)}` : '.forge-claim');

/**
 * A writer's exclusive claim on an output directory, for a job that may not append: `.forge-claim` (a shard:
 * `.forge-claim_shard-<i>-of-<n>`) created with O_EXCL, holding the job's id. Of any number of jobs starting at once
 * on one directory, exactly one creates it; the others are refused before they write anything. The holder then checks
 * the directory holds nothing else (partition-files.ts foreignEntry), which is race-free because every other
 * non-appending writer is held off by the claim and checks after creating its own (a shard's claim differs, so of two
 * racing claims of different names the later check always sees the earlier claim).
 *
 * The claim lives while the job writes and is removed when it closes or aborts; the part files then keep later
 * non-appending jobs out. A job killed outright leaves its claim: later jobs are refused with its id in the message;
 * the job itself may resume (a claim holding its own id is its own).
 */
export class OutputClaim {
  private constructor(private readonly path: string) {}

  static async take(sink: string, dir: string, jobId: string, shard: Shard | null, resume: boolean): Promise<OutputClaim> {
    await prepareDir(sink, dir);
    const path = join(dir, claimName(shard));
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify({ jobId, ...(shard ? { shard: shardLabel(shard) } : {}), pid: process.pid, claimedAt: new Date().toISOString() })}\n`);
      } catch (e) {
        // A claim that could not be written (a full disk) is not left behind to hold the directory.
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw e;
      }
      await handle.close();
      return new OutputClaim(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(sink, dir, e);
    }
    const holder = await holderOf(path);
    if (resume && holder === jobId) return new OutputClaim(path);
    throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [
      `${dir} (claimed by ${typeof holder === 'string' ? `job ${holder}` : 'another job (its claim is being written or unreadable)'} in ${claimName(shard)}: that job is writing it, or was killed and can be resumed; a directory of its own avoids waiting)`,
    ]);
  }

  /**
   * A resumed job that appends takes no claim, but takes over the one its killed run left (so it is removed when the
   * job closes); null when there is none of this job's.
   */
  static async adopt(dir: string, jobId: string, shard: Shard | null): Promise<OutputClaim | null> {
    const path = join(dir, claimName(shard));
    return (await holderOf(path)) === jobId ? new OutputClaim(path) : null;
  }

  /** Removes the claim; never throws (close and abort call it last). */
  async release(): Promise<void> {
    await unlink(this.path).catch(() => undefined);
  }
}

/**
 * The job id a claim holds, or undefined when it cannot be read: gone, or still empty because its creator has not
 * written it yet (the claim is created, then written: a racing reader may see it empty).
 */
async function holderOf(path: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { jobId?: unknown }).jobId;
  } catch {
    return undefined;
  }
}

/** Who opens a partitioned output directory, and how (sink.ts SinkContext, the sink's `append`). */
export interface OutputOwner {
  readonly jobId: string;
  /** The job's tag (jobTag): its parts carry it. */
  readonly tag: string;
  readonly shard: Shard | null;
  readonly resume: boolean;
  readonly append: boolean;
}

/**
 * Opens a partitioned output directory (partition-files.ts) for a job, as every sink writing parts does: with `append`
 * it is created if need be and shared (a resumed job adopts the claim its killed run left); without, the job takes
 * the directory's claim and the directory must hold nothing but what it may share (foreignEntry: a shard's
 * siblings' files and, on resume, the job's own parts), else FORGE_ERR_OUTPUT_EXISTS and the claim is released.
 * Returns the claim to release when the job closes (null when appending without one).
 */
export async function claimOutputDir(sink: string, dir: string, owner: OutputOwner): Promise<OutputClaim | null> {
  const { jobId, shard, resume } = owner;
  if (owner.append) {
    await prepareDir(sink, dir);
    return resume ? OutputClaim.adopt(dir, jobId, shard) : null;
  }
  const claim = await OutputClaim.take(sink, dir, jobId, shard, resume);
  try {
    const foreign = await foreignEntry(dir, { tag: owner.tag, shard, resume, claim: claimName(shard) });
    if (foreign !== null) {
      const which = shard ? `, which is not another shard's file of this ${shard.count}-way split` : '';
      throw new ForgeError('FORGE_ERR_OUTPUT_EXISTS', [`${dir} (it holds ${foreign}${which})`]);
    }
  } catch (e) {
    await claim.release();
    if (e instanceof ForgeError) throw e;
    throw new ForgeError('FORGE_ERR_SINK_WRITE', [sink, `cannot use ${dir} as the output directory: ${errorText(e)}`], { cause: e });
  }
  return claim;
}

/** Creates the output directory; a path that is a file, under one, or not writable is no output directory. */
export async function prepareDir(sink: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw unusable(sink, dir, e);
  }
}

function unusable(sink: string, dir: string, e: unknown): ForgeError {
  return new ForgeError('FORGE_ERR_SINK_WRITE', [sink, `cannot use ${dir} as the output directory: ${errorText(e)}`], { cause: e });
}
