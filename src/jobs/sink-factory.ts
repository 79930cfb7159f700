import type { Sink, SinkStatus } from '../sinks/sink.js';
import { sinkPlugin } from '../sinks/registry.js';
import type { OptionValues, SinkOptionShape } from '../sinks/sink-plugin.js';
import { redactText } from '../util/redact-secrets.js';
import type { OutputOptions } from './output-options.js';
import { pathOf } from './output-paths.js';

/** A sink losing its destination ('degraded', retrying) or getting it back ('recovered'). */
export interface SinkStatusEvent {
  readonly sink: string;
  readonly state: 'degraded' | 'recovered';
  readonly error?: string;
}

export interface SinkHooks {
  readonly onStatus?: (event: SinkStatusEvent) => void;
}

/**
 * Builds (never opens) the output's sinks, each by its plugin (sinks/registry.ts) from the output's settings; bad
 * settings reject here. Paths come from pathOf only (out's entry for the sink, else its default): output-paths.ts.
 * Each plugin loads its sink's implementation (and client library) only now, for the sinks the output names.
 */
export async function createSinks(options: OutputOptions, hooks: SinkHooks = {}, env: NodeJS.ProcessEnv = process.env): Promise<Sink[]> {
  const sinks = options.sink.map((name) => {
    const plugin = sinkPlugin(name);
    // Each plugin reads only its own keys of the settings; the registry keeps one meaning per key.
    const create = plugin.create as (values: OptionValues<SinkOptionShape>, context: Parameters<typeof plugin.create>[1]) => Promise<Sink>;
    return create(options as OptionValues<SinkOptionShape>, {
      path: pathOf(options, name),
      shape: options.shape,
      append: options.append,
      onStatus: statusHook(name, hooks),
      env,
    });
  });
  return Promise.all(sinks);
}

/** The sink's onStatus option, reporting to the hooks under the sink's name. */
function statusHook(sink: string, hooks: SinkHooks): ((status: SinkStatus) => void) | undefined {
  const report = hooks.onStatus;
  if (!report) return undefined;
  // A sink's error may quote what its client library wrote (a URL): redacted once here for every listener.
  return (s) => report({ sink, state: s.state, ...(s.state === 'degraded' ? { error: redactText(s.error) } : {}) });
}
