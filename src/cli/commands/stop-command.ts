import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobStore } from '../../jobs/job-store.js';
import { ForgeError } from '../../util/forge-error.js';

/** `forge stop <job>`: asks a running job's process to stop (SIGTERM: flush, close, record), then waits for it. */
export function registerStopCommand(program: Command): void {
  program
    .command('stop <job>')
    .description('stop a running job: it flushes and closes its sinks and records its final counts')
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--timeout <seconds>', 'how long to wait for the job to finish', '60')
    .action(async (jobId: string, flags: Record<string, unknown>) => {
      const store = new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
      const record = await store.load(jobId);
      if (record.status !== 'running') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is ${record.status}, not running`]);
      process.kill(record.pid, 'SIGTERM');
      const deadline = Date.now() + Number(flags.timeout) * 1000;
      for (;;) {
        const now = await store.load(jobId);
        if (now.status !== 'running') {
          process.stdout.write(`job ${jobId} ${now.status}: ${now.stats.delivered.toLocaleString('en-US')} readings delivered\n`);
          return;
        }
        if (Date.now() > deadline) throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `still running ${String(flags.timeout)} s after SIGTERM`]);
        await sleep(100);
      }
    });
}
