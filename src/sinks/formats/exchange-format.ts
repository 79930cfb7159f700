import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import type { Scenario } from '../../scenario/scenario.js';
import type { ReadBackContextOfFiles, ReadBackField, ReadBackReading } from '../sink-plugin.js';

/**
 * How an exchange format's files are cut:
 * - 'date': one file per local date and part (the batches of a date, all their meters: a "batch of customers" file);
 * - 'customer-day': one file per meter and local date, the files of a part together in one part directory.
 */
export const FORMAT_GROUPINGS = ['date', 'customer-day'] as const;
export type FormatGrouping = (typeof FORMAT_GROUPINGS)[number];

/**
 * The readings one file holds: one local date of the service area, meter by meter in fleet order, each meter's
 * readings in time order. Every meter's day is whole (batches are whole meter-days: emit/work-plan.ts).
 */
export interface FormatGroup {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  /** Local calendar date, YYYY-MM-DD. */
  readonly localDate: string;
  /** The rows (a batch the group owns; a renderer must not keep it after `render` returns). */
  readonly readings: ReadingBatch;
  /** Fleet indexes of the group's meters, ascending. */
  readonly meters: Uint32Array;
  /** Meter k's rows are readings[rowStart[k], rowStart[k + 1]): length meters.length + 1. */
  readonly rowStart: Uint32Array;
}

/** One reading as a file of a format gives it back: what a read-back compares with the regenerated scenario. */
export type FormatReading = ReadBackReading;

/** What `read` is told: the scenario and fleet the file was generated from. */
export type FormatReadContext = ReadBackContextOfFiles;

/** The fields besides usage a format's files keep exactly, which `forge verify` compares (usage always is). */
export const FORMAT_FIELDS = ['voltage', 'quality', 'outage', 'event'] as const satisfies readonly ReadBackField[];
export type FormatField = ReadBackField;

/**
 * What a format is for the exchange-format sink (format-sink.ts): everything else (claims, parts, complete-or-absent
 * files, resume, sharding, append) is the sink's. A format is pure: `render` of the same group gives the same text.
 */
export interface ExchangeFormat {
  /** The sink's name (`--sink <name>`). */
  readonly name: string;
  /** Its files' extension, lower-case letters only: 'xml', 'csv'. */
  readonly extension: string;
  readonly grouping: FormatGrouping;
  /**
   * The fields besides usage its reader gives back exactly as generated (voltage to 0.1 V, data_quality, is_outage,
   * event_type):
   * `forge verify` compares usage and these, and nothing else (a format has no temperature or power factor).
   */
  readonly keeps: readonly FormatField[];
  /**
   * Refuses a scenario the format cannot express (e.g. an interval it has no code for) with a ForgeError naming what
   * it supports: called by `open`, before the output directory is claimed, so nothing is written.
   */
  readonly check?: (scenario: Scenario, fleet: Fleet) => void;
  /**
   * Readings a part holds at most (cut at a batch's end, so meter-days stay whole); default 1,000,000. A format whose
   * files are read whole by their consumers (an XML feed) keeps them smaller.
   */
  readonly maxRowsPerFile?: number;
  /**
   * The text of one file, as chunks written in order (a generator keeps memory to one chunk at a time). Must depend
   * only on the group (no clock, no randomness): the same scenario gives the same bytes.
   */
  render(group: FormatGroup): Iterable<string>;
  /**
   * Reads one file of this format back, in its order. `context`: the scenario and fleet the file was generated from
   * (verify regenerates them), for formats whose files name meters or times in a way only they resolve (an NMI, a
   * local time without a zone). A file that is not of the format is FORGE_ERR_FORMAT_FILE.
   */
  read(text: string, context: FormatReadContext): Iterable<FormatReading>;
}
