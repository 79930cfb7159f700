import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { readCalibrationProfileFile } from '../calibrate/calibration-profile-file.js';
import { resolveScenario, type Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { withFleetFile } from '../warehouse/fleet-file.js';
import { camelConfigKeys } from './config-keys.js';

/** Scenario flags shared by every command that needs a scenario; names map 1:1 onto the scenario schema's keys. */
export function addScenarioFlags(command: Command): Command {
  return command
    .option('--config <file>', 'scenario file (JSON or YAML) with the same keys as these flags (pv-share or pvShare); flags override it')
    .option('--preset <name>', 'quick (100 x 7 days), se (1,000 x 90), enterprise (5,000 x 180), ml (10,000 x 365)')
    .option('--fleet <name>', 'fleet preset: demo-1k, substation-10k, district-50k, service-area-100k')
    .option('--meters <n>', 'number of meters (1 to 1,000,000)')
    .option('--days <n>', 'number of days')
    .option('--start <date>', 'first local day, YYYY-MM-DD (default: the given days ending yesterday)')
    .option('--interval <minutes>', 'reading interval: 5, 15, 30 or 60')
    .option('--area <name>', 'service area by name or ISO (TEXAS_GULF_COAST/ERCOT, CALIFORNIA_COASTAL/CAISO, ...)')
    .option('--segment <segment>', 'only RESIDENTIAL, COMMERCIAL or INDUSTRIAL meters')
    .option('--mix <r/c/i>', 'segment shares, e.g. 88/11/1 (default: the area mix)')
    .option('--seed <n>', 'random seed, 0 to 4294967295 (default 42)')
    .option('--id-prefix <prefix>', 'meter id prefix (default MTR)')
    .option('--pv-share <share>', 'share of homes with rooftop PV, 0 to 1 (default: the area\'s, e.g. 0.18 in California)')
    .option('--ev-share <share>', 'share of homes with an electric vehicle, 0 to 1 (default: the area\'s)')
    .option('--storm [date]', 'a major storm: in the middle of the range, or on the given local date YYYY-MM-DD')
    .option('--anomaly-rate <rates>', 'injected anomalies per meter-day: one rate for every kind (0.01) or per kind, e.g. theft=0.002,meter_fault=0.001 (kinds: theft, meter_fault, comm_gap, usage_spike, voltage_sag, voltage_swell; default: the model\'s)')
    .option('--events <mode>', 'grid events and anomalies: demo (natural rates plus, every week, a transformer outage and three anomalies of each kind), natural (the model\'s rates only) or none (default: demo for the quick and se presets, else natural)')
    .option('--quiet-fleet', 'a fleet with no outages, storms, anomalies or estimated reads (the same as --events none)')
    .option('--profile <file>', 'calibration profile written by forge calibrate (JSON or YAML): residential (or other fitted) meters behave like the sample it was fitted on')
    .option('--emission-pattern <name>', 'UNIFORM (default), STAGGERED_REALISTIC, PARTIAL_REPORTING or DEGRADED_NETWORK (how a stream reports)')
    .option('--fleet-file <file>', 'a fleet file written by forge fleet import: the utility\'s own meters (their number is the file\'s rows)')
    .option('--shard <i/N>', 'emit only shard i (0-based) of N of the fleet\'s meters, e.g. 2/8; N shards together emit exactly the unsharded rows (default: $FORGE_SHARD, else the whole fleet)');
}

const SCENARIO_KEYS = [
  'preset', 'fleet', 'meters', 'days', 'start', 'interval', 'area', 'segment', 'mix', 'seed', 'idPrefix', 'pvShare', 'evShare', 'storm', 'emissionPattern', 'shard', 'fleetFile', 'anomalyRate', 'events', 'quietFleet',
] as const;

/**
 * Reads --config (if any), overlays the flags given, validates, and returns the frozen scenario. The shard comes from
 * --shard, else the config file, else $FORGE_SHARD (`i/N`: set per container by an orchestrator, see docs/SCALING.md).
 */
export async function scenarioFromFlags(
  flags: Record<string, unknown>,
  now?: Date,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly shardNeedsStart?: boolean } = {},
): Promise<Scenario> {
  const fromFile = typeof flags.config === 'string' ? await readConfigFile(flags.config) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const key of SCENARIO_KEYS) if (flags[key] !== undefined) fromFlags[key] = flags[key];
  const envShard = env.FORGE_SHARD;
  if (fromFlags.shard === undefined && fromFile.shard === undefined && envShard !== undefined && envShard.trim() !== '') fromFlags.shard = envShard;
  // A profile is named by file (flag, or a path in the config file, relative to it) and travels inline in the scenario.
  if (typeof flags.profile === 'string') fromFlags.profile = await readCalibrationProfileFile(flags.profile);
  else if (typeof fromFile.profile === 'string' && typeof flags.config === 'string') {
    fromFile.profile = await readCalibrationProfileFile(resolve(dirname(flags.config), fromFile.profile));
  }
  const merged = { ...fromFile, ...fromFlags };
  // A fleet file decides the meters (its rows) and records its hash; buildFleet then finds the inventory read here.
  const scenario = resolveScenario(await withFleetFile(merged), now ? { now } : {});
  // The default start is "the given days ending yesterday": shards started either side of midnight would cover
  // different ranges and no longer add up to one scenario.
  if (options.shardNeedsStart && scenario.shard && merged.start === undefined) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['start: a sharded job needs an explicit --start (the same for every shard); the default moves with the calendar']);
  }
  return scenario;
}

export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ForgeError('FORGE_ERR_CONFIG_FILE', [path, (error as Error).message]);
  }
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The YAML parser appends a code frame (the file's lines) to its message: the first line says what and where.
    throw new ForgeError('FORGE_ERR_CONFIG_FILE', [path, (error as Error).message.split('\n')[0]!.trim()]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ForgeError('FORGE_ERR_CONFIG_FILE', [path, 'expected an object of scenario keys']);
  }
  return camelConfigKeys(value as Record<string, unknown>, path);
}
