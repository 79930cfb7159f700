// Types from src/ and job-request.ts, not api.ts: this module is tested on Node, where api.ts's browser storage is unknown.
import type { EventMode } from '../../../src/scenario/event-mode.js';
import type { SinkDescription } from '../../../src/sinks/sink-catalog.js';
import type { JobRequest } from '../job-request.js';
import { moreOutput, moreScenario, type MoreOptions } from './more-options.js';

export type Mode = 'batch' | 'stream';

/** Everything the Generate page lets a user set. */
export interface GenerateForm {
  readonly template: string;
  readonly mode: Mode;
  /** The chosen sinks (GET /api/sinks names); two or more are a dual write. */
  readonly sinks: readonly string[];
  readonly meters: number;
  readonly days: number;
  readonly area: string;
  readonly segment: string;
  readonly interval: number;
  readonly emissionPattern: string;
  readonly seed: number;
  /** demo (a scheduled outage and anomalies of each kind every week), natural, or none (a quiet fleet). */
  readonly events: EventMode;
  readonly speed: string;
  readonly duration: string;
  /** A path per chosen path sink, as typed (empty: a fresh one, freshOut). */
  readonly paths: Readonly<Record<string, string>>;
  /** The chosen sinks' settings the page offers (a setting's `ui`), as typed (empty: the sink's default). */
  readonly settings: Readonly<Record<string, string>>;
  /** The "More options" section: start date, storm, PV and EV shares, segment mix, record shape. */
  readonly more: MoreOptions;
}

/** The scenario part of a request: what the fleet metrics, the map and the preview are computed for. */
export function scenarioOf(form: GenerateForm): Record<string, unknown> {
  // A fleet file decides the meters, the area and the segments: the page's own are not sent with one.
  const invented = form.more.fleetFile.trim() === '';
  return {
    ...(invented ? { meters: form.meters } : {}),
    ...(form.mode === 'batch' ? { days: form.days } : {}),
    ...(invented ? { area: form.area } : {}),
    interval: form.interval,
    seed: form.seed,
    events: form.events,
    emissionPattern: form.emissionPattern,
    ...(form.segment && invented ? { segment: form.segment } : {}),
    ...moreScenario(form.more, form.mode),
  };
}

/** The chosen sinks' descriptions, in the catalogue's order. */
export function chosenSinks(form: GenerateForm, catalog: readonly SinkDescription[]): SinkDescription[] {
  return catalog.filter((s) => form.sinks.includes(s.name));
}

/** Whether the sink can run in the mode (every sink takes batch jobs; some take streams). */
export const usableIn = (sink: SinkDescription, mode: Mode): boolean => sink.modes.includes(mode);

/**
 * The form with `name` added to or taken from its sinks. At least one sink stays chosen; a sink that cannot run in the
 * form's mode switches the mode to one it can.
 */
export function toggleSink(form: GenerateForm, sink: SinkDescription): GenerateForm {
  if (form.sinks.includes(sink.name)) return form.sinks.length === 1 ? form : { ...form, sinks: form.sinks.filter((s) => s !== sink.name) };
  return usableIn(sink, form.mode) ? { ...form, sinks: [...form.sinks, sink.name] } : { ...form, mode: sink.modes[0]!, sinks: [sink.name] };
}

/** The form in another mode: sinks that cannot run in it are dropped (DuckDB, which runs in both, when none is left). */
export function withMode(form: GenerateForm, mode: Mode, catalog: readonly SinkDescription[]): GenerateForm {
  const kept = chosenSinks(form, catalog).filter((s) => usableIn(s, mode)).map((s) => s.name);
  return { ...form, mode, sinks: kept.length > 0 ? kept : ['duckdb'] };
}

/**
 * A fresh output path per job and sink, so a new job never meets an earlier job's tables or files. Relative: the
 * server takes it under its data directory (./forge-data unless started with --data-dir), where every path a request
 * names must lie.
 */
export function freshOut(sink: SinkDescription, template: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return sink.path?.kind === 'directory' ? `${sink.name}/${template}-${stamp}` : `${template}-${stamp}.${sink.name}`;
}

/** The path the page shows and sends for a path sink: what was typed, else a fresh one. */
export const pathFor = (form: GenerateForm, sink: SinkDescription, now?: Date): string => form.paths[sink.name] || freshOut(sink, form.template, now);

function outputOf(form: GenerateForm, catalog: readonly SinkDescription[], now?: Date): Record<string, unknown> {
  const sinks = chosenSinks(form, catalog);
  const pathSinks = sinks.filter((s) => s.path !== null);
  const output: Record<string, unknown> = { sink: sinks.map((s) => s.name), ...moreOutput(form.more, form.sinks) };
  if (pathSinks.length === 1) output.out = pathFor(form, pathSinks[0]!, now);
  else if (pathSinks.length > 1) output.out = Object.fromEntries(pathSinks.map((s) => [s.name, pathFor(form, s, now)]));
  for (const sink of sinks) {
    for (const setting of sink.settings) {
      const value = form.settings[setting.key]?.trim();
      if (setting.ui && value) output[setting.key] = value;
    }
  }
  return output;
}

/** The body of POST /api/jobs for the form. */
export function requestOf(form: GenerateForm, catalog: readonly SinkDescription[], now?: Date): JobRequest {
  return {
    kind: form.mode,
    scenario: scenarioOf(form),
    output: outputOf(form, catalog, now),
    ...(form.mode === 'stream' ? { stream: { speed: form.speed === 'max' ? 'max' : Number(form.speed), ...(form.duration ? { duration: form.duration } : {}) } } : {}),
  };
}

/**
 * A new stream's duration: until stopped. At 3600x a fixed duration ends before anyone looks (six simulated hours
 * pass in six seconds); a stream that runs until stopped can be watched, and Monitor's Stop ends it.
 */
export const DEFAULT_STREAM_DURATION = '';

const DURATION_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a stream's duration (simulated, '6h', '7d'; '' until stopped) lasts on the wall clock at a speed ('3600', 'max'). */
export function wallClockOf(duration: string, speed: string): string {
  if (duration === '') return 'Runs until you stop it (Monitor: Stop).';
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(duration);
  const speedUp = Number(speed);
  if (!match || !(speedUp > 0)) return 'Ends when its simulated time has been sent, as fast as the sinks take it.';
  const seconds = (Number(match[1]) * DURATION_MS[match[2]!]!) / 1000 / speedUp;
  return `Ends after about ${humanSeconds(seconds)} of wall-clock time.`;
}

function humanSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5_400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
