import { z } from 'zod';
import { SHAPES } from '../generator/reading-records.js';
import { mqttUrlProblem } from '../sinks/mqtt/mqtt-options.js';
import { natsUrlProblem } from '../sinks/nats/nats-options.js';
import { pgTableProblem, pgUrlProblem } from '../sinks/postgres/postgres-options.js';
import { parseStageLocation } from '../stage/stage-location.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';

/** Where a job delivers: the one schema for output settings from CLI flags and (later) API bodies. */
export const SINK_NAMES = ['duckdb', 'parquet', 'csv', 'ndjson', 'stdout', 'postgres', 'mqtt', 'nats', 'stage', 'snowflake', 'snowflake-insert', 'snowflake-stage'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

const sinkList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : v),
  z.array(z.enum(SINK_NAMES, { error: `expected sinks among ${SINK_NAMES.join(', ')}` })).min(1),
);

const intFromText = (v: unknown): unknown => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v);
const numberFromText = (v: unknown): unknown => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);

export const outputOptionsSchema = z
  .strictObject({
    sink: sinkList.default(['duckdb']),
    /** DuckDB file for the duckdb sink, directory for a file sink. Only with a single sink that writes to a path. */
    out: z.string().min(1).optional(),
    shape: z.enum(SHAPES).default('flat'),
    append: z.boolean().default(false),
    workers: z.preprocess(intFromText, z.int().min(0).max(64)).optional(),
    batchSize: z.preprocess(intFromText, z.int().min(1_000).max(4_000_000)).optional(),
    /** Connection URL of the postgres sink; when absent the sink factory uses FORGE_PG_URL, DATABASE_URL or the local server. */
    pgUrl: z.string().superRefine((url, ctx) => {
      const problem = pgUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
    /** Table of the postgres sink, `name` or `schema.name` (plain lower-case names). Default ami_readings. */
    pgTable: z.string().superRefine((name, ctx) => {
      const problem = pgTableProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
    /** Broker URL of the mqtt sink; when absent the sink factory uses FORGE_MQTT_URL or mqtt://127.0.0.1:1883. */
    mqttUrl: z.string().superRefine((url, ctx) => {
      const problem = mqttUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
    /** Where the stage sink lands files: file:///dir, a path, or s3://bucket/prefix. */
    stage: z.string().superRefine((text, ctx) => {
      try {
        parseStageLocation(text);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }).optional(),
    stageFormat: z.enum(['ndjson', 'csv', 'parquet']).default('ndjson'),
    stageGzip: z.boolean().default(true),
    /** A stage file rolls over after this many seconds, rows or MiB (whichever first). */
    stageRollSeconds: z.preprocess(numberFromText, z.number().positive().max(86_400)).optional(),
    stageRollRows: z.preprocess(intFromText, z.int().min(1).max(100_000_000)).optional(),
    stageRollMb: z.preprocess(numberFromText, z.number().positive().max(5_000)).optional(),
    /** An S3-compatible endpoint for an s3:// stage (default: the AWS environment's). */
    s3Endpoint: z.url({ protocol: /^https?$/ }).optional(),
    s3Region: z.string().regex(/^[a-z0-9-]{2,32}$/).optional(),
    /**
     * The snowflake sink (Snowpipe Streaming). Account and user default to $SNOWFLAKE_ACCOUNT and $SNOWFLAKE_USER;
     * secrets never come from flags or job records: a key pair's private key from the file `snowflakePrivateKey`
     * ($SNOWFLAKE_PRIVATE_KEY_PATH, passphrase $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE), an OAuth token from
     * $SNOWFLAKE_OAUTH_TOKEN, or inside Snowpark Container Services the token file /snowflake/session/token.
     */
    snowflakeAccount: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'expected an account identifier such as myorg-myaccount').optional(),
    snowflakeUser: z.string().regex(/^[A-Za-z0-9_.$@-]{1,255}$/).optional(),
    snowflakeDatabase: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).default('FORGE'),
    snowflakeSchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).default('AMI'),
    snowflakePipe: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).default('AMI_STREAMING_PIPE'),
    snowflakeAuth: z.enum(['keypair', 'oauth', 'spcs', 'password']).optional(),
    /** snowflake-insert: the warehouse of the session (default the user's) and the target table (default AMI_READINGS). */
    snowflakeWarehouse: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).optional(),
    snowflakeTable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).optional(),
    /** snowflake-stage: the internal stage files are PUT to (default AMI_INTERNAL_STAGE). */
    snowflakeStage: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/).optional(),
    snowflakePrivateKey: z.string().min(1).optional(),
    /** The account URL, for private connectivity (default https://<account>.snowflakecomputing.com). */
    snowflakeUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Server URL of the nats sink; when absent the sink factory uses FORGE_NATS_URL or nats://127.0.0.1:4222. */
    natsUrl: z.string().superRefine((url, ctx) => {
      const problem = natsUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
  })
  .refine((o) => new Set(o.sink).size === o.sink.length, { message: 'a sink is listed twice', path: ['sink'] })
  .refine((o) => o.out === undefined || o.sink.filter((s) => !['stdout', 'postgres', 'mqtt', 'nats', 'stage'].includes(s) && !s.startsWith('snowflake')).length === 1, {
    message: '--out names the path of a single sink; with several sinks each writes to its default path',
    path: ['out'],
  })
  .refine((o) => (o.pgUrl === undefined && o.pgTable === undefined) || o.sink.includes('postgres'), {
    message: '--pg-url and --pg-table apply to the postgres sink only; add postgres to --sink',
    path: ['pgUrl'],
  })
  .refine((o) => o.mqttUrl === undefined || o.sink.includes('mqtt'), { message: '--mqtt-url applies to the mqtt sink only; add mqtt to --sink', path: ['mqttUrl'] })
  .refine((o) => o.natsUrl === undefined || o.sink.includes('nats'), { message: '--nats-url applies to the nats sink only; add nats to --sink', path: ['natsUrl'] })
  .refine((o) => o.stage !== undefined || !o.sink.includes('stage'), { message: 'the stage sink needs --stage file:///dir or s3://bucket/prefix', path: ['stage'] })
  .refine((o) => o.stage === undefined || o.sink.includes('stage'), { message: '--stage applies to the stage sink only; add stage to --sink', path: ['stage'] })
  .refine((o) => o.snowflakeAccount === undefined || o.sink.some((s) => s.startsWith('snowflake')), { message: '--snowflake-* apply to the snowflake sink only; add snowflake to --sink', path: ['snowflakeAccount'] });

export type OutputOptions = z.output<typeof outputOptionsSchema>;

export function parseOutputOptions(input: unknown): OutputOptions {
  const parsed = outputOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data;
}
