import { XMLParser } from 'fast-xml-parser';
import type { DataQuality, EventType } from '../../../scenario/enums.js';
import { ForgeError } from '../../../util/forge-error.js';
import { MINUTE_MS } from '../../../util/time-zone.js';
import type { FormatReading } from '../exchange-format.js';
import { isEventName, MEASURING_PERIODS, qualityOfCode, type CimChannel } from './cim-codes.js';

type Node = Record<string, unknown>;

interface ReadQuality {
  readonly ref: string;
  readonly comment: string | undefined;
}
interface ReadReading {
  readonly timeStamp: string;
  readonly value: string;
  readonly qualities: readonly ReadQuality[];
}
interface ReadBlock {
  readonly readingType: string;
  readonly readings: readonly ReadReading[];
}
interface ReadMeterReading {
  readonly meterId: string;
  readonly blocks: readonly ReadBlock[];
}

const bad = (kind: string, source: string, reason: string): ForgeError => new ForgeError('FORGE_ERR_FORMAT_FILE', [`CIM MeterReadings ${kind}`, source, reason]);

const asArray = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** The MeterReadings of a JSON document (cim-render.ts cimJsonChunks). */
export function cimJsonMeterReadings(json: string, source: string): ReadMeterReading[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw bad('JSON', source, `not JSON: ${(e as Error).message}`);
  }
  const root = (doc as Node | null)?.MeterReadings as Node | undefined;
  if (!root || typeof root !== 'object') throw bad('JSON', source, 'no MeterReadings object');
  return asArray(root.MeterReading).map((m) => ({
    meterId: text((m.Meter as Node | undefined)?.mRID),
    blocks: asArray(m.IntervalBlocks).map((b) => ({
      readingType: text((b.ReadingType as Node | undefined)?.ref),
      readings: asArray(b.IntervalReadings).map((r) => ({
        timeStamp: text(r.timeStamp),
        // JSON.parse has made the value a number; its text again is the shortest that reads back as that double.
        value: text(r.value),
        qualities: asArray(r.ReadingQualities).map((q) => ({ ref: text((q.ReadingQualityType as Node | undefined)?.ref), comment: q.comment === undefined ? undefined : text(q.comment) })),
      })),
    })),
  }));
}

const ARRAYS = new Set(['MeterReadings.MeterReading', 'MeterReadings.MeterReading.IntervalBlocks', 'MeterReadings.MeterReading.IntervalBlocks.IntervalReadings', 'MeterReadings.MeterReading.IntervalBlocks.IntervalReadings.ReadingQualities', 'MeterReadings.ReadingType']);

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (_name: string, jpath: unknown) => ARRAYS.has(String(jpath)),
});

/** The MeterReadings of an XML document (cim-render.ts cimXmlChunks), read with a real XML parser. */
export function cimXmlMeterReadings(xml: string, source: string): ReadMeterReading[] {
  let doc: Node;
  try {
    doc = xmlParser.parse(xml, true) as Node;
  } catch (e) {
    throw bad('XML', source, `not well-formed XML: ${(e as Error).message}`);
  }
  const root = doc.MeterReadings as Node | undefined;
  if (!root || typeof root !== 'object') throw bad('XML', source, 'no MeterReadings element');
  return asArray(root.MeterReading).map((m) => ({
    meterId: text((m.Meter as Node | undefined)?.mRID),
    blocks: asArray(m.IntervalBlocks).map((b) => ({
      readingType: text((b.ReadingType as Node | undefined)?.['@ref']),
      readings: asArray(b.IntervalReadings).map((r) => ({
        timeStamp: text(r.timeStamp),
        value: text(r.value),
        qualities: asArray(r.ReadingQualities).map((q) => ({ ref: text((q.ReadingQualityType as Node | undefined)?.['@ref']), comment: q.comment === undefined ? undefined : text(q.comment) })),
      })),
    })),
  }));
}

/** A reading type's channel and interval from its 18-field mRID (cim-codes.ts), or a reason it is not one of ours. */
function channelOf(mRID: string): { channel: CimChannel; minutes: number } | string {
  const f = mRID.split('.').map(Number);
  if (f.length !== 18 || f.some((x) => !Number.isInteger(x))) return `ReadingType "${mRID.slice(0, 60)}" is not an 18-field reading type code`;
  const minutes = Object.entries(MEASURING_PERIODS).find(([, p]) => p.code === f[2])?.[0];
  if (minutes === undefined) return `ReadingType ${mRID}: measuring period ${f[2]} is not 5, 15, 30 or 60 minutes`;
  if (f[6] === 12 && f[3] === 4 && f[15] === 3 && f[16] === 72 && (f[4] === 1 || f[4] === 19)) return { channel: f[4] === 1 ? 'delivered' : 'received', minutes: Number(minutes) };
  if (f[6] === 54 && f[16] === 29 && f[15] === 0) return { channel: 'voltage', minutes: Number(minutes) };
  return `ReadingType ${mRID} is neither kWh delivered or received nor volts`;
}

/**
 * The readings of a MeterReadings document: per MeterReading, each delivered interval, with usage = delivered -
 * received (received 0 when absent) in integer watt-hours / 1000 (the generator's very double), voltage from the
 * voltage block, data_quality from the quality without comment (VALID when none), event_type from the quality with
 * one. The interval start is the CIM timeStamp (its end) less the interval.
 */
export function* cimReadings(meterReadings: readonly ReadMeterReading[], kind: string, source: string): Generator<FormatReading> {
  for (const m of meterReadings) {
    if (m.meterId === '') throw bad(kind, source, 'a MeterReading without Meter mRID');
    const channels = new Map<CimChannel, { minutes: number; byTime: Map<string, ReadReading>; readings: readonly ReadReading[] }>();
    for (const b of m.blocks) {
      const c = channelOf(b.readingType);
      if (typeof c === 'string') throw bad(kind, source, `meter ${m.meterId}: ${c}`);
      channels.set(c.channel, { minutes: c.minutes, byTime: new Map(b.readings.map((r) => [r.timeStamp, r])), readings: b.readings });
    }
    const delivered = channels.get('delivered');
    if (!delivered) throw bad(kind, source, `meter ${m.meterId}: no IntervalBlock of energy delivered`);
    const received = channels.get('received');
    const voltage = channels.get('voltage');
    for (const r of delivered.readings) {
      const end = Date.parse(r.timeStamp);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(r.timeStamp) || Number.isNaN(end)) throw bad(kind, source, `meter ${m.meterId}: timeStamp "${r.timeStamp.slice(0, 40)}" is not ISO 8601 with an offset`);
      const wh = wattHoursOf(r.value, kind, source, m.meterId);
      const back = received?.byTime.get(r.timeStamp);
      const whBack = back ? wattHoursOf(back.value, kind, source, m.meterId) : 0;
      const v = voltage?.byTime.get(r.timeStamp);
      let quality: DataQuality = 'VALID';
      let event: EventType | null = null;
      for (const q of r.qualities) {
        if (q.comment !== undefined) {
          if (!isEventName(q.comment)) throw bad(kind, source, `meter ${m.meterId}: ReadingQuality comment "${q.comment.slice(0, 40)}" is not an event type`);
          event = q.comment;
        } else {
          const known = qualityOfCode(q.ref);
          if (!known) throw bad(kind, source, `meter ${m.meterId}: ReadingQualityType ${q.ref.slice(0, 20)} maps to no data quality`);
          quality = known;
        }
      }
      yield {
        meterId: m.meterId,
        startUtcMs: end - delivered.minutes * MINUTE_MS,
        intervalMinutes: delivered.minutes,
        usageKwh: (wh - whBack) / 1000,
        quality,
        voltage: v ? Number(v.value) : null,
        outage: quality === 'OUTAGE',
        event,
      };
    }
  }
}

function wattHoursOf(value: string, kind: string, source: string, meterId: string): number {
  if (!/^\d+(\.\d{1,3})?$/.test(value)) throw bad(kind, source, `meter ${meterId}: value "${value.slice(0, 20)}" is not kWh to 0.001`);
  return Math.round(Number(value) * 1000);
}
