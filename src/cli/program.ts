import { Command } from 'commander';
import { registerCalibrateCommand } from './commands/calibrate-command.js';
import { registerSplitCommand } from './commands/split-command.js';
import { registerDdlCommand } from './commands/ddl-command.js';
import { registerFleetCommand } from './commands/fleet-command.js';
import { registerGenerateCommand } from './commands/generate-command.js';
import { registerIngestCommand } from './commands/ingest-command.js';
import { registerJobsCommand } from './commands/jobs-command.js';
import { registerPipelineCommand } from './commands/pipeline-command.js';
import { registerPresetsCommand } from './commands/presets-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerSinksCommand } from './commands/sinks-command.js';
import { registerPreviewCommand } from './commands/preview-command.js';
import { registerReportCommand } from './commands/report-command.js';
import { registerStopCommand } from './commands/stop-command.js';
import { registerStreamCommand } from './commands/stream-command.js';
import { registerValidateCommand } from './commands/validate-command.js';
import { registerVerifyCommand } from './commands/verify-command.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('forge')
    .description('Flux Data Forge: realistic synthetic smart-meter (AMI) data')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerGenerateCommand(program);
  registerPreviewCommand(program);
  registerPresetsCommand(program);
  registerValidateCommand(program);
  registerReportCommand(program);
  registerStreamCommand(program);
  registerStopCommand(program);
  registerJobsCommand(program);
  registerVerifyCommand(program);
  registerSinksCommand(program);
  registerDdlCommand(program);
  registerIngestCommand(program);
  registerFleetCommand(program);
  registerPipelineCommand(program);
  registerCalibrateCommand(program);
  registerSplitCommand(program);
  registerServeCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}
