import type { Command } from 'commander';
import { JobStore, type JobRecord } from '../../jobs/job-store.js';
import { redactSecrets } from '../../util/redact-secrets.js';
import { formatTable } from '../format-table.js';
import { commandSummary } from '../command-list.js';

/** `forge jobs [show <id>]`: the job history kept in the state directory. */
export function registerJobsCommand(program: Command): void {
  const jobs = program
    .command('jobs')
    .description(commandSummary('jobs'))
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--json', 'print the records as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const { records, unreadable } = await new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined).history();
      // A stray or damaged file never hides the rest of the history: it is named (quoted, as names may hold anything).
      for (const u of unreadable) process.stderr.write(`forge: skipped ${JSON.stringify(u.file)} in the state directory: ${u.reason}\n`);
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(records.map(shown))}\n`);
        return;
      }
      const rows = records.map((r) => [r.jobId, r.kind, r.status, r.stats.delivered.toLocaleString('en-US'), r.output.sink.join(','), r.createdAt.slice(0, 19)]);
      process.stdout.write(`${formatTable(['job', 'kind', 'status', 'rows', 'sinks', 'created'], rows)}\n`);
    });
  jobs
    .command('show <job>')
    .description("one job's record: configuration, status, counts, checkpoint and errors")
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .action(async (jobId: string, flags: Record<string, unknown>) => {
      // --state-dir may land on `jobs` itself (commander gives a shared option to the parent).
      const dir = flags.stateDir ?? jobs.opts().stateDir;
      const record = await new JobStore(typeof dir === 'string' ? dir : undefined).load(jobId);
      process.stdout.write(`${JSON.stringify(shown(record), null, 2)}\n`);
    });
}

/**
 * A record as shown: every URL's credentials and every secret redacted (redact-secrets.ts). The file itself keeps the
 * URLs as given, so the job can be resumed; it is readable by its owner only.
 */
function shown(record: JobRecord): JobRecord {
  return redactSecrets(record);
}
