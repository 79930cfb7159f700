import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPathSink, parseOutputOptions, PATH_SINKS, type OutPaths, type OutputOptions } from '../jobs/output-options.js';
import { flagOf, SINK_PLUGINS, SINK_SETTINGS } from '../sinks/registry.js';
import type { SinkOption } from '../sinks/sink-plugin.js';
import { ForgeError } from '../util/forge-error.js';

/**
 * Output flags shared by `generate` and `stream`: the common ones, then every sink's settings from its plugin
 * (sinks/registry.ts), named as the output options schema names them (`--pg-url` is `pgUrl`).
 */
export function addOutputFlags(command: Command): Command {
  command
    .option('--sink <names>', `${SINK_PLUGINS.map((p) => p.name).join(', ')} (default duckdb); several separated by commas (dual write); forge sinks describes each`)
    .option(
      '--out <path>',
      `path of a sink that writes to one (${PATH_SINKS.join(', ')}); default under ./forge-data. With several: one per sink, repeated, e.g. --out duckdb=a.duckdb --out parquet=pq`,
      collect,
    )
    .option('--shape <shape>', 'flat (default) or nested (AMI head-end message) for ndjson, parquet and stdout')
    .option('--append', 'add to an existing table or directory instead of refusing');
  for (const { key, option, sinks } of SINK_SETTINGS) command.option(flagSpec(key, option), settingHelp(option, sinks));
  return command;
}

/** `--pg-url <url>`, `--no-stage-gzip` (a switch on by default), `--append-like` (a switch). */
function flagSpec(key: string, option: SinkOption): string {
  if (option.arg !== undefined) return `${flagOf(key)} ${option.arg}`;
  return option.negatable ? `--no-${flagOf(key).slice(2)}` : flagOf(key);
}

/** `postgres: table, name or schema.name (default ami_readings)`. */
export function settingHelp(option: SinkOption, sinks: readonly string[]): string {
  const shown = option.default !== undefined && option.arg !== undefined ? ` (default ${String(option.default)})` : '';
  return `${sinks.join(', ')}: ${option.negatable ? `do not ${option.help}` : option.help}${shown}`;
}

/** Output settings every job has, besides the sinks' own. */
const COMMON_KEYS = ['sink', 'out', 'shape', 'workers', 'batchSize'] as const;

export function outputFromFlags(flags: Record<string, unknown>): OutputOptions {
  const input: Record<string, unknown> = { append: flags.append === true };
  for (const key of COMMON_KEYS) if (flags[key] !== undefined) input[key] = flags[key];
  for (const { key, option } of SINK_SETTINGS) {
    const value = flags[key];
    // Commander sets a `--no-` switch's default (true) itself: only a switch turned off is a setting given.
    if (value === undefined || (option.negatable && value === true)) continue;
    // A file this process reads: absolute, so a job record names the same file wherever it is read from (resume).
    input[key] = option.names === 'file' && typeof value === 'string' && value !== '' ? resolve(value) : value;
  }
  // Absolute, so a job record names the same file wherever it is read from (verify, resume).
  if (input.out !== undefined) input.out = outFromFlags(input.out);
  return parseOutputOptions(input);
}

/** Commander's reducer for a repeatable option: every value given, in order. */
function collect(value: string, previous: unknown): string[] {
  return Array.isArray(previous) ? [...(previous as string[]), value] : [value];
}

const NAMED_OUT = new RegExp(`^(${PATH_SINKS.join('|')})=(.*)$`, 's');

/**
 * `--out PATH` (one path sink) or `--out SINK=PATH`, repeated, one per path sink (`--out duckdb=a.duckdb --out
 * parquet=pq`), as the `out` of the options schema: a string or an object keyed by sink; every path made absolute.
 * A path that itself starts with a sink name and `=` is written `./duckdb=x`.
 */
export function outFromFlags(values: unknown): OutPaths {
  const list = (Array.isArray(values) ? values : [values]).map(String);
  const named = list.map((v) => NAMED_OUT.exec(v));
  if (named.every((m) => m === null)) {
    if (list.length > 1) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`out: ${list.length} paths without a sink name; name each, e.g. --out duckdb=a.duckdb --out parquet=pq`]);
    return list[0] === '' ? '' : resolve(list[0]!);
  }
  if (named.some((m) => m === null)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['out: mixes a plain path with SINK=PATH forms; with several path sinks name each (--out duckdb=a.duckdb --out parquet=pq)']);
  const out: Record<string, string> = {};
  for (const match of named) {
    const [, sink, path] = match!;
    if (!isPathSink(sink!)) continue;
    if (out[sink!] !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`out.${sink}: given twice`]);
    if (path === '') throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`out.${sink}: empty path`]);
    out[sink!] = resolve(path!);
  }
  return out;
}
