import type { CimReadingType } from './cim-codes.js';
import type { CimMeterReading } from './cim-meter-reading.js';

/** The XML namespace of the IEC 61968-9 (2011) MeterReadings message payload. */
export const CIM_NAMESPACE = 'http://iec.ch/TC57/2011/MeterReadings#';

const READING_TYPE_FIELDS = ['mRID', 'aliasName', 'macroPeriod', 'aggregate', 'measuringPeriod', 'accumulation', 'flowDirection', 'commodity', 'measurementKind', 'phases', 'multiplier', 'unit'] as const;

/**
 * A MeterReadings document as JSON, one chunk per MeterReading: `{"MeterReadings":{"MeterReading":[...],
 * "ReadingType":[...]}}`, the 61968-9 message's classes and role names (Meter.mRID, valuesInterval, IntervalBlocks
 * with a ReadingType reference and IntervalReadings of timeStamp, value and ReadingQualities, each a
 * ReadingQualityType reference), the ReadingTypes the blocks refer to defined once at the end. Values are JSON
 * numbers written verbatim from their text (0.300), so they read back as the same double. Keys in a fixed order.
 */
export function* cimJsonChunks(meters: Iterable<CimMeterReading>, types: readonly CimReadingType[]): Generator<string> {
  yield '{"MeterReadings":{"MeterReading":[';
  let first = true;
  for (const m of meters) {
    const blocks = m.blocks.map((b) => {
      const readings = b.readings.map((r) => {
        const qualities = r.qualities.length === 0 ? '' : `,"ReadingQualities":[${r.qualities.map((q) => `{${q.comment === undefined ? '' : `"comment":${JSON.stringify(q.comment)},`}"ReadingQualityType":{"ref":"${q.ref}"}}`).join(',')}]`;
        return `{"timeStamp":"${r.timeStamp}","value":${r.value}${qualities}}`;
      });
      return `{"ReadingType":{"ref":"${b.readingType}"},"IntervalReadings":[\n${readings.join(',\n')}]}`;
    });
    yield `${first ? '\n' : ',\n'}{"Meter":{"mRID":${JSON.stringify(m.meterId)}},"valuesInterval":{"start":"${m.start}","end":"${m.end}"},"IntervalBlocks":[${blocks.join(',')}]}`;
    first = false;
  }
  yield `\n],"ReadingType":[\n${types.map((t) => JSON.stringify(Object.fromEntries(READING_TYPE_FIELDS.map((f) => [f, t[f]])))).join(',\n')}]}}\n`;
}

/** The same document as XML in the 61968-9 MeterReadings namespace, one chunk per MeterReading. */
export function* cimXmlChunks(meters: Iterable<CimMeterReading>, types: readonly CimReadingType[]): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<MeterReadings xmlns="${CIM_NAMESPACE}">\n`;
  for (const m of meters) {
    const out: string[] = ['<MeterReading>'];
    for (const b of m.blocks) {
      out.push('<IntervalBlocks>');
      for (const r of b.readings) {
        const qualities = r.qualities.map((q) => `<ReadingQualities>${q.comment === undefined ? '' : `<comment>${escapeXml(q.comment)}</comment>`}<ReadingQualityType ref="${q.ref}"/></ReadingQualities>`).join('');
        out.push(`<IntervalReadings>${qualities}<timeStamp>${r.timeStamp}</timeStamp><value>${r.value}</value></IntervalReadings>`);
      }
      out.push(`<ReadingType ref="${b.readingType}"/>`, '</IntervalBlocks>');
    }
    out.push(`<Meter><mRID>${escapeXml(m.meterId)}</mRID></Meter>`, `<valuesInterval><end>${m.end}</end><start>${m.start}</start></valuesInterval>`, '</MeterReading>\n');
    yield out.join('\n');
  }
  for (const t of types) yield `<ReadingType>${READING_TYPE_FIELDS.map((f) => `<${f}>${escapeXml(t[f])}</${f}>`).join('')}</ReadingType>\n`;
  yield '</MeterReadings>\n';
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
