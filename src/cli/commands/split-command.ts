import type { Command } from 'commander';
import { DEFAULT_DUCKDB_PATH } from '../../sinks/duckdb/duckdb-sink.js';
import { ForgeError } from '../../util/forge-error.js';
import { parseRatios, splitDataset, SPLIT_BY, type SplitBy } from '../../warehouse/dataset-split.js';
import { commandSummary } from '../command-list.js';

export function registerSplitCommand(program: Command): void {
  program
    .command('split')
    .description(commandSummary('split'))
    .option('--out <path>', 'the output to split: a DuckDB file (duckdb sink) or a Parquet directory (parquet sink)', DEFAULT_DUCKDB_PATH)
    .option('--by <how>', 'meter (each meter in one split) or time (consecutive, non-overlapping ranges, train first)', 'meter')
    .option('--ratios <train,validation,test>', 'shares of the three splits, summing to 1', '0.7,0.15,0.15')
    .requiredOption('--to <dir>', 'a new or empty directory: <dir>/train, validation and test each get readings.parquet and anomaly_labels.parquet')
    .option('--seed <n>', 'seeds which meters go where (by meter); the same seed gives the same split', '42')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { out: string; by: string; ratios: string; to: string; seed: string; json?: boolean }) => {
      if (!SPLIT_BY.includes(flags.by as SplitBy)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`by: "${flags.by}" is not one of ${SPLIT_BY.join(', ')}`]);
      if (!/^\d{1,10}$/.test(flags.seed.trim())) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`seed: "${flags.seed}" is not a whole number from 0 to 4294967295`]);
      const report = await splitDataset({ source: flags.out, by: flags.by as SplitBy, ratios: parseRatios(flags.ratios), to: flags.to, seed: Number(flags.seed) });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const n = (v: number): string => v.toLocaleString('en-US');
      const lines = [
        `Split ${report.source} by ${report.by} (${report.ratios.join('/')}, seed ${report.seed}) into ${report.to}:`,
        ...report.parts.map(
          (p) =>
            `  ${p.name.padEnd(10)} ${n(p.meters)} meters, ${n(p.readings)} readings, ${n(p.labels)} label windows` +
            (report.by === 'time' ? ` (${p.fromUtc ?? '-'} to ${p.toUtc ?? 'end'})` : ''),
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
