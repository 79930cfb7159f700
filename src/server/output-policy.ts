import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputOptions } from '../jobs/output-options.js';
import { defaultPathOf, explicitPathOf, mapOutPaths, pathSinksOf } from '../jobs/output-paths.js';
import { SINK_SETTINGS } from '../sinks/registry.js';
import { confinedPath, hasDotDot, isDotSegment } from '../util/confined-path.js';
import { ForgeError } from '../util/forge-error.js';

/** The server's data directory unless told otherwise: every path an API body names must lie inside it. */
export const DEFAULT_DATA_DIR = './forge-data';

/**
 * Every path sink of a server job without a path of its own gets its default name inside the data directory
 * (`<dataDir>/forge.duckdb`, `<dataDir>/parquet`, ...), never the default relative to the server's working
 * directory: one path sink as the string form of `out`, several as one entry each.
 */
export function withDataDirDefaults(output: OutputOptions, dataDir: string = DEFAULT_DATA_DIR): OutputOptions {
  if (pathSinksOf(output).length === 0) return output;
  const root = resolve(dataDir);
  const out = mapOutPaths(output, (sink, path) => path ?? resolve(root, basename(defaultPathOf(sink))));
  return { ...output, out };
}

/**
 * Path confinement for output settings that arrive in API bodies (`POST /api/jobs`): the CLI writes wherever its user
 * may, but the server must not write wherever a caller says.
 *
 * - every path of `out` (one, or one per path sink) and a local `stage` (`file:///dir` or a plain path): through
 *   the one resolver, util/confined-path.ts (no NUL, no `..` segment, also not percent-encoded; relative paths taken
 *   under `dataDir`; every existing component and the link itself resolved with lstat, dangling links and chains
 *   included) and refused unless the place the sink would open lies inside the data directory.
 * - an `s3://bucket/prefix` stage: no `..` or `.` segment in the prefix (the bucket's own access policy is the
 *   operator's; keys are built under the prefix).
 * - a setting that names a file the server would read (`snowflakePrivateKey`: its plugin says `names: 'file'`):
 *   refused from a body; the server's comes from its own environment ($SNOWFLAKE_PRIVATE_KEY_PATH).
 *
 * Returns the options with each path of `out` and a local `stage` as resolved absolute paths inside the data directory;
 * throws FORGE_ERR_INVALID_CONFIG naming the field (`output.out`, `output.out.<sink>`, `output.stage`,
 * `output.snowflakePrivateKey`) otherwise.
 */
export function confineOutputPaths(output: OutputOptions, dataDir: string = DEFAULT_DATA_DIR): OutputOptions {
  const root = resolve(dataDir);
  const problems: string[] = [];
  let out = output.out;
  if (out !== undefined) {
    // Paths given for sinks the output does not have are refused by the options schema; every given one is checked here.
    const entries = typeof out === 'string' ? [['', out] as const] : Object.entries(out).filter((e): e is [string, string] => e[1] !== undefined);
    const confinedOut: Record<string, string> = {};
    for (const [sink, path] of entries) {
      const confined = confinedPath(path, root);
      if (confined.problem !== undefined) problems.push(`output.out${sink ? `.${sink}` : ''}: ${confined.problem}`);
      else confinedOut[sink] = confined.path;
    }
    out = typeof out === 'string' ? (confinedOut[''] ?? out) : { ...out, ...confinedOut };
  }
  // The sinks' settings that name something on this machine, as their plugins declare (sinks/registry.ts).
  const values = output as unknown as Record<string, unknown>;
  const settings: Record<string, string> = {};
  for (const { key, option } of SINK_SETTINGS) {
    const value = values[key];
    if (typeof value !== 'string' || option.names === undefined) continue;
    if (option.names === 'file') {
      problems.push(`output.${key}: names a file on the server; the server reads its own from its environment, not from a request`);
      continue;
    }
    const located = confinedLocation(value, `output.${key}`, root);
    if (typeof located === 'string') settings[key] = located;
    else problems.push(located.problem);
  }
  if (problems.length > 0) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [problems.join('; ')]);
  return { ...output, ...(out !== undefined ? { out } : {}), ...settings };
}

/**
 * A location setting (a stage): `s3://bucket/prefix` with plain names in its prefix (the bucket's own access policy is
 * the operator's), else a local directory (`file:///dir` or a path) confined to `root`, returned resolved.
 */
function confinedLocation(text: string, field: string, root: string): string | { problem: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('s3://')) {
    const segments = trimmed.slice('s3://'.length).split('/');
    return segments.some((s) => isDotSegment(s)) ? { problem: `${field}: "${text}" has a "." or ".." segment; an S3 prefix is plain names` } : text;
  }
  let path = trimmed;
  if (trimmed.startsWith('file://')) {
    if (hasDotDot(trimmed)) return { problem: `${field}: "${text}" has a ".." segment` };
    try {
      path = fileURLToPath(trimmed);
    } catch (e) {
      return { problem: `${field}: "${text}" is not a file URL (${(e as Error).message})` };
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    return { problem: `${field}: "${text}" must be file:///dir, a path or s3://bucket/prefix` };
  }
  const confined = confinedPath(path, root);
  return confined.problem !== undefined ? { problem: `${field}: ${confined.problem}` } : confined.path;
}

/**
 * A recorded output the server is asked to run again (resume): every path sink must have a path of its own (a CLI
 * job's defaults are relative to the working directory it ran in) and every path must pass confineOutputPaths.
 * Throws FORGE_ERR_INVALID_CONFIG naming the field otherwise.
 */
export function confineRecordedOutput(output: OutputOptions, dataDir: string = DEFAULT_DATA_DIR): OutputOptions {
  const missing = pathSinksOf(output).filter((sink) => explicitPathOf(output, sink) === undefined);
  if (missing.length > 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
      `output.out: the record names no path for ${missing.join(', ')} (a default of the process that ran it, relative to its working directory); the server runs only jobs whose paths lie in its data directory`,
    ]);
  }
  return confineOutputPaths(output, dataDir);
}

/**
 * A path an API call reads (a DuckDB file to validate, a pipeline database): inside the data directory like the
 * paths jobs write, relative ones taken under it. Throws FORGE_ERR_INVALID_CONFIG naming `field` otherwise.
 */
export function confinedReadPath(text: string, field: string, dataDir: string = DEFAULT_DATA_DIR): string {
  const confined = confinedPath(text, resolve(dataDir));
  if (confined.problem !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${field}: ${confined.problem}`]);
  return confined.path;
}
