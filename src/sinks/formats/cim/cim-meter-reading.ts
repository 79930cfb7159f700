import { serviceAreaOf } from '../../../scenario/scenario.js';
import { MINUTE_MS } from '../../../util/time-zone.js';
import type { FormatGroup } from '../exchange-format.js';
import { kwhText, localInstantText, voltText, wattHours } from '../format-values.js';
import { EVENT_CODES, eventName, QUALITY_CODES, qualityName, readingType, type CimChannel, type CimReadingType } from './cim-codes.js';

/** A ReadingQuality: its ReadingQualityType reference, and a comment (the event's name) for an event. */
export interface CimQuality {
  readonly ref: string;
  readonly comment?: string;
}

export interface CimIntervalReading {
  /** The interval's END, ISO 8601 local time with offset (the CIM convention for interval data). */
  readonly timeStamp: string;
  /** The value as text (kWh to 0.001, V to 0.1): written verbatim in JSON and XML. */
  readonly value: string;
  readonly qualities: readonly CimQuality[];
}

export interface CimIntervalBlock {
  readonly channel: CimChannel;
  readonly readingType: string;
  readonly readings: readonly CimIntervalReading[];
}

/** One meter's MeterReading: its Meter's mRID (the meter id), the span of its values and its IntervalBlocks. */
export interface CimMeterReading {
  readonly meterId: string;
  readonly start: string;
  readonly end: string;
  readonly blocks: readonly CimIntervalBlock[];
}

/** The reading types a group's files refer to, in the order they are defined in the document. */
export function groupReadingTypes(intervalMinutes: number): CimReadingType[] {
  return (['delivered', 'received', 'voltage'] as const).map((c) => readingType(c, intervalMinutes));
}

/**
 * The MeterReading of each meter of a group, made one meter at a time:
 * - IntervalBlock delivered (every interval: usage_kwh when positive, else 0), received for a meter with rooftop PV
 *   or any negative reading (-usage_kwh when negative, else 0), so usage_kwh = delivered - received; voltage (every
 *   interval, 0 in an outage);
 * - the delivered reading carries the reading's qualities (cim-codes.ts): data_quality other than VALID, and the
 *   event with its name as comment; the other channels' readings carry none.
 */
export function* meterReadings(group: FormatGroup): Generator<CimMeterReading> {
  const { fleet, readings: r } = group;
  const timeZone = serviceAreaOf(group.scenario).timeZone;
  const intervalMs = r.intervalMinutes * MINUTE_MS;
  const cache = new Map<number, string>();
  const types = groupReadingTypes(r.intervalMinutes);
  for (let k = 0; k < group.meters.length; k++) {
    const meter = group.meters[k]!;
    const from = group.rowStart[k]!;
    const to = group.rowStart[k + 1]!;
    let exports = fleet.traits.pvKw[meter]! > 0;
    for (let i = from; i < to && !exports; i++) if (r.usageKwh[i]! < 0) exports = true;
    const delivered: CimIntervalReading[] = [];
    const received: CimIntervalReading[] = [];
    const voltage: CimIntervalReading[] = [];
    for (let i = from; i < to; i++) {
      const timeStamp = localInstantText(timeZone, r.tsUtcMs[i]! + intervalMs, cache);
      const wh = wattHours(r.usageKwh[i]!);
      const qualities: CimQuality[] = [];
      const dq = qualityName(r.dataQuality[i]!);
      if (dq !== 'VALID') qualities.push({ ref: QUALITY_CODES[dq] });
      const event = eventName(r.eventType[i]!);
      if (event) qualities.push({ ref: EVENT_CODES[event], comment: event });
      delivered.push({ timeStamp, value: kwhText(Math.max(wh, 0)), qualities });
      if (exports) received.push({ timeStamp, value: kwhText(Math.max(-wh, 0)), qualities: [] });
      voltage.push({ timeStamp, value: voltText(r.voltage[i]!), qualities: [] });
    }
    const blocks: CimIntervalBlock[] = [{ channel: 'delivered', readingType: types[0]!.mRID, readings: delivered }];
    if (exports) blocks.push({ channel: 'received', readingType: types[1]!.mRID, readings: received });
    blocks.push({ channel: 'voltage', readingType: types[2]!.mRID, readings: voltage });
    yield {
      meterId: fleet.meterIds[meter]!,
      start: localInstantText(timeZone, r.tsUtcMs[from]!, cache),
      end: localInstantText(timeZone, r.tsUtcMs[to - 1]! + intervalMs, cache),
      blocks,
    };
  }
}
