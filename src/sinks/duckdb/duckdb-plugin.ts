import { defineSink } from '../sink-plugin.js';
import { DEFAULT_DUCKDB_PATH } from './duckdb-path.js';

/** The embedded warehouse, the default sink. */
export const duckdbPlugin = defineSink({
  name: 'duckdb',
  title: 'DuckDB table',
  summary: 'embedded warehouse, nothing to install: a star schema and the ami_readings view (the default)',
  path: { kind: 'file', default: DEFAULT_DUCKDB_PATH },
  streams: true,
  options: {},
  readBack: { settings: [], target: (_values, { path }) => ({ kind: 'duckdb', path: path ?? DEFAULT_DUCKDB_PATH }) },
  create: async (_values, { path, append }) => {
    const { DuckDbSink } = await import('./duckdb-sink.js');
    return new DuckDbSink({ path: path ?? DEFAULT_DUCKDB_PATH, append });
  },
});
