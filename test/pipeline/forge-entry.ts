import { Command } from 'commander';
import { registerIngestCommand } from '../../src/cli/commands/ingest-command.js';
import { registerPipelineCommand } from '../../src/cli/commands/pipeline-command.js';

/** `forge ingest` and `forge pipeline` as their own process (the watch test signals it), until program.ts registers them. */
const program = new Command('forge');
registerIngestCommand(program);
registerPipelineCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`forge: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
