import { XMLParser } from 'fast-xml-parser';
import type { DataQuality } from '../../../scenario/enums.js';
import { ForgeError } from '../../../util/forge-error.js';
import type { FormatReading } from '../exchange-format.js';
import { ESPI, QUALITY_OF_CODE } from './espi-codes.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['entry', 'link', 'IntervalReading', 'ReadingQuality', 'IntervalBlock'].includes(name),
});

type Node = Record<string, unknown>;
interface Link {
  readonly '@rel'?: string;
  readonly '@href'?: string;
}

interface ReadingTypeOf {
  readonly flow: number;
  readonly multiplier: number;
  readonly uom: number;
}

interface Interval {
  meterId: string;
  startS: number;
  durationS: number;
  forward: number | null;
  reverse: number;
  quality: DataQuality | null;
}

/**
 * The feed's entries, parsed one at a time: Atom entries do not nest, so the text is cut at the feed's own `entry`
 * elements (with whatever prefix the feed gives the Atom namespace) and each is parsed alone. Memory holds one
 * entry's tree, not the whole feed's (a whole 10 MB feed parsed at once took about 20 times its size).
 */
function* feedEntries(text: string, source: string): Generator<Node> {
  const root = /<(?:([A-Za-z_][\w.-]*):)?feed[\s>/]/.exec(text);
  if (!root) throw bad(source, 'no Atom feed element');
  const prefix = root[1] ? `${root[1]}:` : '';
  const open = new RegExp(`<${prefix}entry[\\s>]`, 'g');
  const close = `</${prefix}entry>`;
  open.lastIndex = root.index;
  for (let m = open.exec(text); m; m = open.exec(text)) {
    const end = text.indexOf(close, m.index);
    if (end < 0) throw bad(source, 'an entry is not closed');
    let doc: Node;
    try {
      doc = parser.parse(text.slice(m.index, end + close.length), true) as Node;
    } catch (e) {
      throw bad(source, `not well-formed XML: ${(e as Error).message}`);
    }
    const entry = (doc.entry as Node[] | undefined)?.[0];
    if (!entry) throw bad(source, 'an entry could not be read');
    yield entry;
    open.lastIndex = end + close.length;
  }
  if (!new RegExp(`</${prefix}feed>\\s*$`).test(text)) throw bad(source, 'the feed is not closed');
}

const bad = (source: string, reason: string): ForgeError => new ForgeError('FORGE_ERR_FORMAT_FILE', ['Green Button', source, reason]);

/**
 * Reads a Green Button feed back by walking its resource graph as an ESPI client does: each IntervalBlock belongs to
 * the MeterReading its `up` link names, which names its ReadingType (`related`) and belongs to a UsagePoint (whose
 * title is the meter id). Energy delivered (flowDirection 1) minus energy received (flowDirection 19), in Wh scaled
 * by powerOfTenMultiplier, is usage_kwh (as Wh / 1000: the generated double exactly); ReadingQuality gives
 * data_quality back (none: VALID), and is_outage is the outage quality. Entries may come in any order; they are
 * parsed one at a time (feedEntries).
 */
export function* readGreenButton(text: string, source = 'Green Button feed'): Generator<FormatReading> {
  const usagePoints = new Map<string, string>();
  const readingTypes = new Map<string, ReadingTypeOf>();
  const meterReadings = new Map<string, { usagePoint: string; readingType: string }>();
  const blocks: { meterReading: string; block: Node }[] = [];
  for (const e of feedEntries(text, source)) {
    const links = (e.link as Link[] | undefined) ?? [];
    const href = (rel: string): string | undefined => links.find((l) => l['@rel'] === rel)?.['@href'];
    const self = href('self');
    const up = href('up');
    const content = (e.content ?? {}) as Node;
    const title = typeof e.title === 'string' ? e.title : String((e.title as Node | undefined)?.['#text'] ?? '');
    if (content.UsagePoint !== undefined) {
      if (!self) throw bad(source, 'a UsagePoint entry has no self link');
      usagePoints.set(self, title);
    } else if (content.ReadingType !== undefined) {
      const t = content.ReadingType as Node;
      if (!self) throw bad(source, 'a ReadingType entry has no self link');
      readingTypes.set(self, { flow: Number(t.flowDirection ?? ESPI.flowForward), multiplier: Number(t.powerOfTenMultiplier ?? 0), uom: Number(t.uom) });
    } else if (content.MeterReading !== undefined) {
      const readingType = links.find((l) => l['@rel'] === 'related' && (l['@href'] ?? '').includes('/ReadingType/'))?.['@href'];
      if (!self || !up || !readingType) throw bad(source, `MeterReading ${self ?? '?'} lacks its self, up or ReadingType link`);
      meterReadings.set(self, { usagePoint: up.replace(/\/MeterReading$/, ''), readingType });
    } else if (content.IntervalBlock !== undefined) {
      if (!up) throw bad(source, 'an IntervalBlock entry has no up link');
      for (const block of content.IntervalBlock as Node[]) blocks.push({ meterReading: up.replace(/\/IntervalBlock$/, ''), block });
    }
  }
  const intervals = new Map<string, Interval>();
  for (const { meterReading, block } of blocks) {
    const reading = meterReadings.get(meterReading);
    const type = reading && readingTypes.get(reading.readingType);
    const meterId = reading && usagePoints.get(reading.usagePoint);
    if (!reading || !type || meterId === undefined) throw bad(source, `IntervalBlock of ${meterReading}: its MeterReading, ReadingType or UsagePoint is not in the feed`);
    if (type.uom !== ESPI.uomWh) throw bad(source, `ReadingType ${reading.readingType} has uom ${type.uom}, not ${ESPI.uomWh} (Wh)`);
    if (type.flow !== ESPI.flowForward && type.flow !== ESPI.flowReverse) throw bad(source, `ReadingType ${reading.readingType} has flowDirection ${type.flow}, not 1 or 19`);
    for (const ir of (block.IntervalReading as Node[] | undefined) ?? []) {
      const period = ir.timePeriod as Node | undefined;
      const startS = Number(period?.start);
      const durationS = Number(period?.duration);
      const value = Number(ir.value);
      if (!Number.isInteger(startS) || !Number.isInteger(durationS) || durationS <= 0 || !Number.isFinite(value)) throw bad(source, `an IntervalReading of ${meterReading} lacks a whole start, duration or value`);
      const wh = type.multiplier === 0 ? value : Math.round(value * 10 ** type.multiplier);
      const codes = ((ir.ReadingQuality as Node[] | undefined) ?? []).map((q) => Number(q.quality));
      const quality = codes.length === 0 ? 'VALID' : QUALITY_OF_CODE.get(codes[0]!);
      if (quality === undefined) throw bad(source, `ReadingQuality ${codes[0]} of ${meterReading} at ${startS} is not one this export writes`);
      const key = `${meterId}\u0000${startS}`;
      let interval = intervals.get(key);
      if (!interval) {
        interval = { meterId, startS, durationS, forward: null, reverse: 0, quality: null };
        intervals.set(key, interval);
      }
      if (type.flow === ESPI.flowForward) {
        if (interval.forward !== null) throw bad(source, `two delivered readings of ${meterId} at ${startS}`);
        interval.forward = wh;
        interval.quality = quality;
      } else {
        interval.reverse = wh;
        interval.quality ??= quality;
      }
    }
  }
  for (const i of intervals.values()) {
    yield {
      meterId: i.meterId,
      startUtcMs: i.startS * 1000,
      intervalMinutes: i.durationS / 60,
      usageKwh: ((i.forward ?? 0) - i.reverse) / 1000,
      quality: i.quality,
      outage: i.quality === 'OUTAGE',
    };
  }
}
