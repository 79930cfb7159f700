/**
 * The scenario options the Generate page keeps under "More options": what `forge generate` takes as --start,
 * --storm [date], --pv-share, --ev-share and --mix, and the record shape of the file flows (--shape). Each is sent only
 * when set, as typed: the server validates it and the page shows the server's message, so the rules live in one place.
 */
export interface MoreOptions {
  /** First local day, YYYY-MM-DD (batch jobs; a stream starts at its clock). Empty: the days ending yesterday. */
  readonly start: string;
  readonly storm: boolean;
  /** The storm's local date; empty: the middle of the range. */
  readonly stormDate: string;
  /** Shares 0 to 1, as typed; empty: the service area's. */
  readonly pvShare: string;
  readonly evShare: string;
  /** Segment shares as R/C/I, e.g. 88/11/1; empty: the area's mix. */
  readonly mix: string;
  readonly shape: 'flat' | 'nested';
  /** A fleet file of `forge fleet import`, in the server's data directory; empty: an invented fleet. */
  readonly fleetFile: string;
}

export const NO_MORE_OPTIONS: MoreOptions = { start: '', storm: false, stormDate: '', pvShare: '', evShare: '', mix: '', shape: 'flat', fleetFile: '' };

/** The sinks that write the nested head-end record when asked (output-options.ts: shape); the others ignore it. */
export const SHAPED_SINKS: readonly string[] = ['ndjson', 'parquet', 'stdout'];

/** A share as the API takes it: a number when the text is one, else the text (the server words the refusal). */
const share = (text: string): number | string => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text.trim());

/** The scenario keys the options set (none when left at their defaults). */
export function moreScenario(more: MoreOptions, mode: 'batch' | 'stream'): Record<string, unknown> {
  const scenario: Record<string, unknown> = {};
  if (mode === 'batch' && more.start) scenario.start = more.start;
  if (more.storm) scenario.storm = more.stormDate || true;
  if (more.pvShare.trim()) scenario.pvShare = share(more.pvShare);
  if (more.evShare.trim()) scenario.evShare = share(more.evShare);
  if (more.mix.trim()) scenario.mix = more.mix.trim();
  if (more.fleetFile.trim()) scenario.fleetFile = more.fleetFile.trim();
  return scenario;
}

/** The output keys the options set: the shape, for a job with a sink that writes it. */
export function moreOutput(more: MoreOptions, sinks: readonly string[]): Record<string, unknown> {
  return more.shape === 'nested' && sinks.some((s) => SHAPED_SINKS.includes(s)) ? { shape: 'nested' } : {};
}
