import type { Command } from 'commander';
import { DEFAULT_DUCKDB_PATH } from '../../sinks/duckdb/duckdb-sink.js';
import { validateOutput } from '../../validate/validation-checks.js';
import { commandSummary } from '../command-list.js';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(commandSummary('validate'))
    .option('--out <path>', 'DuckDB file written by forge generate', DEFAULT_DUCKDB_PATH)
    .option('--json', 'print the report as JSON')
    .action(async (flags: { out: string; json?: boolean }) => {
      const report = await validateOutput(flags.out);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = [
          `Validating ${report.path}: ${report.rows.toLocaleString('en-US')} readings from ${report.jobs} job(s)`,
          ...report.checks.map((c) => `  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name.padEnd(20)} ${c.detail}`),
          report.passed ? 'All checks passed.' : `${report.checks.filter((c) => !c.passed).length} check(s) failed.`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!report.passed) process.exitCode = 1;
    });
}
