import { sinkPlugin } from '../sinks/registry.js';
import { isPathSink, type OutPaths, type PathSinkName } from './output-options.js';

/**
 * The one reading of `out` (output-options.ts): every consumer (the sink factory, verify, the server's defaults and
 * confinement, rerun) asks here for the path of each path sink, so none of them falls back to a default by accident.
 */

/** The output settings that decide paths: a job record's output, parsed options, or verify's flags. */
export interface PathOutput {
  readonly sink: readonly string[];
  readonly out?: OutPaths | undefined;
}

/** The path `out` names for `sink`: the one path of a single path sink, or the sink's own entry; else undefined. */
export function explicitPathOf(output: PathOutput, sink: string): string | undefined {
  if (!isPathSink(sink) || !output.sink.includes(sink) || output.out === undefined) return undefined;
  if (typeof output.out === 'string') return output.sink.filter(isPathSink).length === 1 ? output.out : undefined;
  return output.out[sink];
}

/** Where a path sink writes when `out` does not say: its plugin's default under ./forge-data (relative to the working directory). */
export function defaultPathOf(sink: PathSinkName): string {
  return sinkPlugin(sink).path!.default;
}

/** The path `sink` writes to: `out`'s entry for it, else its default. Undefined for a sink that writes to no path. */
export function pathOf(output: PathOutput, sink: string): string | undefined {
  if (!isPathSink(sink) || !output.sink.includes(sink)) return undefined;
  return explicitPathOf(output, sink) ?? defaultPathOf(sink);
}

/** The output's path sinks, in the order of `sink`. */
export function pathSinksOf(output: PathOutput): PathSinkName[] {
  return output.sink.filter(isPathSink);
}

/**
 * `out` with every path sink's path given by `pathFor` (which sees the sink and its current explicit path, or
 * undefined): one string for a single path sink (the form records had before per-sink paths), else one entry each.
 * Undefined when there is no path sink or `pathFor` leaves them all undefined.
 */
export function mapOutPaths(output: PathOutput, pathFor: (sink: PathSinkName, path: string | undefined) => string | undefined): OutPaths | undefined {
  const sinks = pathSinksOf(output);
  const entries = sinks.map((sink) => [sink, pathFor(sink, explicitPathOf(output, sink))] as const).filter(([, path]) => path !== undefined);
  if (entries.length === 0) return undefined;
  if (sinks.length === 1) return entries[0]![1];
  return Object.fromEntries(entries) as OutPaths;
}
