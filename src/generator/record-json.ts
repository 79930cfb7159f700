import type { Fleet } from '../fleet/fleet.js';
import { DATA_QUALITIES, EMISSION_PATTERNS, EVENT_TYPES, SEGMENTS } from '../scenario/enums.js';
import type { ServiceAreaName } from '../scenario/service-areas.js';
import { civilFromDays } from '../util/civil-date.js';
import { IsoInstants } from '../util/iso-instant.js';
import { jsonNumber } from '../util/json-number.js';
import type { ReadingBatch } from './reading-batch.js';
import { NESTED_SCHEMA_VERSION, type Shape } from './reading-records.js';

/** A value as JSON.stringify writes it inside an object: finite numbers as the shortest round trip, the rest as null. */
export const num = jsonNumber;
export const str = (s: string): string => JSON.stringify(s);
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * "YYYY-MM-DD HH:MM:SS" of a millisecond value read as UTC fields, like isoDateTime (time-zone.ts) for the years
 * 0000-9999, without a Date.
 */
export function dateTimeText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let secs = Math.floor((ms - days * 86_400_000) / 1000);
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(secs / 3600);
  secs -= hour * 3600;
  const minute = Math.floor(secs / 60);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:${pad2(minute)}:${pad2(secs - minute * 60)}`;
}

/** The last value and its text: rows of a batch share their timestamps in runs, so most calls are a comparison. */
class TextCache {
  private last = Number.NaN;
  private text = '';
  constructor(private readonly format: (ms: number) => string) {}
  of(ms: number): string {
    if (ms !== this.last) {
      this.last = ms;
      this.text = this.format(ms);
    }
    return this.text;
  }
}

/**
 * One reading as the JSON text of its record (reading-records.ts), byte for byte what `JSON.stringify(recordOf(...))`
 * writes (a test holds the two equal over generated batches), made several times faster for the sinks that send a
 * message or a line per reading (NATS, MQTT, stdout): each meter's fields are encoded once and kept, timestamps are
 * formatted without a Date, and no object is built per row. Holds text per meter of the fleet (about 300 bytes each).
 */
export class RecordJson {
  private readonly meterText: (string | undefined)[];
  private readonly meterIdText: (string | undefined)[];
  private readonly local = new TextCache(dateTimeText);
  private readonly utc = new TextCache((ms) => `${dateTimeText(ms).replace(' ', 'T')}Z`);
  private readonly emitted = new IsoInstants();
  private readonly tail: readonly string[];

  constructor(
    private readonly fleet: Fleet,
    private readonly area: ServiceAreaName,
    private readonly shape: Shape,
  ) {
    this.meterText = new Array<string | undefined>(fleet.meterIds.length);
    this.meterIdText = new Array<string | undefined>(fleet.meterIds.length);
    // The closing fields by emission pattern: `..."emission_pattern":"X"}` (flat) or the metadata object (nested).
    this.tail = EMISSION_PATTERNS.map((p) => (shape === 'flat' ? `,"emission_pattern":${str(p)}}` : `},"metadata":{"emission_pattern":${str(p)},"generator":"flux-data-forge"}}`));
  }

  /** The record of `row` as JSON (no newline). */
  of(batch: ReadingBatch, row: number): string {
    const m = batch.meterIndex[row]!;
    const tsUtc = batch.tsUtcMs[row]!;
    const event = batch.eventType[row]!;
    const local = this.local.of(batch.tsLocalMs[row]!);
    const utc = this.utc.of(tsUtc);
    const eventText = event === 0 ? 'null' : str(EVENT_TYPES[event - 1]!);
    const quality = `"is_outage":${batch.isOutage[row] === 1},"data_quality":${str(DATA_QUALITIES[batch.dataQuality[row]!]!)},"event_type":${eventText}`;
    const measures =
      `"interval_minutes":${num(batch.intervalMinutes)},"usage_kwh":${num(batch.usageKwh[row]!)},"voltage":${num(batch.voltage[row]!)},` +
      `"power_factor":${num(batch.powerFactor[row]!)},"temperature_c":${num(batch.temperatureC[row]!)}`;
    const tail = this.tail[batch.emissionPattern[row]!]!;
    if (this.shape === 'flat') {
      const [id, topology] = this.flatMeter(m);
      return `{"meter_id":${id},"reading_ts":"${local}","reading_ts_utc":"${utc}",${measures},${topology},${quality}${tail}`;
    }
    const messageId = str(`${this.fleet.meterIds[m]!}:${Math.round(tsUtc / 1000)}`);
    const emitted = batch.emittedUtcMs ? `,"emitted_at":"${this.emitted.of(batch.emittedUtcMs[row]!)}"` : '';
    return (
      `{"header":{"message_id":${messageId},"source_system":"AMI_HEAD_END","message_type":"METER_READING","schema_version":${str(NESTED_SCHEMA_VERSION)}${emitted}},` +
      `"meter":${this.nestedMeter(m)},"reading":{"reading_ts":"${local}","reading_ts_utc":"${utc}",${measures}},"quality":{${quality}${tail}`
    );
  }

  /** The meter's id, and its topology, area, segment and location fields, as flat JSON members. */
  private flatMeter(m: number): [string, string] {
    let id = this.meterIdText[m];
    if (id === undefined) {
      id = str(this.fleet.meterIds[m]!);
      this.meterIdText[m] = id;
      this.meterText[m] = this.topology(m);
    }
    return [id, this.meterText[m]!];
  }

  /** The meter group of the nested message, as JSON (kept per meter). */
  nestedMeter(m: number): string {
    let text = this.meterText[m];
    if (text === undefined) {
      const f = this.fleet;
      text =
        `{"meter_id":${str(f.meterIds[m]!)},"transformer_id":${str(f.transformerIds[f.transformer[m]!]!)},"circuit_id":${str(f.feederIds[f.feeder[m]!]!)},` +
        `"substation_id":${str(f.substationIds[f.substation[m]!]!)},"service_area":${str(this.area)},"customer_segment":${str(SEGMENTS[f.segment[m]!]!)},` +
        `"latitude":${num(f.latitude[m]!)},"longitude":${num(f.longitude[m]!)}}`;
      this.meterText[m] = text;
    }
    return text;
  }

  private topology(m: number): string {
    const f = this.fleet;
    return (
      `"transformer_id":${str(f.transformerIds[f.transformer[m]!]!)},"circuit_id":${str(f.feederIds[f.feeder[m]!]!)},"substation_id":${str(f.substationIds[f.substation[m]!]!)},` +
      `"service_area":${str(this.area)},"customer_segment":${str(SEGMENTS[f.segment[m]!]!)},"latitude":${num(f.latitude[m]!)},"longitude":${num(f.longitude[m]!)}`
    );
  }
}
