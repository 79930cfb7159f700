import { defineSink } from '../sink-plugin.js';
import { defaultFileDir, type FileFormat } from './file-format.js';

/** A file sink of one format: files per local date in a directory of its own. */
const filePlugin = <const F extends FileFormat>(format: F, title: string, summary: string) =>
  defineSink({
    name: format,
    title,
    summary,
    path: { kind: 'directory', default: defaultFileDir(format) },
    streams: false,
    options: {},
    create: async (_values, { path, shape, append }) => {
      const { FileSink } = await import('./file-sink.js');
      return new FileSink({ format, dir: path ?? defaultFileDir(format), shape, append });
    },
  });

export const parquetPlugin = filePlugin('parquet', 'Parquet files', 'Parquet files (zstd), one per local date, flat or nested');
export const csvPlugin = filePlugin('csv', 'CSV files', 'CSV files, one per local date, flat');
export const ndjsonPlugin = filePlugin('ndjson', 'NDJSON files', 'newline-delimited JSON, one file per local date, flat or nested');
