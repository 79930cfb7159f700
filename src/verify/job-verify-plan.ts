import type { JobRecord } from '../jobs/job-store.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { VERIFIABLE_TEXT, verifyTargets } from './verify-targets.js';
import type { VerifyTarget } from './verify-sink.js';

/** What `forge verify --job` checks: the job's scenario, the window it has delivered completely, and its stores. */
export interface JobVerifyPlan {
  readonly scenario: Scenario;
  readonly fromUtcMs: number;
  readonly toUtcMs: number;
  readonly targets: readonly VerifyTarget[];
}

/**
 * The plan for a recorded job. The window:
 * - batch job: the whole scenario (a batch job that did not complete is reported with what it is missing);
 * - stream job: from the stream's first interval to its end when it completed, else to `stats.completeThroughUtc`
 *   (every reading before it was committed by every sink), or an empty window when nothing is complete yet.
 * Stores: the job's verifiable sinks (duckdb, postgres, the exchange formats' files); a job with none is
 * FORGE_ERR_INVALID_CONFIG unless the caller checks
 * other stores (`otherTargets`: a pipeline fed by the job's stage).
 * Meters: a sharded job's record keeps its shard in the scenario, so the plan checks that shard's meters only
 * (verifyChunks): the other shards' rows in a shared table are neither expected nor counted. Verify a whole split
 * with the scenario flags and no --shard.
 */
export function jobVerifyPlan(record: JobRecord, options: { otherTargets?: boolean } = {}): JobVerifyPlan {
  const id = record.jobId;
  if (!record.scenario || typeof record.scenario.start !== 'string') {
    throw new ForgeError('FORGE_ERR_JOB_STATE', [id, 'its record has no scenario start date, so its readings cannot be regenerated']);
  }
  const scenario = resolveScenario(record.scenario);
  let fromUtcMs: number;
  let toUtcMs: number;
  if (record.kind === 'stream') {
    const stream = record.stream;
    if (!stream) throw new ForgeError('FORGE_ERR_JOB_STATE', [id, 'the stream job\'s record has no stream window']);
    const end = record.status === 'completed' && stream.toUtc !== null ? stream.toUtc : (record.stats?.completeThroughUtc ?? stream.fromUtc);
    fromUtcMs = instant(id, 'stream.fromUtc', stream.fromUtc);
    toUtcMs = instant(id, 'the end of the complete window', end);
  } else {
    fromUtcMs = scenarioStartUtcMs(scenario);
    toUtcMs = scenarioEndUtcMs(scenario);
  }
  const sinks = Array.isArray(record.output?.sink) ? record.output.sink : [];
  const targets = verifyTargets({ ...record.output, sink: sinks });
  if (targets.length === 0 && !options.otherTargets) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
      `job ${id} delivered to ${sinks.join(', ') || 'no sink'}; verify reads back only the ${VERIFIABLE_TEXT} sinks`,
    ]);
  }
  return { scenario, fromUtcMs, toUtcMs, targets };
}

function instant(jobId: string, name: string, text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `its record's ${name} "${text}" is not a time`]);
  return ms;
}
