import type { ExchangeFormat } from '../exchange-format.js';
import { groupReadingTypes, meterReadings } from './cim-meter-reading.js';
import { cimJsonMeterReadings, cimReadings, cimXmlMeterReadings } from './cim-read.js';
import { cimJsonChunks, cimXmlChunks } from './cim-render.js';

export const CIM_ENCODINGS = ['json', 'xml'] as const;
export type CimEncoding = (typeof CIM_ENCODINGS)[number];

/**
 * IEC 61968-9 MeterReadings as an exchange format (exchange-format.ts): one document per local date and part, a
 * MeterReading per meter (cim-meter-reading.ts), in JSON (the default) or XML. Read back exactly: usage (delivered -
 * received), voltage, data_quality, is_outage (data_quality OUTAGE) and event_type (cim-codes.ts).
 */
export function cimFormat(encoding: CimEncoding = 'json'): ExchangeFormat {
  return {
    name: 'cim',
    extension: encoding,
    grouping: 'date',
    keeps: ['voltage', 'quality', 'outage', 'event'],
    render(group) {
      const types = groupReadingTypes(group.readings.intervalMinutes);
      return encoding === 'json' ? cimJsonChunks(meterReadings(group), types) : cimXmlChunks(meterReadings(group), types);
    },
    read(text, _context) {
      const source = 'MeterReadings document';
      return encoding === 'json' ? cimReadings(cimJsonMeterReadings(text, source), 'JSON', source) : cimReadings(cimXmlMeterReadings(text, source), 'XML', source);
    },
  };
}
