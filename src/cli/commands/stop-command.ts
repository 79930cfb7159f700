import type { Command } from 'commander';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobStore } from '../../jobs/job-store.js';
import { ForgeError } from '../../util/forge-error.js';
import { commandSummary } from '../command-list.js';

/** `forge stop <job>`: asks a running job's process to stop (SIGTERM: flush, close, record), then waits for it. */
export function registerStopCommand(program: Command): void {
  program
    .command('stop <job>')
    .description(commandSummary('stop'))
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--timeout <seconds>', 'how long to wait for the job to finish', '60')
    .action(async (jobId: string, flags: Record<string, unknown>) => {
      const store = new JobStore(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
      const record = await store.load(jobId);
      if (record.status !== 'running') throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `is ${record.status}, not running`]);
      // Running means its owner beats (job-store.ts); the owner says which process to signal, and whether this one may.
      const owner = record.owner ?? (await store.heartbeat(jobId))?.owner;
      if (owner?.role === 'server') {
        throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `runs in forge serve (process ${owner.pid} on ${owner.host}); stop it with POST /api/jobs/${jobId}/stop`]);
      }
      if (owner && owner.host !== hostname()) throw new ForgeError('FORGE_ERR_JOB_STATE', [jobId, `runs on host ${owner.host} (process ${owner.pid}); stop it there`]);
      try {
        process.kill(owner?.pid ?? record.pid, 'SIGTERM');
      } catch (e) {
        // Gone since its last beat: its record reads as interrupted once the heartbeat is stale, which the loop awaits.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
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
