import type { Command } from 'commander';
import { sinkCatalog, type SinkDescription } from '../../sinks/sink-catalog.js';
import { commandSummary } from '../command-list.js';

/** `forge sinks`: every sink the registry has, what it writes, whether it streams, its settings. */
export function registerSinksCommand(program: Command): void {
  program
    .command('sinks')
    .description(commandSummary('sinks'))
    .option('--json', 'print the catalogue as JSON (as GET /api/sinks)')
    .action((flags: { json?: boolean }) => {
      const catalog = sinkCatalog();
      process.stdout.write(flags.json === true ? `${JSON.stringify(catalog, null, 2)}\n` : catalog.map(sinkText).join('\n'));
    });
}

function sinkText(sink: SinkDescription): string {
  const traits = [sink.modes.join(' and '), sink.path ? `writes to a ${sink.path.kind} (default ${sink.path.default})` : '', sink.verifiable ? 'forge verify reads it back' : '']
    .filter(Boolean)
    .join('; ');
  const settings = sink.settings.map((s) => `    ${s.flag}${s.required ? ' (required)' : ''}: ${s.help}${s.default !== null ? ` (default ${String(s.default)})` : ''}\n`);
  return `${sink.name}: ${sink.summary}\n    ${traits}\n${settings.join('')}`;
}
