#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isForgeError } from '../util/forge-error.js';
import { redactText } from '../util/redact-secrets.js';
import { buildProgram } from './program.js';

/**
 * Exit codes: 0 success, 1 failure (including failed validation checks), 2 bad input (usage), 130 a job (generate,
 * stream, ingest) stopped by SIGINT or SIGTERM before it finished (stop-on-signals.ts). `forge serve` exits 0 on either
 * signal: stopping is how a server ends, and each job it ran says in its own record that it was stopped.
 */
async function main(argv: readonly string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv as string[]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes exit 2 like any other bad input.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (isForgeError(error)) {
      // Messages may quote what a client library wrote (a URL with its password): through the one redaction.
      process.stderr.write(`forge: ${redactText(error.message)} [${error.code}]\n`);
      return error.exitCode;
    }
    process.stderr.write(`forge: unexpected error: ${redactText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    return 1;
  }
}

// A reader that closes the pipe early (`forge generate --sink stdout | head`) is not an error: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
