#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isForgeError } from '../util/forge-error.js';
import { buildProgram } from './program.js';

/** Exit codes: 0 success, 1 failure (including failed validation checks), 2 bad input (usage), 130 interrupted. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes exit 2 like any other bad input.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (isForgeError(error)) {
      process.stderr.write(`forge: ${error.message} [${error.code}]\n`);
      return error.exitCode;
    }
    process.stderr.write(`forge: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

// A reader that closes the pipe early (`forge generate --sink stdout | head`) is not an error: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
