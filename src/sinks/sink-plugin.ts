import { z } from 'zod';
import type { Fleet } from '../fleet/fleet.js';
import type { DataQuality, EventType } from '../scenario/enums.js';
import type { Scenario } from '../scenario/scenario.js';
import { readInt } from '../util/parse-int.js';
import type { Sink, SinkStatus } from './sink.js';

/**
 * What a sink is, for everything outside its folder: the one description the registry (registry.ts) lists and from
 * which the output options schema, the CLI flags and help, the API's sink catalogue (GET /api/sinks, the UI's data
 * flows), job planning (which sinks stream, which write to a path), verify's targets and sink construction all
 * derive. A new sink is its folder, a `<name>-plugin.ts` there exporting one of these, and one line in registry.ts.
 */
export interface SinkPlugin<N extends string = string, O extends SinkOptionShape = SinkOptionShape> {
  /** The name `--sink` and `output.sink` take: lower-case, no commas. */
  readonly name: N;
  /** A short title (the UI's data-flow card). */
  readonly title: string;
  /** One line: what it writes and where (`--sink` help, the UI card, GET /api/sinks). */
  readonly summary: string;
  /** Sinks that write to a path of their own (a DuckDB file, a directory): its default, relative to the working directory. */
  readonly path?: PathSpec | undefined;
  /** Whether it can take a stream job (every sink takes batch jobs). */
  readonly streams: boolean;
  /** Its settings: `output.<key>` in the API, `--<kebab-key>` on the CLI. Keys are shared only by sinks of one family. */
  readonly options: O;
  /** Options it cannot run without (the job is refused before anything runs). */
  readonly required?: readonly (keyof O & string)[];
  /** Options the UI's Generate page offers for it (text inputs), besides its path. */
  readonly uiFields?: readonly (keyof O & string)[];
  /** Where `forge verify` reads back what it delivered (and the settings that decide it); absent: it cannot be verified. */
  readonly readBack?: {
    readonly settings: readonly (keyof O & string)[];
    readonly target: (values: OptionValues<O>, context: ReadBackContext) => ReadBackTarget;
  };
  /**
   * Builds the sink (never opens it): bad settings reject here, before a job record or a worker exists. A plugin loads
   * its implementation here (`await import(...)`), so a command that builds no sink never loads a sink's client
   * library (what keeps `forge --help` and every command's start fast).
   */
  readonly create: (values: OptionValues<O>, context: SinkBuildContext) => Promise<Sink>;
}

/** One setting of a sink. */
export interface SinkOption<S extends z.ZodType = z.ZodType> {
  /** The value as a request or a flag gives it: text from the CLI is coerced here (numbers, integers). */
  readonly schema: S;
  /** What it is, for `--help`, the API's schema and the UI. */
  readonly help: string;
  /** The CLI argument's placeholder (`<url>`); absent for an on/off switch. */
  readonly arg?: string;
  /** An on/off switch that is on by default: the CLI offers `--no-<key>`. */
  readonly negatable?: boolean;
  /** The value the sink uses when none is given (applied by `create`, shown in help and docs). */
  readonly default?: string | number | boolean;
  /**
   * What the value names on this machine: 'file', a file the process reads (the CLI makes it absolute; the API refuses
   * it, as a server reads its own from its environment); 'location', a local directory or a remote URL (the API
   * confines a local one to its data directory).
   */
  readonly names?: 'file' | 'location';
}

export type SinkOptionShape = Readonly<Record<string, SinkOption>>;

/** A sink's settings as parsed: each optional (a default is the sink's to apply). */
export type OptionValues<O extends SinkOptionShape> = { readonly [K in keyof O]?: z.output<O[K]['schema']> };

/** What `create` gets besides the sink's own settings: the output's common settings. */
export interface SinkBuildContext {
  /** A path sink's path: `out`'s entry for it, else its default. Undefined for other sinks. */
  readonly path: string | undefined;
  readonly shape: 'flat' | 'nested';
  /** Add to an existing table or directory instead of refusing. */
  readonly append: boolean;
  /** Told when the destination is lost (the sink retrying) and when it is back. */
  readonly onStatus?: ((status: SinkStatus) => void) | undefined;
  readonly env: NodeJS.ProcessEnv;
}

export interface ReadBackContext {
  readonly path: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** A store `forge verify` can read: a DuckDB warehouse file, a Postgres table (`name` or `schema.name`), or files. */
export type ReadBackTarget =
  | { readonly kind: 'duckdb'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly table: string }
  | FilesReadBack;

/**
 * Files a sink wrote in a format only it reads (the exchange formats, sinks/formats/): verify asks the sink's own
 * reader for the readings of some local dates and compares usage and the fields the format `keeps`, nothing else.
 */
export interface FilesReadBack {
  readonly kind: 'files';
  /** The output directory; `description` names it with its format. */
  readonly path: string;
  readonly description: string;
  /** The fields besides usage the files hold exactly as generated. */
  readonly keeps: readonly ReadBackField[];
  /**
   * The readings of the date partitions `localDates` (YYYY-MM-DD), in any order, every copy. The scenario and fleet
   * they were generated from let a reader map what a file names (an NMI, a zone-less local time) to meter ids and
   * instants.
   */
  readonly readings: (localDates: readonly string[], context: ReadBackContextOfFiles) => AsyncIterable<ReadBackReading>;
}

/** What a reader of a sink's files may need to know: the scenario and fleet the files were generated from. */
export interface ReadBackContextOfFiles {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
}

export type ReadBackField = 'voltage' | 'quality' | 'outage' | 'event';

/** One reading as a sink's files give it back. */
export interface ReadBackReading {
  readonly meterId: string;
  /** Interval start, epoch milliseconds UTC (formats that stamp interval ends are converted by their reader). */
  readonly startUtcMs: number;
  readonly intervalMinutes: number;
  /** Net energy delivered to the customer, kWh (delivered minus received, as usage_kwh). */
  readonly usageKwh: number;
  /** data_quality as far as the format tells it (null: it does not). */
  readonly quality: DataQuality | null;
  /** Volts, for formats that carry a voltage channel (undefined otherwise; null when the file holds none). */
  readonly voltage?: number | null;
  /** is_outage, for formats that tell it (undefined otherwise). */
  readonly outage?: boolean | null;
  /** event_type, for formats that tell it (undefined otherwise; null: no event). */
  readonly event?: EventType | null;
}

/** Where a path sink writes by default. */
export interface PathSpec {
  readonly kind: 'file' | 'directory';
  readonly default: string;
}

/** Declares a plugin, keeping its name, options and whether it writes to a path in its type, for the registry. */
export const defineSink = <const N extends string, const O extends SinkOptionShape, const P extends PathSpec | undefined = undefined>(
  plugin: SinkPlugin<N, O> & { readonly path?: P },
): SinkPlugin<N, O> & { readonly path: P } => plugin as SinkPlugin<N, O> & { readonly path: P };

/** A text setting checked by `problem` (which returns what is wrong, never quoting a secret, or undefined). */
export function checkedText(problem: (text: string) => string | undefined): z.ZodType<string> {
  return z.string().superRefine((text, ctx) => {
    const found = problem(text);
    if (found) ctx.addIssue({ code: 'custom', message: found });
  });
}

/** A whole number from `min` to `max`, also given as text (a CLI flag). */
export const intSetting = (min: number, max: number): z.ZodType<number> =>
  z.preprocess((v) => (typeof v === 'string' ? (readInt(v.trim()) ?? v) : v), z.int().min(min).max(max)) as unknown as z.ZodType<number>;

/** A positive number up to `max`, also given as text. */
export const positiveSetting = (max: number): z.ZodType<number> =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), z.number().positive().max(max)) as unknown as z.ZodType<number>;
