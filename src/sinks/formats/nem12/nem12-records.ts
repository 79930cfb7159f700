/**
 * A NEM12 file as data: AEMO's "Meter Data File Format Specification NEM12 & NEM13" (MDFF), interval metering data.
 * One 100 header, then per NMI datastream a 200 record followed by its days (300 records, each with the 400 interval
 * event and 500 B2B records that belong to it), then one 900 end record. nem12-render.ts writes this shape as text,
 * nem12-parse.ts reads text back into it and checks the specification's rules on the way.
 */

/** IntervalLength values NEM12 allows, minutes (the specification has no 60-minute interval). */
export const NEM12_INTERVALS = [5, 15, 30] as const;
export type Nem12Interval = (typeof NEM12_INTERVALS)[number];
export const isNem12Interval = (v: unknown): v is Nem12Interval => NEM12_INTERVALS.includes(v as Nem12Interval);

/** Values in a 300 record: one per interval of the day (1440 / IntervalLength). */
export const intervalsPerDay = (intervalLength: Nem12Interval): number => 1440 / intervalLength;

/**
 * Quality flags (MDFF Appendix C): A actual, E forward estimated, F final substituted, N null (no data), S substituted,
 * V variable (the day's intervals differ: their qualities are in 400 records).
 */
export const QUALITY_FLAGS = ['A', 'E', 'F', 'N', 'S', 'V'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

/**
 * Method flags (MDFF Appendix D) for interval meters (installation types 1-4) and the estimation methods of types 5-7:
 * E, F and S need one (QualityMethod is then three characters, e.g. "S15"); A, N and V take none.
 */
export const METHOD_FLAGS: ReadonlySet<number> = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 72, 73, 74, 75,
]);

/** Reason codes (MDFF Appendix E) are 0 to 99; 0 is free text and needs a ReasonDescription. */
export const MAX_REASON_CODE = 99;

/**
 * With quality flag A these reason codes need 400 records even when the whole day has one quality: the specification
 * names 79 (power outage alarm), 89 (time reset occurred) and 61.
 */
export const A_REASONS_NEEDING_EVENTS: ReadonlySet<number> = new Set([61, 79, 89]);

export interface Nem12Header {
  /** File creation, CCYYMMDDhhmm. */
  readonly dateTime: string;
  /** Participant ID of the MDP that made the file (up to 10 characters). */
  readonly fromParticipant: string;
  /** Participant ID of the intended recipient (up to 10 characters). */
  readonly toParticipant: string;
}

/** A 400 record: one quality for the inclusive interval range [start, end] (1-based) of its 300 record's day. */
export interface Nem12IntervalEvent {
  readonly startInterval: number;
  readonly endInterval: number;
  readonly qualityMethod: string;
  readonly reasonCode?: number | undefined;
  readonly reasonDescription?: string | undefined;
}

/** A 500 record: why the recipient gets the data (TransCode) and the manual read behind it. */
export interface Nem12B2bDetails {
  readonly transCode: string;
  readonly retServiceOrder?: string | undefined;
  /** CCYYMMDDhhmmss. */
  readonly readDateTime?: string | undefined;
  readonly indexRead?: string | undefined;
}

/** A 300 record with its 400 and 500 records. */
export interface Nem12Day {
  /** IntervalDate, CCYYMMDD. */
  readonly intervalDate: string;
  /** One value per interval (non-negative); interval 1 ends IntervalLength minutes after the day's start. */
  readonly values: Float64Array;
  readonly qualityMethod: string;
  readonly reasonCode?: number | undefined;
  readonly reasonDescription?: string | undefined;
  /** CCYYMMDDhhmmss: when the MDP last changed the day's values or qualities. */
  readonly updateDateTime: string;
  readonly msatsLoadDateTime?: string | undefined;
  /** 400 records (required when qualityMethod is V, or A with a reason code of A_REASONS_NEEDING_EVENTS). */
  readonly events: readonly Nem12IntervalEvent[];
  readonly b2b: readonly Nem12B2bDetails[];
}

/** A 200 record (one datastream of a NMI) and its days. */
export interface Nem12DataStream {
  /** National Metering Identifier without check digit: 10 characters. */
  readonly nmi: string;
  /** Every NMI suffix of the connection point, e.g. "E1B1". */
  readonly nmiConfiguration: string;
  readonly registerId: string;
  /** This datastream's suffix: E1 general consumption (energy from the market), B1 generation into it (PV export). */
  readonly nmiSuffix: string;
  readonly mdmDataStreamIdentifier: string;
  readonly meterSerialNumber: string;
  readonly uom: string;
  readonly intervalLength: Nem12Interval;
  readonly nextScheduledReadDate?: string | undefined;
  readonly days: readonly Nem12Day[];
}

export interface Nem12File {
  readonly header: Nem12Header;
  readonly dataStreams: readonly Nem12DataStream[];
}
