import { defineSink } from '../sink-plugin.js';

/** Readings as NDJSON on standard output, for pipes (`forge stream --sink stdout | jq`). */
export const stdoutPlugin = defineSink({
  name: 'stdout',
  title: 'Standard output',
  summary: 'NDJSON on standard output, flat or nested, for pipes (the summary goes to stderr)',
  streams: true,
  options: {},
  create: async (_values, { shape }) => {
    const { StdoutSink } = await import('./stdout-sink.js');
    return new StdoutSink({ shape });
  },
});
