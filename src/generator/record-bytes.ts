import type { Fleet } from '../fleet/fleet.js';
import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES } from '../scenario/enums.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import type { ByteChunks } from '../util/byte-chunks.js';
import { IsoInstants } from '../util/iso-instant.js';
import { dateTimeText, num, RecordJson, str } from './record-json.js';
import type { ReadingBatch } from './reading-batch.js';
import { NESTED_SCHEMA_VERSION } from './reading-records.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const HEADER_REST = `","source_system":"AMI_HEAD_END","message_type":"METER_READING","schema_version":${str(NESTED_SCHEMA_VERSION)}`;
const QUALITY_TEXT = DATA_QUALITIES.map((q) => `,"data_quality":${str(q)},"event_type":`);
const EVENT_TEXT = ['null', ...EVENT_TYPES.map((e) => str(e))];

/**
 * One reading as a line of NDJSON bytes: the nested head-end message, byte for byte `JSON.stringify(recordOf(...))`
 * and a newline (a test holds the two equal over generated batches and hostile values), written straight into
 * ByteChunks. What RecordJson builds as one string per row, most of it the same for every row of a meter, this copies
 * as bytes kept per meter (the message id's prefix; the meter group) and per time stamp (a run of rows shares it);
 * only the numbers, the quality and the emission time are formatted per row, as short ASCII text. For the stage sink,
 * whose lines are 750 bytes: building and encoding them as strings was most of its time.
 */
export class RecordBytes {
  private readonly json: RecordJson;
  /** Per meter: `{"header":{"message_id":"<id>:` (the id JSON-escaped, without its closing quote). */
  private readonly heads: (Buffer | undefined)[];
  /** Per meter: `},"meter":{...},"reading":{"reading_ts":"`. */
  private readonly mids: (Buffer | undefined)[];
  private readonly tails: readonly string[];
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
    this.tails = EMISSION_PATTERNS.map((p) => `},"metadata":{"emission_pattern":${str(p)},"generator":"flux-data-forge"}}\n`);
  }

  /** Appends the line of `row` (with its newline) to `out`. */
  append(batch: ReadingBatch, row: number, out: ByteChunks): void {
    const m = batch.meterIndex[row]!;
    const tsUtc = batch.tsUtcMs[row]!;
    const head = (this.heads[m] ??= utf8(`{"header":{"message_id":${str(this.fleet.meterIds[m]!).slice(0, -1)}:`));
    const mid = (this.mids[m] ??= utf8(`},"meter":${this.json.nestedMeter(m)},"reading":{"reading_ts":"`));
    const time = this.time(batch.tsLocalMs[row]!, tsUtc, batch.intervalMinutes);
    const id = `${Math.round(tsUtc / 1000)}${HEADER_REST}${batch.emittedUtcMs ? `,"emitted_at":"${this.emitted.of(batch.emittedUtcMs[row]!)}"` : ''}`;
    const values =
      `${num(batch.usageKwh[row]!)},"voltage":${num(batch.voltage[row]!)},"power_factor":${num(batch.powerFactor[row]!)},` +
      `"temperature_c":${num(batch.temperatureC[row]!)}},"quality":{"is_outage":${batch.isOutage[row] === 1}` +
      `${QUALITY_TEXT[batch.dataQuality[row]!]!}${EVENT_TEXT[batch.eventType[row]!]!}${this.tails[batch.emissionPattern[row]!]!}`;
    out.reserve(head.length + id.length + mid.length + time.length + values.length);
    out.putBytes(head);
    out.putAscii(id);
    out.putBytes(mid);
    out.putBytes(time);
    out.putAscii(values);
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
