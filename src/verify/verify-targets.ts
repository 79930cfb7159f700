import type { OutPaths } from '../jobs/output-options.js';
import { pathOf } from '../jobs/output-paths.js';
import { SINK_PLUGINS, SINK_SETTINGS, sinkPlugin, type SinkName } from '../sinks/registry.js';
import type { OptionValues, SinkOptionShape } from '../sinks/sink-plugin.js';
import type { VerifyTarget } from './verify-sink.js';

/** The sinks verify can read back: those whose plugin says where (its `readBack`). */
export const VERIFIABLE_SINKS: readonly SinkName[] = SINK_PLUGINS.filter((p) => p.readBack !== undefined).map((p) => p.name);

/** The verifiable sinks as a sentence's list: "duckdb, mdm-csv, greenbutton and postgres". */
export const VERIFIABLE_TEXT = VERIFIABLE_SINKS.length < 2 ? VERIFIABLE_SINKS.join('') : `${VERIFIABLE_SINKS.slice(0, -1).join(', ')} and ${VERIFIABLE_SINKS.at(-1)!}`;

/** The settings that decide where verifiable sinks are read (`forge verify` takes them as flags, as jobs do). */
export const VERIFIABLE_SETTINGS = SINK_SETTINGS.filter((s) => SINK_PLUGINS.some((p) => (p.readBack?.settings as readonly string[] | undefined)?.includes(s.key)));

/** The output settings verify needs, as a job records them (jobs/output-options.ts) or as flags give them. */
export interface TargetOutput {
  readonly sink: readonly string[];
  readonly out?: OutPaths | undefined;
  readonly [setting: string]: unknown;
}

/**
 * The stores an output delivered to that verify can read, resolved by each sink's plugin as the sink factory
 * resolves them (the same path from pathOf, the same settings and defaults). Sinks verify cannot read are left out.
 */
export function verifyTargets(output: TargetOutput, env: NodeJS.ProcessEnv = process.env): VerifyTarget[] {
  const targets: VerifyTarget[] = [];
  for (const name of output.sink) {
    if (!(VERIFIABLE_SINKS as readonly string[]).includes(name)) continue;
    const readBack = sinkPlugin(name).readBack!.target as (values: OptionValues<SinkOptionShape>, context: { path: string | undefined; env: NodeJS.ProcessEnv }) => VerifyTarget;
    targets.push(readBack(output as OptionValues<SinkOptionShape>, { path: pathOf(output, name), env }));
  }
  return targets;
}
