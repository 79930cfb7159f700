import type { Fleet } from '../fleet/fleet.js';
import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES } from '../scenario/enums.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import type { ByteChunks } from '../util/byte-chunks.js';
import { IsoInstants, MAX_ISO_INSTANT_BYTES } from '../util/iso-instant.js';
import { MAX_JSON_NUMBER_BYTES, writeJsonNumber } from '../util/json-number.js';
import { writeAscii } from '../util/write-ascii.js';
import { dateTimeText, num, RecordJson, str } from './record-json.js';
import type { ReadingBatch } from './reading-batch.js';
import { NESTED_SCHEMA_VERSION } from './reading-records.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const HEADER_REST = `","source_system":"AMI_HEAD_END","message_type":"METER_READING","schema_version":${str(NESTED_SCHEMA_VERSION)}`;
/** After the message id's seconds, without and with an emission time (whose text follows). */
const HEADER_ENDS = [utf8(HEADER_REST), utf8(`${HEADER_REST},"emitted_at":"`)] as const;
const VOLTAGE = utf8(`,"voltage":`);
const POWER_FACTOR = utf8(`,"power_factor":`);
const TEMPERATURE = utf8(`,"temperature_c":`);
const EVENTS = ['null', ...EVENT_TYPES.map((e) => str(e))];
/** The text after the temperature, from the quality group to the line's end. */
const closing = (outage: boolean, quality: string, event: string, pattern: string): string =>
  `},"quality":{"is_outage":${outage},"data_quality":${str(quality)},"event_type":${event}},"metadata":{"emission_pattern":${str(pattern)},"generator":"flux-data-forge"}}\n`;
/** The longest closing text (every combination is at most this). */
const MAX_CLOSING = closing(false, longestOf(DATA_QUALITIES), longestOf(EVENTS), longestOf(EMISSION_PATTERNS)).length;

function longestOf(texts: readonly string[]): string {
  return texts.reduce((a, b) => (str(b).length > str(a).length ? b : a));
}

/** The most bytes of a line besides its meter's head and middle and its time stamps' text. */
const RESERVE =
  5 * MAX_JSON_NUMBER_BYTES + HEADER_ENDS[1].length + MAX_ISO_INSTANT_BYTES + VOLTAGE.length + POWER_FACTOR.length + TEMPERATURE.length + MAX_CLOSING;

/** `bytes` into `out` at `at`; the offset after them. */
function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

/**
 * One reading as a line of NDJSON bytes: the nested head-end message, byte for byte `JSON.stringify(recordOf(...))`
 * and a newline (a test holds the two equal over generated batches and hostile values), written straight into
 * ByteChunks. What RecordJson builds as one string per row, most of it the same for every row of a meter, this copies
 * as bytes kept per meter (the message id's prefix; the meter group), per time stamp (a run of rows shares it) and per
 * combination of quality, event and pattern (the line's closing text); the numbers and the emission time between
 * them are written digit by digit, so no string is made per line. For the stage sink, whose lines are 750 bytes:
 * building and encoding them as strings was most of its time.
 */
export class RecordBytes {
  private readonly json: RecordJson;
  /** Per meter: `{"header":{"message_id":"<id>:` (the id JSON-escaped, without its closing quote). */
  private readonly heads: (Buffer | undefined)[];
  /**
   * Per meter, without and with an emission time before it: `},"meter":{...},"reading":{"reading_ts":"`, with the
   * emission time's closing quote first in the second.
   */
  private readonly mids: [(Buffer | undefined)[], (Buffer | undefined)[]];
  /** By (outage, data quality, event type, emission pattern), made when first met: the text after the temperature. */
  private readonly closings: (Buffer | undefined)[] = [];
  private localMs = Number.NaN;
  private utcMs = Number.NaN;
  private interval = Number.NaN;
  private timeBytes: Buffer = Buffer.alloc(0);
  private readonly emitted = new IsoInstants();

  constructor(
    private readonly fleet: Fleet,
    area: ServiceAreaName,
  ) {
    this.json = new RecordJson(fleet, area, 'nested');
    this.heads = new Array<Buffer | undefined>(fleet.meterIds.length);
    this.mids = [new Array<Buffer | undefined>(fleet.meterIds.length), new Array<Buffer | undefined>(fleet.meterIds.length)];
  }

  /** Appends the line of `row` (with its newline) to `out`. */
  append(batch: ReadingBatch, row: number, out: ByteChunks): void {
    const m = batch.meterIndex[row]!;
    const tsUtc = batch.tsUtcMs[row]!;
    const emitted = batch.emittedUtcMs ? 1 : 0;
    const head = (this.heads[m] ??= utf8(`{"header":{"message_id":${str(this.fleet.meterIds[m]!).slice(0, -1)}:`));
    const mid = (this.mids[emitted][m] ??= utf8(`${emitted ? '"' : ''}},"meter":${this.json.nestedMeter(m)},"reading":{"reading_ts":"`));
    const time = this.time(batch.tsLocalMs[row]!, tsUtc, batch.intervalMinutes);
    const outage = batch.isOutage[row] === 1;
    const key = ((batch.dataQuality[row]! * EVENTS.length + batch.eventType[row]!) * EMISSION_PATTERNS.length + batch.emissionPattern[row]!) * 2 + (outage ? 1 : 0);
    const end = (this.closings[key] ??= utf8(
      closing(outage, DATA_QUALITIES[batch.dataQuality[row]!]!, EVENTS[batch.eventType[row]!]!, EMISSION_PATTERNS[batch.emissionPattern[row]!]!),
    ));
    out.reserve(head.length + mid.length + time.length + RESERVE);
    const b = out.buffer;
    const start = out.offset;
    let at = put(b, start, head);
    // The id's seconds are text in a string: a number's JSON text where it is finite, `String`'s ("NaN") otherwise.
    const seconds = Math.round(tsUtc / 1000);
    at = put(b, Number.isFinite(seconds) ? writeJsonNumber(seconds, b, at) : writeAscii(String(seconds), b, at), HEADER_ENDS[emitted]);
    if (emitted) at = this.emitted.write(batch.emittedUtcMs![row]!, b, at);
    at = put(b, put(b, at, mid), time);
    at = put(b, writeJsonNumber(batch.usageKwh[row]!, b, at), VOLTAGE);
    at = put(b, writeJsonNumber(batch.voltage[row]!, b, at), POWER_FACTOR);
    at = put(b, writeJsonNumber(batch.powerFactor[row]!, b, at), TEMPERATURE);
    at = put(b, writeJsonNumber(batch.temperatureC[row]!, b, at), end);
    out.advance(at - start);
  }

  /**
   * `<local>","reading_ts_utc":"<utc>","interval_minutes":<n>,"usage_kwh":`, kept while the time stamps are the same
   * (rows come in runs of one time stamp: most calls are a comparison).
   */
  private time(localMs: number, utcMs: number, interval: number): Buffer {
    if (localMs !== this.localMs || utcMs !== this.utcMs || interval !== this.interval) {
      this.localMs = localMs;
      this.utcMs = utcMs;
      this.interval = interval;
      this.timeBytes = utf8(`${dateTimeText(localMs)}","reading_ts_utc":"${dateTimeText(utcMs).replace(' ', 'T')}Z","interval_minutes":${num(interval)},"usage_kwh":`);
    }
    return this.timeBytes;
  }
}
