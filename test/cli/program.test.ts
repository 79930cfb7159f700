import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, commandSummary } from '../../src/cli/command-list.js';
import { buildProgram, VERSION } from '../../src/cli/program.js';
import { runForge } from '../support/run-forge.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the forge program: one command loaded at a time', () => {
  it('registers every command of the list whole, each with the summary the top-level help shows', async () => {
    const program = await buildProgram(['node', 'forge'], true);
    expect(program.commands.map((c) => c.name())).toEqual(COMMAND_NAMES);
    for (const command of program.commands) {
      expect(command.description(), command.name()).toBe(commandSummary(command.name() as (typeof COMMAND_NAMES)[number]));
      // Whole: its flags or its subcommands are there (every forge command has one or the other, and an action).
      expect(command.options.length + command.commands.length, command.name()).toBeGreaterThan(0);
    }
  });

  it('registers only the named command whole; the others by name and summary', async () => {
    for (const argv of [['verify', '--help'], ['help', 'verify']]) {
      const program = await buildProgram(['node', 'forge', ...argv]);
      const whole = program.commands.filter((c) => c.options.length + c.commands.length > 0).map((c) => c.name());
      expect(whole).toEqual(['verify']);
      expect(program.commands.map((c) => c.name())).toEqual(COMMAND_NAMES);
    }
  });

  it('forge --help lists every command with its summary; --version prints the version; exit 0', () => {
    const help = runForge(['--help'], dir);
    expect(help.code).toBe(0);
    for (const name of COMMAND_NAMES) expect(help.stdout).toMatch(new RegExp(`^  ${name} +${commandSummary(name).slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    const version = runForge(['--version'], dir);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it("a command's help (both spellings) shows its own flags", () => {
    for (const args of [['generate', '--help'], ['help', 'generate']]) {
      const run = runForge(args, dir);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: forge generate [options]');
      expect(run.stdout).toContain('--meters');
      expect(run.stdout).toContain('--sink');
    }
  });

  it('an unknown command exits 2 naming the nearest one', () => {
    const run = runForge(['generat', '--meters', '2'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'generat'");
    expect(run.stderr).toContain('Did you mean generate?');
  });
});
