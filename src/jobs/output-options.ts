import { z } from 'zod';
import { SHAPES } from '../generator/reading-records.js';
import { flagOf, isPathSink, PATH_SINKS, SINK_NAMES, SINK_SETTINGS, sinkPlugin, type PathSinkName, type SinkName, type SinkSettings } from '../sinks/registry.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { readInt } from '../util/parse-int.js';

export { isPathSink, PATH_SINKS, SINK_NAMES, type PathSinkName, type SinkName } from '../sinks/registry.js';

/**
 * Where a job delivers: the one schema for output settings from CLI flags and API bodies. The settings of each sink
 * come from its plugin (sinks/registry.ts): this module adds the ones every job has (sinks, paths, shape, workers).
 */

/**
 * `out`: one path when the output has a single path sink (`"a.duckdb"`), or a path per path sink, keyed by its name
 * (`{ "duckdb": "a.duckdb", "parquet": "pq" }`; a path sink left out writes to its default). Read it only through
 * pathOf (output-paths.ts), never directly: old records keep the string form.
 */
const outPaths = z.union([
  z.string().min(1),
  z.strictObject(Object.fromEntries(PATH_SINKS.map((name) => [name, z.string().min(1).optional()])) as Record<PathSinkName, z.ZodOptional<z.ZodString>>),
]);
export type OutPaths = z.output<typeof outPaths>;

/** `sink` as a list or as text separated by commas (a flag), normalised. */
const sinkNamesOf = (v: unknown): unknown => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : v);
const sinkList = z.preprocess(sinkNamesOf, z.array(z.enum(SINK_NAMES as [SinkName, ...SinkName[]], { error: `expected sinks among ${SINK_NAMES.join(', ')}` })).min(1));

const intFromText = (v: unknown): unknown => (typeof v === 'string' ? (readInt(v.trim()) ?? v) : v);

/** Every job's output settings, whatever its sinks. */
const COMMON = {
  sink: sinkList.default(['duckdb']).describe('the sinks, several for a dual write'),
  /** DuckDB file for the duckdb sink, directory for a file sink: one path (a single path sink) or one per path sink. */
  out: outPaths.optional().describe('the path of a single path sink, or one per path sink keyed by its name'),
  shape: z.enum(SHAPES).default('flat').describe('flat, or nested (the AMI head-end message) for ndjson, parquet and stdout'),
  append: z.boolean().default(false).describe('add to an existing table or directory instead of refusing'),
  workers: z.preprocess(intFromText, z.int().min(0).max(64)).optional().describe('generation worker threads'),
  batchSize: z.preprocess(intFromText, z.int().min(1_000).max(4_000_000)).optional().describe('rows per generated batch'),
};

/** The sinks' settings, each optional, described by its help. */
const SETTINGS = Object.fromEntries(
  SINK_SETTINGS.map(({ key, option, sinks }) => [key, option.schema.optional().describe(`${sinks.join(', ')}: ${option.help}${option.default !== undefined ? ` (default ${String(option.default)})` : ''}`)]),
);

export type OutputOptions = z.output<z.ZodObject<typeof COMMON>> & SinkSettings;

const sinkNoun = (sinks: readonly string[]): string => (sinks.length === 1 ? `the ${sinks[0]} sink` : `the ${sinks.slice(0, -1).join(', ')} and ${sinks.at(-1)} sinks`);

export const outputOptionsSchema = z
  .strictObject({ ...COMMON, ...SETTINGS })
  .refine((o) => new Set(o.sink).size === o.sink.length, { message: 'a sink is listed twice', path: ['sink'] })
  .superRefine((o, ctx) => {
    const sinks = o.sink as readonly string[];
    const pathSinks = sinks.filter(isPathSink);
    if (typeof o.out === 'string' && pathSinks.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['out'],
        message: pathSinks.length === 0
          ? `--out names the path of a single sink that writes to one (${PATH_SINKS.slice(0, -1).join(', ')} or ${PATH_SINKS.at(-1)}); none of ${sinks.join(', ')} does`
          : `one path for ${pathSinks.length} sinks that write to a path (${pathSinks.join(', ')}): name each, e.g. --out ${pathSinks[0]}=PATH --out ${pathSinks[1]}=PATH (API: "out": {"${pathSinks[0]}": "...", "${pathSinks[1]}": "..."})`,
      });
    }
    if (o.out !== undefined && typeof o.out === 'object') {
      for (const [name, path] of Object.entries(o.out)) {
        if (path !== undefined && !sinks.includes(name)) ctx.addIssue({ code: 'custom', path: ['out', name], message: `${name} is not among the sinks (${sinks.join(', ')})` });
      }
    }
    // A setting given for none of its sinks is a mistake, not something to ignore (a value equal to its default is
    // what older records hold for every job, so it passes).
    const values = o as Record<string, unknown>;
    for (const { key, option, sinks: takers } of SINK_SETTINGS) {
      const value = values[key];
      if (value === undefined || value === option.default || takers.some((s) => sinks.includes(s))) continue;
      ctx.addIssue({ code: 'custom', path: [key], message: `${flagOf(key)} applies to ${sinkNoun(takers)} only; add ${takers.length === 1 ? takers[0] : 'one of them'} to --sink` });
    }
    for (const name of sinks) {
      for (const key of sinkPlugin(name).required ?? []) {
        if (values[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `the ${name} sink needs ${flagOf(key)} (${SINK_SETTINGS.find((s) => s.key === key)!.option.help})` });
      }
    }
  });

/**
 * Parses output settings (a request's `output`, flags, a job record's output). A sink name the registry does not know
 * is FORGE_ERR_UNKNOWN_SINK naming `field` (the API's `output.sink`); any other problem FORGE_ERR_INVALID_CONFIG naming each field.
 */
export function parseOutputOptions(input: unknown, field = 'sink'): OutputOptions {
  const given = (input ?? {}) as { sink?: unknown };
  const names = sinkNamesOf(given.sink);
  if (Array.isArray(names)) for (const name of names) if (typeof name === 'string') sinkPlugin(name, field);
  const parsed = outputOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data as OutputOptions;
}
