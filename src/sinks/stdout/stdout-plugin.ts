import { defineSink } from '../sink-plugin.js';
import { StdoutSink } from './stdout-sink.js';

/** Readings as NDJSON on standard output, for pipes (`forge stream --sink stdout | jq`). */
export const stdoutPlugin = defineSink({
  name: 'stdout',
  title: 'Standard output',
  summary: 'NDJSON on standard output, flat or nested, for pipes (the summary goes to stderr)',
  streams: true,
  options: {},
  create: (_values, { shape }) => new StdoutSink({ shape }),
});
