import { ForgeError } from '../util/forge-error.js';
import { duckdbPlugin } from './duckdb/duckdb-plugin.js';
import { csvPlugin, ndjsonPlugin, parquetPlugin } from './files/file-plugin.js';
import { cimPlugin } from './formats/cim/cim-plugin.js';
import { greenButtonPlugin } from './formats/greenbutton/greenbutton-plugin.js';
import { mdmCsvPlugin } from './formats/mdm-csv/mdm-csv-plugin.js';
import { nem12Plugin } from './formats/nem12/nem12-plugin.js';
import { mqttPlugin } from './mqtt/mqtt-plugin.js';
import { natsPlugin } from './nats/nats-plugin.js';
import { postgresPlugin } from './postgres/postgres-plugin.js';
import { redisPlugin } from './redis/redis-plugin.js';
import type { OptionValues, PathSpec, SinkOption, SinkPlugin } from './sink-plugin.js';
import { snowflakeInsertPlugin, snowflakePlugin, snowflakeStagePlugin } from './snowflake/snowflake-plugin.js';
import { stagePlugin } from './stage/stage-plugin.js';
import { stdoutPlugin } from './stdout/stdout-plugin.js';

/**
 * Every sink there is, in the order help and the UI list them. Everything that names sinks derives from this list:
 * the output options schema (jobs/output-options.ts), the CLI's flags and help (cli/output-flags.ts), sink
 * construction (jobs/sink-factory.ts), which sinks stream (jobs/job-plan.ts), verify's targets, the API's
 * GET /api/sinks and the UI's data flows. Adding a sink: its folder with a `<name>-plugin.ts`, one line here, its docs
 * (a test fails while a plugin file is not listed here).
 */
export const SINK_PLUGINS = [
  duckdbPlugin,
  parquetPlugin,
  csvPlugin,
  ndjsonPlugin,
  mdmCsvPlugin,
  greenButtonPlugin,
  nem12Plugin,
  cimPlugin,
  stdoutPlugin,
  postgresPlugin,
  mqttPlugin,
  natsPlugin,
  redisPlugin,
  stagePlugin,
  snowflakePlugin,
  snowflakeInsertPlugin,
  snowflakeStagePlugin,
] as const;

type AnyPlugin = (typeof SINK_PLUGINS)[number];
export type SinkName = AnyPlugin['name'];
export const SINK_NAMES = SINK_PLUGINS.map((p) => p.name) as readonly SinkName[];

/** The sinks that write to a path of their own. */
type PathPlugin = Extract<AnyPlugin, { readonly path: PathSpec }>;
export type PathSinkName = PathPlugin['name'];
export const PATH_SINKS = SINK_PLUGINS.filter((p) => p.path !== undefined).map((p) => p.name) as readonly PathSinkName[];
export const isPathSink = (name: string): name is PathSinkName => (PATH_SINKS as readonly string[]).includes(name);

/** Every sink's settings together: `output.<key>` (each optional; defaults are the sinks'). */
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
export type SinkSettings = UnionToIntersection<AnyPlugin extends infer P ? (P extends SinkPlugin<string, infer O> ? OptionValues<O> : never) : never>;
export type SinkSettingKey = keyof SinkSettings & string;

const BY_NAME: ReadonlyMap<string, AnyPlugin> = new Map(SINK_PLUGINS.map((p) => [p.name, p]));

/** The plugin of `name`; FORGE_ERR_UNKNOWN_SINK (naming `field`, listing the known ones) for any other name. */
export function sinkPlugin(name: string, field = 'sink'): AnyPlugin {
  const plugin = BY_NAME.get(name);
  if (!plugin) throw new ForgeError('FORGE_ERR_UNKNOWN_SINK', [field, name.slice(0, 60), SINK_NAMES.join(', ')]);
  return plugin;
}

/** One setting and the sinks that take it. */
export interface SettingEntry {
  readonly key: SinkSettingKey;
  readonly option: SinkOption;
  readonly sinks: readonly SinkName[];
}

/**
 * Every setting once, with the sinks that take it, in registry order. A key two plugins share must be the very same
 * option (a family's, like the Snowflake sinks' account settings): anything else is a programming error, thrown at load.
 */
export const SINK_SETTINGS: readonly SettingEntry[] = (() => {
  const entries = new Map<string, { option: SinkOption; sinks: SinkName[] }>();
  for (const plugin of SINK_PLUGINS) {
    for (const [key, option] of Object.entries(plugin.options) as [string, SinkOption][]) {
      const seen = entries.get(key);
      if (seen && seen.option !== option) throw new Error(`sink setting ${key} is declared by ${seen.sinks.join(', ')} and differently by ${plugin.name}`);
      if (seen) seen.sinks.push(plugin.name);
      else entries.set(key, { option, sinks: [plugin.name] });
    }
  }
  return [...entries].map(([key, { option, sinks }]) => ({ key: key as SinkSettingKey, option, sinks }));
})();

/** The CLI flag of a setting: `pgUrl` -> `--pg-url`. */
export const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
