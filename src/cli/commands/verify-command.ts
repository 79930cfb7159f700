import { Command } from 'commander';
import { JobStore } from '../../jobs/job-store.js';
import { parseOutputOptions } from '../../jobs/output-options.js';
import { emittedMeters, scenarioEndUtcMs, scenarioStartUtcMs, type Scenario } from '../../scenario/scenario.js';
import { shardText } from '../../scenario/shard.js';
import { ForgeError } from '../../util/forge-error.js';
import { jobVerifyPlan } from '../../verify/job-verify-plan.js';
import { loadScenarioFleet } from '../../warehouse/fleet-file.js';
import { flagOf } from '../../sinks/registry.js';
import { VERIFIABLE_SETTINGS, VERIFIABLE_SINKS, VERIFIABLE_TEXT, verifyTargets } from '../../verify/verify-targets.js';
import { verifySink, type VerifyReport, type VerifyTarget } from '../../verify/verify-sink.js';
import { formatTable } from '../format-table.js';
import { addScenarioFlags, scenarioFromFlags } from '../scenario-flags.js';
import { commandSummary } from '../command-list.js';

/** Every scenario flag's key, from the shared definition (so a flag added there is refused with --job too). */
const SCENARIO_FLAGS: readonly string[] = addScenarioFlags(new Command()).options.map((o) => o.attributeName());
const WINDOW_AND_SINK_FLAGS: readonly string[] = ['from', 'to', 'sink', 'out', ...VERIFIABLE_SETTINGS.map((s) => s.key)];
/** An instant with an explicit zone: a bare local time would depend on the machine's time zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

const n = (v: number): string => v.toLocaleString('en-US');

interface Plan {
  readonly scenario: Scenario;
  readonly fromUtcMs: number;
  readonly toUtcMs: number;
  readonly targets: readonly VerifyTarget[];
}

export function registerVerifyCommand(program: Command): void {
  const command = addScenarioFlags(
    program
      .command('verify')
      .description(commandSummary('verify')),
  );
  command
    .option('--job <id>', 'verify a recorded job: its scenario, the window it delivered completely and its duckdb/postgres sinks')
    .option('--state-dir <dir>', 'directory of job records, with --job (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--from <time>', 'first interval start checked, ISO 8601 with a zone, e.g. 2026-03-07T06:00:00Z (default: the scenario start)')
    .option('--to <time>', 'end of the window checked, exclusive, ISO 8601 with a zone (default: the scenario end)')
    .option('--sink <names>', `the sinks to read back: ${VERIFIABLE_SINKS.join(', ')} (default duckdb), several separated by commas`)
    .option('--out <path>', 'DuckDB file of the duckdb sink (default forge-data/forge.duckdb), or the directory of an exchange-format sink; several: --out SINK=PATH each');
  // The settings of the sinks verify reads back, as generate and stream take them (their plugins').
  for (const { key, option, sinks } of VERIFIABLE_SETTINGS) {
    command.option(`${flagOf(key)} ${option.arg ?? ''}`.trim(), `${sinks.join(', ')}: ${option.help}${option.default !== undefined ? ` (default ${String(option.default)})` : ''}`);
  }
  command
    .option('--pipeline <file>', 'also (or only, with --job of a stage job) check the silver layer of a pipeline database (forge ingest --out)')
    .option('--json', 'print the reports as JSON')
    .action(async (flags: Record<string, unknown>) => {
      const found = typeof flags.job === 'string' ? await planFromJob(flags) : await planFromFlags(flags);
      const plan = typeof flags.pipeline === 'string' ? { ...found, targets: [...found.targets, { kind: 'pipeline' as const, path: flags.pipeline }] } : found;
      if (plan.targets.length === 0) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`sink: nothing to verify: the job has none of the ${VERIFIABLE_TEXT} sinks; add --pipeline <file> for a stage job`]);
      const reports: VerifyReport[] = [];
      for (const target of plan.targets) {
        reports.push(await verifySink({ scenario: plan.scenario, fromUtcMs: plan.fromUtcMs, toUtcMs: plan.toUtcMs, target }));
      }
      const ok = reports.every((r) => r.ok);
      process.stdout.write(flags.json === true ? `${JSON.stringify({ ok, reports }, null, 2)}\n` : reports.map((r) => reportText(r, plan.scenario)).join('\n'));
      const failed = reports.filter((r) => !r.ok);
      if (failed.length > 0) {
        throw new ForgeError('FORGE_ERR_VERIFY_FAILED', [failed.map((r) => r.target).join('; '), failed.map(problemSummary).join('; ')]);
      }
    });
}

async function planFromJob(flags: Record<string, unknown>): Promise<Plan> {
  const conflicting = [...SCENARIO_FLAGS, ...WINDOW_AND_SINK_FLAGS].filter((k) => flags[k] !== undefined);
  if (conflicting.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
      `job: --job takes the scenario, window and sinks from the job's record; drop ${conflicting.map(flagOf).join(', ')}`,
    ]);
  }
  const store = typeof flags.stateDir === 'string' ? new JobStore(flags.stateDir) : new JobStore();
  const record = await store.load(flags.job as string);
  await loadScenarioFleet(record.scenario);
  return jobVerifyPlan(record, { otherTargets: typeof flags.pipeline === 'string' });
}

async function planFromFlags(flags: Record<string, unknown>): Promise<Plan> {
  if (flags.stateDir !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['stateDir: --state-dir applies with --job only']);
  const scenario = await scenarioFromFlags(flags);
  if (flags.start === undefined && flags.config === undefined) {
    // The default start moves with the calendar: data generated on another day was another range.
    process.stderr.write(`forge verify: no --start given, so the scenario is the ${scenario.days} days from ${scenario.start}; pass the --start the data was generated with, or use --job\n`);
  }
  const output = parseOutputOptions(Object.fromEntries(['sink', 'out', ...VERIFIABLE_SETTINGS.map((s) => s.key)].filter((k) => flags[k] !== undefined).map((k) => [k, flags[k]])));
  const other = output.sink.filter((s) => !(VERIFIABLE_SINKS as readonly string[]).includes(s));
  if (other.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`sink: verify reads back only the ${VERIFIABLE_TEXT} sinks, not ${other.join(', ')}`]);
  }
  return {
    scenario,
    fromUtcMs: flags.from !== undefined ? instantFlag('from', flags.from) : scenarioStartUtcMs(scenario),
    toUtcMs: flags.to !== undefined ? instantFlag('to', flags.to) : scenarioEndUtcMs(scenario),
    targets: verifyTargets(output),
  };
}

function instantFlag(name: string, value: unknown): number {
  const text = String(value);
  const ms = ISO_INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${name}: "${text}" is not an ISO 8601 time with a zone, e.g. 2026-03-07T06:00:00Z`]);
  return ms;
}

const problemSummary = (r: VerifyReport): string =>
  `${n(r.missing)} missing, ${n(r.duplicates)} duplicate, ${n(r.differing)} differing, ${n(r.unexpected)} unexpected in ${n(r.problemMeterDays)} of ${n(r.meterDays)} meter-days`;

/** The meters checked: the fleet's, or a shard's part of it. */
function meterText(scenario: Scenario): string {
  if (!scenario.shard) return `${n(scenario.meters)} meters`;
  const { start, end } = emittedMeters(scenario);
  return `${n(end - start)} meters (shard ${shardText(scenario.shard)} of a fleet of ${n(scenario.meters)})`;
}

function reportText(r: VerifyReport, scenario: Scenario): string {
  const lines = [
    `Verify ${r.target}: ${r.fromUtc} to ${r.toUtc}, ${meterText(scenario)}, ${n(r.meterDays)} meter-days`,
    `  expected ${n(r.expected)}  found ${n(r.found)}  missing ${n(r.missing)}  duplicates ${n(r.duplicates)}  differing ${n(r.differing)}  unexpected ${n(r.unexpected)}`,
  ];
  if (r.ok) {
    lines.push(r.expected === 0 ? '  OK: the window holds no interval start, nothing to compare.' : '  OK: every expected reading is there exactly once, as generated.');
    return `${lines.join('\n')}\n`;
  }
  const shown = r.problems.length < r.problemMeterDays ? `the first ${r.problems.length}` : 'all';
  lines.push(`  FAILED: ${problemSummary(r)}; ${shown}:`);
  const table = formatTable(
    ['meter', 'local date', 'expected', 'found', 'missing', 'duplicates', 'differing', 'unexpected'],
    r.problems.map((p) => [p.meterId, p.localDate, n(p.expected), n(p.found), n(p.missing), n(p.duplicates), n(p.differing), n(p.unexpected)]),
  );
  lines.push(...table.split('\n').map((l) => `    ${l}`));
  const differences = r.problems.filter((p) => p.firstDifference !== null);
  if (differences.length > 0) {
    lines.push('  first differing reading of each meter-day (expected -> found):');
    for (const p of differences) lines.push(`    ${p.meterId} ${p.firstDifference}`);
  }
  return `${lines.join('\n')}\n`;
}
