import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { JobStore } from '../../jobs/job-store.js';
import { pathOf } from '../../jobs/output-paths.js';
import { DEFAULT_DUCKDB_PATH } from '../../sinks/duckdb/duckdb-sink.js';
import { ForgeError } from '../../util/forge-error.js';
import { ExploreCache } from '../../validate/explore-cache.js';
import { exploreOutput } from '../../validate/explore-queries.js';
import { exploreReportHtml } from '../../validate/explore-report.js';
import { reliabilityReport, type ReliabilityReport } from '../../validate/reliability-report.js';
import type { ReliabilityIndices } from '../../validate/reliability-indices.js';
import { commandSummary } from '../command-list.js';

/**
 * `forge report html`: the Explore charts of a DuckDB output or pipeline database as one self-contained HTML file;
 * `forge report reliability`: IEEE 1366 indices of a DuckDB output, with and without major event days.
 */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description(commandSummary('report'));
  report
    .command('reliability')
    .description('SAIFI, SAIDI and CAIDI (IEEE 1366) from the outage flags of a DuckDB output, with and without major event days')
    .option('--out <path>', 'DuckDB file written by forge generate', DEFAULT_DUCKDB_PATH)
    .option('--json', 'print the report as JSON')
    .action(async (flags: { out: string; json?: boolean }) => {
      const result = await reliabilityReport(flags.out);
      process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : reliabilityText(result));
    });
  report
    .command('html', { isDefault: true })
    .description('the Explore charts (profiles, heat map, consumption, voltage, PV/EV, outages, events, realism) as one self-contained HTML file')
    .option('--job <id>', 'a recorded job whose DuckDB output to report on')
    .option('--db <path>', 'a DuckDB output or pipeline database (default: the DuckDB default output)')
    .option('--meter <id>', "the meter whose week to show (default: the first meter id)")
    .option('--out <path>', 'the HTML file to write', 'report.html')
    .option('--state-dir <dir>', 'where job records are kept (for --job) and Explore answers are cached (default $FORGE_STATE_DIR or ./forge-data/jobs)')
    .action(async (flags: { job?: string; db?: string; meter?: string; out: string; stateDir?: string }) => {
      if (flags.job !== undefined && flags.db !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['give --job or --db, not both']);
      const db = flags.job !== undefined ? await jobDuckdb(flags.job, flags.stateDir) : (flags.db ?? DEFAULT_DUCKDB_PATH);
      // The answers the server keeps for its Explore page (same state directory): a report of an output explored there
      // is written without reading the readings again, and this one's answers serve the page.
      const cache = new ExploreCache(join(new JobStore(flags.stateDir).dir, 'explore-cache'));
      const data = await exploreOutput(db, { cache, ...(flags.meter !== undefined ? { meterId: flags.meter } : {}) });
      writeFileSync(flags.out, exploreReportHtml(data));
      process.stdout.write(`report of ${data.rows.toLocaleString('en-US')} readings (${db}) -> ${resolve(flags.out)}\n`);
    });
  report.exitOverride();
}

const indicesLine = (label: string, i: ReliabilityIndices): string =>
  `  ${label.padEnd(26)} SAIFI ${i.saifi.toFixed(3)}  SAIDI ${(i.saidiMinutes).toFixed(1)} min  CAIDI ${Number.isNaN(i.caidiMinutes) ? '-' : `${i.caidiMinutes.toFixed(1)} min`}  (${i.interruptions.toLocaleString('en-US')} customer interruptions)`;

function reliabilityText(r: ReliabilityReport): string {
  const lines = [
    `Reliability of ${r.path}: ${r.customers.toLocaleString('en-US')} customers, ${r.days} days (${r.firstDay} to ${r.lastDay}), ${r.daysWithInterruptions} with interruptions`,
    indicesLine('all days', r.all),
    indicesLine('without major event days', r.withoutMajorEvents),
    r.threshold === null
      ? '  Major event days: none (fewer than two days with interruptions: no threshold)'
      : `  Major event days (T_MED = exp(alpha + 2.5 beta) = ${r.threshold.tMedMinutes.toFixed(2)} min of daily SAIDI): ${r.majorEventDays.length === 0 ? 'none' : r.majorEventDays.map((d) => `${d.day} (${d.saidiMinutes.toFixed(1)} min)`).join(', ')}`,
  ];
  if (r.restoration) {
    const c = r.restoration;
    lines.push(
      `  Restoration on major event days: median ${c.medianHours.toFixed(1)} h, 90% within ${c.p90Hours.toFixed(1)} h, 99% within ${c.p99Hours.toFixed(1)} h, last after ${c.maxHours.toFixed(1)} h; ` +
        `restored within 6 h ${(c.within6h * 100).toFixed(0)}%, 24 h ${(c.within24h * 100).toFixed(0)}%, 48 h ${(c.within48h * 100).toFixed(0)}%`,
    );
  }
  lines.push('  T_MED is fitted on the same days it classifies (IEEE 1366 uses the five years before the reporting year when it has them).');
  return `${lines.join('\n')}\n`;
}

/** A recorded job's DuckDB output. */
async function jobDuckdb(jobId: string, stateDir: string | undefined): Promise<string> {
  const record = await new JobStore(stateDir).load(jobId);
  const path = pathOf(record.output, 'duckdb');
  if (path === undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`--job: ${jobId} wrote no DuckDB output (sinks: ${record.output.sink.join(', ')})`]);
  return path;
}
