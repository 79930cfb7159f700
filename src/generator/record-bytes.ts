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
const HEADER_REST = utf8(`","source_system":"AMI_HEAD_END","message_type":"METER_READING","schema_version":${str(NESTED_SCHEMA_VERSION)}`);
const EMITTED_OPEN = utf8(`,"emitted_at":"`);
const QUOTE = utf8(`"`);
const VOLTAGE = utf8(`,"voltage":`);
const POWER_FACTOR = utf8(`,"power_factor":`);
const TEMPERATURE = utf8(`,"temperature_c":`);
/** By outage (0, 1) then data quality: from the reading's end to the event type's value. */
const QUALITY = [false, true].map((outage) => DATA_QUALITIES.map((q) => utf8(`},"quality":{"is_outage":${outage},"data_quality":${str(q)},"event_type":`)));
const EVENT = ['null', ...EVENT_TYPES.map((e) => str(e))].map(utf8);
const longest = (buffers: readonly Uint8Array[]): number => Math.max(...buffers.map((b) => b.length));

/** `bytes` into `out` at `at`; the offset after them. */
function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

/**
 * One reading as a line of NDJSON bytes: the nested head-end message, byte for byte `JSON.stringify(recordOf(...))`
 * and a newline (a test holds the two equal over generated batches and hostile values), written straight into
 * ByteChunks. What RecordJson builds as one string per row, most of it the same for every row of a meter, this copies
 * as bytes kept per meter (the message id's prefix; the meter group) and per time stamp (a run of rows shares it);
 * the rest is constant bytes between the numbers and the emission time, which are written digit by digit. For the stage sink,
 * whose lines are 750 bytes: building and encoding them as strings was most of its time.
 */
export class RecordBytes {
  private readonly json: RecordJson;
  /** Per meter: `{"header":{"message_id":"<id>:` (the id JSON-escaped, without its closing quote). */
  private readonly heads: (Buffer | undefined)[];
  /** Per meter: `},"meter":{...},"reading":{"reading_ts":"`. */
  private readonly mids: (Buffer | undefined)[];
  private readonly tails: readonly Buffer[];
  /** The most bytes of a line besides its meter's head and middle and its time stamps' text. */
  private readonly rest: number;
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
    this.mids = new Array<Buffer | undefined>(fleet.meterIds.length);
    this.tails = EMISSION_PATTERNS.map((p) => utf8(`},"metadata":{"emission_pattern":${str(p)},"generator":"flux-data-forge"}}\n`));
    this.rest =
      5 * MAX_JSON_NUMBER_BYTES + HEADER_REST.length + EMITTED_OPEN.length + MAX_ISO_INSTANT_BYTES + QUOTE.length + VOLTAGE.length +
      POWER_FACTOR.length + TEMPERATURE.length + longest(QUALITY.flat()) + longest(EVENT) + longest(this.tails);
  }

  /** Appends the line of `row` (with its newline) to `out`. */
  append(batch: ReadingBatch, row: number, out: ByteChunks): void {
    const m = batch.meterIndex[row]!;
    const tsUtc = batch.tsUtcMs[row]!;
    const head = (this.heads[m] ??= utf8(`{"header":{"message_id":${str(this.fleet.meterIds[m]!).slice(0, -1)}:`));
    const mid = (this.mids[m] ??= utf8(`},"meter":${this.json.nestedMeter(m)},"reading":{"reading_ts":"`));
    const time = this.time(batch.tsLocalMs[row]!, tsUtc, batch.intervalMinutes);
    out.reserve(head.length + mid.length + time.length + this.rest);
    const b = out.buffer;
    const start = out.offset;
    let at = put(b, start, head);
    // The id's seconds are text in a string: a number's JSON text where it is finite, `String`'s ("NaN") otherwise.
    const seconds = Math.round(tsUtc / 1000);
    at = put(b, Number.isFinite(seconds) ? writeJsonNumber(seconds, b, at) : writeAscii(String(seconds), b, at), HEADER_REST);
    if (batch.emittedUtcMs) at = put(b, this.emitted.write(batch.emittedUtcMs[row]!, b, put(b, at, EMITTED_OPEN)), QUOTE);
    at = put(b, put(b, at, mid), time);
    at = put(b, writeJsonNumber(batch.usageKwh[row]!, b, at), VOLTAGE);
    at = put(b, writeJsonNumber(batch.voltage[row]!, b, at), POWER_FACTOR);
    at = put(b, writeJsonNumber(batch.powerFactor[row]!, b, at), TEMPERATURE);
    at = put(b, writeJsonNumber(batch.temperatureC[row]!, b, at), QUALITY[batch.isOutage[row] === 1 ? 1 : 0]![batch.dataQuality[row]!]!);
    at = put(b, put(b, at, EVENT[batch.eventType[row]!]!), this.tails[batch.emissionPattern[row]!]!);
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
