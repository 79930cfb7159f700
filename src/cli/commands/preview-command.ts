import type { Command } from 'commander';
import { z } from 'zod';
import { previewRecords } from '../../generator/preview-records.js';
import { SHAPES } from '../../generator/reading-records.js';
import { ForgeError } from '../../util/forge-error.js';
import { formatIssues } from '../../util/format-zod-error.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';
import { commandSummary } from '../command-list.js';

const previewSchema = z.strictObject({
  n: z.preprocess((v) => (typeof v === 'string' ? Number(v) : v), z.int().min(1).max(10_000)),
  shape: z.enum(SHAPES),
});

export function registerPreviewCommand(program: Command): void {
  addScenarioFlags(program.command('preview').description(commandSummary('preview')))
    .option('-n, --n <count>', 'number of readings', '5')
    .option('--shape <shape>', 'flat or nested (AMI head-end message)', 'flat')
    .action(async (flags: Record<string, unknown>) => {
      const scenario = await scenarioFromFlags(flags);
      const parsed = previewSchema.safeParse({ n: flags.n, shape: flags.shape });
      if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
      const { n, shape } = parsed.data;
      const lines = previewRecords(scenario, n, shape).map((r) => JSON.stringify(r));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
