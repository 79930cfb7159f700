import { z } from 'zod';
import { defineFormatSink } from '../define-format-sink.js';
import { GREENBUTTON_FEEDS, greenButtonFormat } from './greenbutton-format.js';

export const greenButtonPlugin = defineFormatSink({
  name: 'greenbutton',
  title: 'Green Button (ESPI) XML',
  summary: 'Green Button (NAESB REQ.21 ESPI 3.3) Atom feeds per local date, a batch of customers or one customer each; net metering as reverse flow',
  options: {
    greenbuttonFeed: {
      schema: z.enum(GREENBUTTON_FEEDS),
      help: 'batch: one feed per local date and batch of customers (an ESPI bulk transfer); customer: one feed per customer and local date',
      arg: '<batch|customer>',
      default: 'batch',
    },
  },
  format: (values) => greenButtonFormat(values.greenbuttonFeed ?? 'batch'),
});
