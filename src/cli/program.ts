import { Command } from 'commander';
import { COMMAND_NAMES, commandSummary, type CommandName } from './command-list.js';

export const VERSION = '0.1.0';

type Register = (program: Command) => void;

/** Each command's module, loaded only when that command runs (or its help is asked for). */
const LOADERS: Readonly<Record<CommandName, () => Promise<Register>>> = {
  generate: async () => (await import('./commands/generate-command.js')).registerGenerateCommand,
  preview: async () => (await import('./commands/preview-command.js')).registerPreviewCommand,
  presets: async () => (await import('./commands/presets-command.js')).registerPresetsCommand,
  validate: async () => (await import('./commands/validate-command.js')).registerValidateCommand,
  report: async () => (await import('./commands/report-command.js')).registerReportCommand,
  stream: async () => (await import('./commands/stream-command.js')).registerStreamCommand,
  stop: async () => (await import('./commands/stop-command.js')).registerStopCommand,
  jobs: async () => (await import('./commands/jobs-command.js')).registerJobsCommand,
  verify: async () => (await import('./commands/verify-command.js')).registerVerifyCommand,
  sinks: async () => (await import('./commands/sinks-command.js')).registerSinksCommand,
  ddl: async () => (await import('./commands/ddl-command.js')).registerDdlCommand,
  ingest: async () => (await import('./commands/ingest-command.js')).registerIngestCommand,
  fleet: async () => (await import('./commands/fleet-command.js')).registerFleetCommand,
  pipeline: async () => (await import('./commands/pipeline-command.js')).registerPipelineCommand,
  calibrate: async () => (await import('./commands/calibrate-command.js')).registerCalibrateCommand,
  split: async () => (await import('./commands/split-command.js')).registerSplitCommand,
  serve: async () => (await import('./commands/serve-command.js')).registerServeCommand,
};

/** The command `argv` (process.argv: node, script, ...) runs or asks help for, if it names one. */
function namedCommand(argv: readonly string[]): CommandName | undefined {
  const [first, second] = argv.slice(2);
  const name = first === 'help' ? second : first;
  return (COMMAND_NAMES as readonly string[]).includes(name ?? '') ? (name as CommandName) : undefined;
}

/**
 * The `forge` program for `argv`: the command it names is registered whole (its flags, help and action); every
 * other command only by name and summary, enough for `forge --help` and for commander to name an unknown command's
 * nearest match. So a process loads the code (and the client libraries) of one command at most; `forge --version`
 * and `forge --help` load none. `all` registers every command whole (a test that inspects them all).
 */
export async function buildProgram(argv: readonly string[] = process.argv, all = false): Promise<Command> {
  const program = new Command('forge')
    .description('Flux Data Forge: realistic synthetic smart-meter (AMI) data')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const named = namedCommand(argv);
  for (const name of COMMAND_NAMES) {
    if (all || name === named) (await LOADERS[name]())(program);
    else program.command(name).description(commandSummary(name));
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}
