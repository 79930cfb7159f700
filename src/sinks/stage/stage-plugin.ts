import { z } from 'zod';
import { STAGE_FORMATS } from '../../stage/stage-keys.js';
import { parseStageLocation } from '../../stage/stage-location.js';
import { checkedText, defineSink, intSetting, positiveSetting } from '../sink-plugin.js';

/** The problem with a stage location, or undefined. */
function stageProblem(text: string): string | undefined {
  try {
    parseStageLocation(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Raw head-end files landed in a local or S3-compatible stage, for the bronze/silver/gold pipeline (forge ingest). */
export const stagePlugin = defineSink({
  name: 'stage',
  title: 'Stage landing + medallion',
  summary: 'raw head-end files in a local or S3 stage; forge ingest (or forge serve --stage) loads bronze, silver and gold',
  streams: true,
  options: {
    stage: { schema: checkedText(stageProblem), arg: '<url>', help: 'where files land: file:///dir, a path, or s3://bucket/prefix', names: 'location' },
    stageFormat: {
      schema: z.enum(STAGE_FORMATS),
      arg: '<format>',
      help: 'files: ndjson (raw head-end messages), parquet (the same messages) or csv (flat)',
      default: 'ndjson',
    },
    stageGzip: { schema: z.boolean(), negatable: true, help: 'gzip ndjson and csv files', default: true },
    stageGzipLevel: {
      schema: intSetting(1, 9),
      arg: '<1-9>',
      help: 'gzip level: 1 lands files about 20% faster and a quarter larger, 9 smallest',
      default: 6,
    },
    stageRollSeconds: { schema: positiveSetting(86_400), arg: '<s>', help: 'a file rolls over after this many seconds ...', default: 10 },
    stageRollRows: { schema: intSetting(1, 100_000_000), arg: '<n>', help: '... or rows ...', default: 500_000 },
    stageRollMb: { schema: positiveSetting(5_000), arg: '<mb>', help: '... or MiB before compression', default: 64 },
    s3Endpoint: { schema: z.url({ protocol: /^https?$/ }), arg: '<url>', help: 'S3-compatible endpoint of an s3:// stage (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL or AWS)' },
    s3Region: { schema: z.string().regex(/^[a-z0-9-]{2,32}$/), arg: '<region>', help: 'region of an s3:// stage (default: $AWS_REGION or us-east-1)' },
  },
  required: ['stage'],
  uiFields: ['stage'],
  create: async (values) =>
    new (await import('./stage-sink.js')).StageSink({
      location: parseStageLocation(values.stage!),
      ...(values.stageFormat !== undefined ? { format: values.stageFormat } : {}),
      ...(values.stageGzip !== undefined ? { gzip: values.stageGzip } : {}),
      ...(values.stageGzipLevel !== undefined ? { gzipLevel: values.stageGzipLevel } : {}),
      ...(values.stageRollSeconds !== undefined ? { rollMs: Math.round(values.stageRollSeconds * 1000) } : {}),
      ...(values.stageRollRows !== undefined ? { rollRows: values.stageRollRows } : {}),
      ...(values.stageRollMb !== undefined ? { rollBytes: Math.round(values.stageRollMb * 2 ** 20) } : {}),
      s3: { ...(values.s3Endpoint ? { endpoint: values.s3Endpoint } : {}), ...(values.s3Region ? { region: values.s3Region } : {}) },
    }),
});
