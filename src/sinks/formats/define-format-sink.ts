import { resolve } from 'node:path';
import { defineSink, type OptionValues, type ReadBackContextOfFiles, type SinkOptionShape } from '../sink-plugin.js';
import type { ExchangeFormat } from './exchange-format.js';
import { defaultFormatDir } from './format-dir.js';

/**
 * The plugin of an exchange-format sink (sink-plugin.ts): a directory of its own (`--out name=<dir>`, default
 * ./forge-data/<name>), batch jobs only, and `format` building the format from the sink's settings (e.g. a choice
 * of JSON or XML). `forge verify` reads its files back with the format's reader (`readBack`, kind 'files'). One line
 * in sinks/registry.ts lists it.
 */
export const defineFormatSink = <const N extends string, const O extends SinkOptionShape>(spec: {
  readonly name: N;
  readonly title: string;
  readonly summary: string;
  readonly options: O;
  readonly format: (values: OptionValues<O>) => ExchangeFormat;
}) =>
  defineSink({
    name: spec.name,
    title: spec.title,
    summary: spec.summary,
    path: { kind: 'directory', default: defaultFormatDir(spec.name) },
    streams: false,
    options: spec.options,
    // Verify reads the files back with the format's own reader and compares usage and what the format keeps.
    readBack: {
      settings: Object.keys(spec.options) as (keyof O & string)[],
      target: (values, { path }) => {
        const format = spec.format(values);
        const dir = resolve(path ?? defaultFormatDir(spec.name));
        const readings = async function* (dates: readonly string[], context: ReadBackContextOfFiles) {
          const { readFormatDir } = await import('./format-files.js');
          yield* readFormatDir(dir, format, context, dates);
        };
        return { kind: 'files', path: dir, description: `${spec.name} ${dir}`, keeps: format.keeps, readings };
      },
    },
    create: async (values, { path, append }) => {
      const format = spec.format(values);
      const { FormatSink } = await import('./format-sink.js');
      return new FormatSink({ format, dir: path ?? defaultFormatDir(spec.name), append });
    },
  });
