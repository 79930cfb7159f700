import type { ReadingBatch } from '../../generator/reading-batch.js';
import { FLAT_COLUMNS } from '../../generator/reading-records.js';
import { DATA_QUALITIES, EVENT_TYPES } from '../../scenario/enums.js';
import { DAY_MS } from '../../util/time-zone.js';
import { civilFromDays } from '../../util/civil-date.js';
import type { CsvMeterText } from './csv-meter-text.js';
import { writeDoubleText, writeUint } from './double-text.js';

/** The flat columns in the order this encoder writes them; checked against FLAT_COLUMNS when it is built. */
const LAYOUT = [
  'meter_id', 'reading_ts', 'reading_ts_utc', 'interval_minutes', 'usage_kwh', 'voltage', 'power_factor', 'temperature_c',
  'transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude',
  'is_outage', 'data_quality', 'event_type', 'emission_pattern',
] as const;
/** Longest text of one double (`-2.2250738585072014e-308`). */
const DOUBLE_BYTES = 25;
/** Room for both timestamps (up to 21 bytes each, five-digit years), the interval and their commas. */
const TIME_STRIDE = 64;
const TIME_SLOTS = 4096;
/** Enum names and constants are written unquoted: DuckDB's CSV writer quotes none of these. */
const PLAIN = /^[A-Z0-9_]+$/;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * Flat readings as CSV lines, byte for byte what `COPY (readingsSelect(flat, text timestamps)) TO ... (FORMAT csv)`
 * writes for them: meter fields from CsvMeterText (DuckDB's own text), timestamps as strftime '%Y-%m-%d %H:%M:%S'
 * and '%Y-%m-%dT%H:%M:%SZ' (whole seconds), doubles as DuckDB's text (double-text.ts), booleans `true`/`false`, a
 * missing event as an empty field, lines ending in '\n'. Rows stay in batch order.
 *
 * Hot loop on typed arrays into a caller's byte buffer: no string is made per row.
 */
export class CsvRowEncoder {
  /** The header line, as DuckDB writes it (HEADER true). */
  readonly header: Uint8Array = ascii(`${FLAT_COLUMNS.join(',')}\n`);
  /** No row is longer than this many bytes. */
  readonly maxRowBytes: number;
  private readonly meters: CsvMeterText;
  private readonly interval: Uint8Array;
  /**
   * The row's text after longitude for each (is_outage, data_quality, event_type): ',false,VALID,,UNIFORM\n' and so
   * on, at index (outage * qualities + quality) * (events + 1) + event.
   */
  private readonly tails: readonly Uint8Array[];
  /**
   * The text from reading_ts to the comma after interval_minutes ('2026-01-01 00:00:00,2026-01-01T06:00:00Z,15,'),
   * cached by (UTC, local) instant in TIME_SLOTS slots chosen by the UTC minute: a batch's meters share a day's
   * intervals, so nearly every row finds its text here.
   */
  private readonly timeUtc = new Float64Array(TIME_SLOTS).fill(Number.NaN);
  private readonly timeLocal = new Float64Array(TIME_SLOTS).fill(Number.NaN);
  private readonly timeText = new Uint8Array(TIME_SLOTS * TIME_STRIDE);
  /** Each slot's text as a view of timeText, made when the slot is filled: copied with one `set` a row. */
  private readonly times: Uint8Array[] = new Array<Uint8Array>(TIME_SLOTS).fill(new Uint8Array(0));
  /** "YYYY-MM-DD" of the last day seen by each timestamp column (0 local, 1 UTC). */
  private readonly dayText = [new Uint8Array(16), new Uint8Array(16)];
  private readonly dayLength = [0, 0];
  private readonly day = [Number.NaN, Number.NaN];
  /** Where the last `encode` stopped writing. */
  end = 0;

  constructor(meters: CsvMeterText, constants: { readonly intervalMinutes: number; readonly emissionPattern: string }) {
    if (FLAT_COLUMNS.join() !== LAYOUT.join()) throw new Error('CsvRowEncoder: FLAT_COLUMNS changed; update LAYOUT and encode');
    if (!Number.isInteger(constants.intervalMinutes) || constants.intervalMinutes < 0) throw new RangeError(`interval ${constants.intervalMinutes} is not whole minutes`);
    const names = [...DATA_QUALITIES, ...EVENT_TYPES, constants.emissionPattern];
    const odd = names.find((n) => !PLAIN.test(n));
    if (odd !== undefined) throw new Error(`CsvRowEncoder: "${odd}" would need CSV quoting`);
    this.meters = meters;
    this.interval = ascii(String(constants.intervalMinutes));
    const events = ['', ...EVENT_TYPES];
    const tails: Uint8Array[] = [];
    for (const outage of [0, 1]) {
      for (const [quality, qualityName] of DATA_QUALITIES.entries()) {
        for (const [event, eventName] of events.entries()) {
          const i = (outage * DATA_QUALITIES.length + quality) * events.length + event;
          tails[i] = ascii(`,${outage ? 'true' : 'false'},${qualityName},${eventName},${constants.emissionPattern}\n`);
        }
      }
    }
    this.tails = tails;
    this.maxRowBytes = meters.maxBytes + TIME_STRIDE + 4 * (DOUBLE_BYTES + 1) + Math.max(...tails.map((t) => t.length)) + 1;
  }

  /**
   * Writes rows from `start` on into `out` from `pos`, as many as surely fit, and returns the next row to write
   * (`batch.length` when done); `end` is then the position after the last byte written.
   */
  encode(batch: ReadingBatch, start: number, out: Uint8Array, pos: number): number {
    const { bytes, idStart, idEnd, restEnd } = this.meters;
    const { tails, timeUtc, timeLocal, times } = this;
    const qualities = DATA_QUALITIES.length;
    const events = EVENT_TYPES.length + 1;
    const { usageKwh: usage, voltage, powerFactor: pf, temperatureC: temperature, tsUtcMs, tsLocalMs, isOutage, dataQuality, eventType } = batch;
    const limit = out.length - this.maxRowBytes;
    let row = start;
    // Rows come in runs of one meter: its two texts are views made once a run, copied with one memcpy each.
    let meter = -1;
    let id = bytes;
    let rest = bytes;
    for (; row < batch.length && pos <= limit; row++) {
      const m = batch.meterIndex[row]!;
      if (m !== meter) {
        meter = m;
        id = bytes.subarray(idStart[m]!, idEnd[m]!);
        // From the comma before transformer_id to the end of longitude.
        rest = bytes.subarray(idEnd[m]!, restEnd[m]!);
      }
      out.set(id, pos);
      pos += id.length;
      out[pos++] = 44;
      const utc = tsUtcMs[row]!;
      const local = tsLocalMs[row]!;
      const slot = (utc / 60000) & (TIME_SLOTS - 1);
      if (timeUtc[slot] !== utc || timeLocal[slot] !== local) this.setTime(slot, utc, local);
      const time = times[slot]!;
      out.set(time, pos);
      pos += time.length;
      pos = double(out, pos, usage, row);
      out[pos++] = 44;
      pos = double(out, pos, voltage, row);
      out[pos++] = 44;
      pos = double(out, pos, pf, row);
      out[pos++] = 44;
      pos = double(out, pos, temperature, row);
      out.set(rest, pos);
      pos += rest.length;
      const quality = dataQuality[row]!;
      const event = eventType[row]!;
      if (quality >= qualities || event >= events) throw new RangeError(`CsvRowEncoder: row ${row} has data quality code ${quality} and event code ${event}`);
      const tail = tails[((isOutage[row] ? qualities : 0) + quality) * events + event]!;
      out.set(tail, pos);
      pos += tail.length;
    }
    this.end = pos;
    return row;
  }

  /** Fills a slot of the time cache: both timestamps' text and the interval, each followed by a comma. */
  private setTime(slot: number, utc: number, local: number): void {
    const text = this.timeText;
    let pos = slot * TIME_STRIDE;
    const from = pos;
    pos = this.timestamp(text, pos, local, 0);
    text[pos++] = 44;
    pos = this.timestamp(text, pos, utc, 1);
    text[pos++] = 44;
    text.set(this.interval, pos);
    pos += this.interval.length;
    text[pos++] = 44;
    this.times[slot] = text.subarray(from, pos);
    this.timeUtc[slot] = utc;
    this.timeLocal[slot] = local;
  }

  /** `ms` as 'YYYY-MM-DD HH:MM:SS' (column 0, local) or 'YYYY-MM-DDTHH:MM:SSZ' (column 1, UTC). */
  private timestamp(out: Uint8Array, pos: number, ms: number, column: 0 | 1): number {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day[column]) this.setDay(column, day);
    const text = this.dayText[column]!;
    for (let i = 0, n = this.dayLength[column]!; i < n; i++) out[pos++] = text[i]!;
    out[pos++] = column === 0 ? 32 : 84;
    const seconds = Math.floor((ms - day * DAY_MS) / 1000);
    const hour = Math.floor(seconds / 3600);
    const minute = Math.floor((seconds - hour * 3600) / 60);
    pos = two(out, pos, hour);
    out[pos++] = 58;
    pos = two(out, pos, minute);
    out[pos++] = 58;
    pos = two(out, pos, seconds - hour * 3600 - minute * 60);
    if (column === 1) out[pos++] = 90;
    return pos;
  }

  /** The civil date of a day since the epoch, as text. */
  private setDay(column: 0 | 1, day: number): void {
    const { year, month, day: d } = civilFromDays(day);
    if (year < 0) throw new RangeError(`CsvRowEncoder: year ${year} is before year 0`);
    const text = this.dayText[column]!;
    let pos = 0;
    for (let p = 1000; p > 1 && year < p; p /= 10) text[pos++] = 48;
    pos = writeUint(text, pos, year);
    text[pos++] = 45;
    pos = two(text, pos, month);
    text[pos++] = 45;
    pos = two(text, pos, d);
    this.dayLength[column] = pos;
    this.day[column] = day;
  }
}

function two(out: Uint8Array, pos: number, n: number): number {
  const tens = Math.floor(n / 10);
  out[pos] = 48 + tens;
  out[pos + 1] = 48 + n - tens * 10;
  return pos + 2;
}

/** A double column's value; a NaN's sign is read from the column's bits (DuckDB writes `-nan` for it). */
function double(out: Uint8Array, pos: number, column: Float64Array, row: number): number {
  const v = column[row]!;
  if (v === v) return writeDoubleText(out, pos, v);
  const high = new Uint8Array(column.buffer, column.byteOffset + row * 8 + 7, 1)[0]!;
  return writeDoubleText(out, pos, v, (high & 0x80) !== 0);
}
