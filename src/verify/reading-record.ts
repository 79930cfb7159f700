import { DATA_QUALITIES, EVENT_TYPES } from '../scenario/enums.js';

/**
 * The canonical form in which verify compares a reading, whatever store it comes from: the key's instant and every
 * value the engine determines, as fixed-size binary records. Two readings are the same exactly when their records are
 * equal byte for byte: doubles by their bits (so -0 differs from 0, and a value off by one ulp differs), enums by
 * their code in scenario/enums.ts (the text names a store holds are mapped to those codes; a name the enums do not
 * know gets a code no generated reading has).
 *
 * Compared: reading_ts_utc (ms), usage_kwh, voltage, power_factor, temperature_c, is_outage, data_quality, event_type.
 * Not compared: the meter's static attributes (ids, topology, location), which live once per meter in the fleet, and
 * the job's constants (interval_minutes, emission_pattern).
 *
 * Layout, 48 bytes: 5 doubles (time in ms, usage, voltage, power factor, temperature) in the platform's byte order
 * (records are only compared within one process), then one byte each for a null mask, is_outage, data_quality and
 * event_type, then 4 zero bytes. A null field is stored as 0 with its bit set in the mask.
 */
export const RECORD_BYTES = 48;
export const RECORD_DOUBLES = RECORD_BYTES / 8;
const FLAGS_OFFSET = 40;

/** Null mask bits. */
export const NULL_USAGE = 1;
export const NULL_VOLTAGE = 2;
export const NULL_POWER_FACTOR = 4;
export const NULL_TEMPERATURE = 8;
export const NULL_OUTAGE = 16;
export const NULL_QUALITY = 32;
/** Every null bit. */
export const NULL_MASK = 63;
/**
 * Not a null bit: in a store's projection (reading-store.ts), "event_type is kept"; without it, event_type is not
 * compared (0 on both sides).
 */
export const KEEPS_EVENT = 128;

/** event_type code for a name the enums do not know (0 is NULL, i + 1 is EVENT_TYPES[i]). */
export const UNKNOWN_EVENT = 255;
/** data_quality code for a name the enums do not know (i is DATA_QUALITIES[i]). */
export const UNKNOWN_QUALITY = 255;

const QUALITY_CODES = new Map<string, number>(DATA_QUALITIES.map((q, i) => [q, i]));
const EVENT_CODES = new Map<string, number>(EVENT_TYPES.map((e, i) => [e, i + 1]));

/** data_quality text as its code; null as 0 (the null mask tells it apart). */
export const qualityCode = (text: string | null): number => (text === null ? 0 : (QUALITY_CODES.get(text) ?? UNKNOWN_QUALITY));

/** event_type text as its code: null is 0, as in a ReadingBatch. */
export const eventCodeOf = (text: string | null): number => (text === null ? 0 : (EVENT_CODES.get(text) ?? UNKNOWN_EVENT));

/** One reading's fields, nullable as a store may hold them. */
export interface RecordFields {
  tsMs: number;
  usage: number | null;
  voltage: number | null;
  powerFactor: number | null;
  temperature: number | null;
  outage: boolean | null;
  quality: number | null;
  event: number;
}

/**
 * A growable array of records. Filled by `push`/`pushFields`, read as bytes by `bytes` (for a digest or a
 * comparison); `clear` keeps the memory for the next meter-day.
 */
export class RecordBuffer {
  private doubles: Float64Array;
  private bytesView: Uint8Array;
  private count = 0;

  constructor(capacity = 320) {
    this.doubles = new Float64Array(capacity * RECORD_DOUBLES);
    this.bytesView = new Uint8Array(this.doubles.buffer);
  }

  get length(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
  }

  /** Appends a reading; `nulls` is the null mask of the fields given as 0 for null (the generator's readings have none). */
  push(tsMs: number, usage: number, voltage: number, powerFactor: number, temperature: number, outage: number, quality: number, event: number, nulls = 0): void {
    const at = this.reserve();
    const d = this.doubles;
    const o = at * RECORD_DOUBLES;
    d[o] = tsMs;
    d[o + 1] = usage;
    d[o + 2] = voltage;
    d[o + 3] = powerFactor;
    d[o + 4] = temperature;
    const b = this.bytesView;
    const f = at * RECORD_BYTES + FLAGS_OFFSET;
    b[f] = nulls;
    b[f + 1] = outage;
    b[f + 2] = quality;
    b[f + 3] = event;
    b[f + 4] = b[f + 5] = b[f + 6] = b[f + 7] = 0;
  }

  /** Appends a reading as a store holds it, nulls included. */
  pushFields(r: RecordFields): void {
    const nulls =
      (r.usage === null ? NULL_USAGE : 0) |
      (r.voltage === null ? NULL_VOLTAGE : 0) |
      (r.powerFactor === null ? NULL_POWER_FACTOR : 0) |
      (r.temperature === null ? NULL_TEMPERATURE : 0) |
      (r.outage === null ? NULL_OUTAGE : 0) |
      (r.quality === null ? NULL_QUALITY : 0);
    this.push(r.tsMs, r.usage ?? 0, r.voltage ?? 0, r.powerFactor ?? 0, r.temperature ?? 0, r.outage ? 1 : 0, r.quality ?? 0, r.event, nulls);
  }

  /** Records [start, end) as bytes (a view: valid until the next push or clear). */
  bytes(start = 0, end = this.count): Uint8Array {
    return this.bytesView.subarray(start * RECORD_BYTES, end * RECORD_BYTES);
  }

  /** The time of record i, ms. */
  tsMs(i: number): number {
    return this.doubles[i * RECORD_DOUBLES]!;
  }

  /** Record i as fields (for messages). */
  fields(i: number): RecordFields {
    const d = this.doubles;
    const o = i * RECORD_DOUBLES;
    const f = i * RECORD_BYTES + FLAGS_OFFSET;
    const b = this.bytesView;
    const nulls = b[f]!;
    return {
      tsMs: d[o]!,
      usage: nulls & NULL_USAGE ? null : d[o + 1]!,
      voltage: nulls & NULL_VOLTAGE ? null : d[o + 2]!,
      powerFactor: nulls & NULL_POWER_FACTOR ? null : d[o + 3]!,
      temperature: nulls & NULL_TEMPERATURE ? null : d[o + 4]!,
      outage: nulls & NULL_OUTAGE ? null : b[f + 1] === 1,
      quality: nulls & NULL_QUALITY ? null : b[f + 2]!,
      event: b[f + 3]!,
    };
  }

  /** True when record i of this buffer and record j of `other` are the same reading, byte for byte. */
  equals(i: number, other: RecordBuffer, j: number): boolean {
    const a = this.bytesView;
    const b = other.bytesView;
    const x = i * RECORD_BYTES;
    const y = j * RECORD_BYTES;
    for (let k = 0; k < RECORD_BYTES; k++) if (a[x + k] !== b[y + k]) return false;
    return true;
  }

  private reserve(): number {
    if ((this.count + 1) * RECORD_DOUBLES > this.doubles.length) {
      const grown = new Float64Array(this.doubles.length * 2);
      grown.set(this.doubles);
      this.doubles = grown;
      this.bytesView = new Uint8Array(grown.buffer);
    }
    return this.count++;
  }
}
