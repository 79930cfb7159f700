import { flagOf, SINK_PLUGINS, SINK_SETTINGS } from './registry.js';

/** A sink as clients see it (GET /api/sinks, `forge sinks`, the UI's data flows): the registry, described. */
export interface SinkDescription {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  /** Where it writes when `out` does not say, for sinks that write to a path. */
  readonly path: { readonly kind: 'file' | 'directory'; readonly default: string } | null;
  readonly modes: readonly ('batch' | 'stream')[];
  /** Whether `forge verify` can read it back. */
  readonly verifiable: boolean;
  readonly settings: readonly SettingDescription[];
}

export interface SettingDescription {
  /** `output.<key>` in the API. */
  readonly key: string;
  /** The CLI flag (`--no-...` for a switch that is on by default). */
  readonly flag: string;
  readonly help: string;
  readonly required: boolean;
  readonly default: string | number | boolean | null;
  /** Offered by the UI's Generate page. */
  readonly ui: boolean;
  /** Sinks of the family that share it. */
  readonly sinks: readonly string[];
}

export function sinkCatalog(): SinkDescription[] {
  return SINK_PLUGINS.map((plugin) => {
    const required = (plugin.required ?? []) as readonly string[];
    const ui = (plugin.uiFields ?? []) as readonly string[];
    return {
      name: plugin.name,
      title: plugin.title,
      summary: plugin.summary,
      path: plugin.path ?? null,
      modes: plugin.streams ? ['batch', 'stream'] : ['batch'],
      verifiable: plugin.readBack !== undefined,
      settings: SINK_SETTINGS.filter((s) => (s.sinks as readonly string[]).includes(plugin.name)).map(({ key, option, sinks }) => ({
        key,
        flag: option.negatable ? `--no-${flagOf(key).slice(2)}` : flagOf(key),
        help: option.help,
        required: required.includes(key),
        default: option.default ?? null,
        ui: ui.includes(key),
        sinks,
      })),
    };
  });
}
