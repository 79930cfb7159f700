import { z } from 'zod';
import { defineFormatSink } from '../define-format-sink.js';
import { CIM_ENCODINGS, cimFormat } from './cim-format.js';

export const cimPlugin = defineFormatSink({
  name: 'cim',
  title: 'CIM MeterReadings',
  summary: 'IEC 61968-9 MeterReadings documents (JSON or XML): a MeterReading per meter with IntervalBlocks of kWh delivered, received (PV) and volts, ReadingType codes and qualities, one file per local date',
  options: {
    cimFormat: { schema: z.enum(CIM_ENCODINGS), arg: '<json|xml>', help: 'CIM MeterReadings encoding: json or xml', default: 'json' },
  },
  format: (values) => cimFormat(values.cimFormat ?? 'json'),
});
