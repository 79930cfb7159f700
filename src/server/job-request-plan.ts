import { batchJobRecord, checkSinks, streamJobRecord } from '../jobs/job-plan.js';
import type { JobRecord } from '../jobs/job-store.js';
import { parseOutputOptions } from '../jobs/output-options.js';
import { resolveScenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { jobRequestSchema } from './job-request-schema.js';
import { confineOutputPaths, withDataDirDefaults } from './output-policy.js';

/**
 * The first record of the job a `POST /api/jobs` body asks for, planned exactly as the CLI plans its jobs (the same
 * schemas and library functions, job-plan.ts) with the server's output policy on top: every path inside `dataDir`.
 * Bad input throws FORGE_ERR_INVALID_CONFIG (or the sink's own code) naming the field, before a record or a worker
 * exists; nothing is written.
 */
export async function planJobRequest(body: unknown, dataDir: string): Promise<JobRecord> {
  const parsed = jobRequestSchema.safeParse(body ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  const request = parsed.data;
  const base = inPart('scenario', () => resolveScenario(request.scenario));
  // Every path sink's path, the defaults included, inside the data directory (output-policy.ts).
  const output = confineOutputPaths(withDataDirDefaults(inPart('output', () => parseOutputOptions(request.output, 'output.sink')), dataDir), dataDir);
  let record: JobRecord;
  if (request.kind === 'batch') {
    if (request.stream) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stream: applies to stream jobs only (kind "stream")']);
    // As forge generate --shard: the default start moves with the calendar, so shards need the same explicit one.
    if (base.shard && request.scenario.start === undefined) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['scenario.start: a sharded job needs an explicit start (the same for every shard); the default moves with the calendar']);
    }
    record = batchJobRecord(base, output);
  } else {
    record = streamJobRecord(base, output, request.stream ?? {}, { sink: 'output.sink', batchRows: 'stream.batchRows' });
  }
  // The worker builds its own sinks; built here too (never opened) so a bad sink setting is a 400, not a failed job.
  await checkSinks(output);
  return record;
}

/** Names the body part (scenario, output) in front of each field of a validation message. */
function inPart<T>(part: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ForgeError && error.code === 'FORGE_ERR_INVALID_CONFIG') {
      const detail = error.message.replace(/^Invalid configuration: /, '');
      const named = detail.split('; ').map((d) => (d.startsWith('unknown key') ? `${part}: ${d}` : d.startsWith('(input)') ? `${part}${d.slice(7)}` : `${part}.${d}`));
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [named.join('; ')], { cause: error });
    }
    throw error;
  }
}
