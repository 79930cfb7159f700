import { defineFormatSink } from '../define-format-sink.js';
import { mdmCsvFormat } from './mdm-csv-format.js';

export const mdmCsvPlugin = defineFormatSink({
  name: 'mdm-csv',
  title: 'MDM interval CSV',
  summary: 'flat MDM interval export CSV (meter, channel, unit, interval end, value, quality), one file per local date',
  options: {},
  format: () => mdmCsvFormat,
});
