import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseOutputOptions, type OutputOptions } from '../jobs/output-options.js';

/** Output flags shared by `generate` and `stream`; names map 1:1 onto the output options schema. */
export function addOutputFlags(command: Command): Command {
  return command
    .option('--sink <names>', 'duckdb (default), parquet, csv, ndjson, stdout, postgres, mqtt, nats; several separated by commas (dual write)')
    .option('--out <path>', 'DuckDB file (duckdb sink) or directory (file sinks); default under ./forge-data')
    .option('--shape <shape>', 'flat (default) or nested (AMI head-end message) for ndjson, parquet and stdout')
    .option('--append', 'add to an existing table or directory instead of refusing')
    .option('--pg-url <url>', 'Postgres connection URL for the postgres sink (default: $FORGE_PG_URL, $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)')
    .option('--pg-table <name>', 'table for the postgres sink, name or schema.name (default ami_readings)')
    .option('--mqtt-url <url>', 'MQTT broker for the mqtt sink (default: $FORGE_MQTT_URL or mqtt://127.0.0.1:1883)')
    .option('--nats-url <url>', 'NATS server (JetStream) for the nats sink (default: $FORGE_NATS_URL or nats://127.0.0.1:4222)')
    .option('--stage <url>', 'where the stage sink lands files: file:///dir, a path, or s3://bucket/prefix')
    .option('--stage-format <format>', 'stage files: ndjson (raw head-end messages, default), parquet (the same messages) or csv (flat)')
    .option('--no-stage-gzip', 'write stage files uncompressed')
    .option('--stage-roll-seconds <s>', 'a stage file rolls over after this many seconds (default 10) ...')
    .option('--stage-roll-rows <n>', '... or rows (default 500000) ...')
    .option('--stage-roll-mb <mb>', '... or MiB before compression (default 64)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for an s3:// stage (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL or AWS)')
    .option('--s3-region <region>', 'region for an s3:// stage (default: $AWS_REGION or us-east-1)')
    .option('--snowflake-account <id>', 'snowflake sink: account identifier, e.g. myorg-myaccount (default $SNOWFLAKE_ACCOUNT)')
    .option('--snowflake-user <user>', 'snowflake sink: user for key-pair authentication (default $SNOWFLAKE_USER)')
    .option('--snowflake-database <name>', 'snowflake sink: database (default FORGE)')
    .option('--snowflake-schema <name>', 'snowflake sink: schema (default AMI)')
    .option('--snowflake-pipe <name>', 'snowflake sink: the streaming pipe of forge ddl (default AMI_STREAMING_PIPE)')
    .option('--snowflake-auth <kind>', 'snowflake sinks: keypair, oauth ($SNOWFLAKE_OAUTH_TOKEN), password ($SNOWFLAKE_PASSWORD, snowflake-insert) or spcs (snowflake)')
    .option('--snowflake-warehouse <name>', 'snowflake-insert sink: warehouse of the session (default the user\'s)')
    .option('--snowflake-table <name>', 'snowflake-insert/-stage sinks: target table (default AMI_READINGS)')
    .option('--snowflake-stage <name>', 'snowflake-stage sink: internal stage the files are PUT to (default AMI_INTERNAL_STAGE)')
    .option('--snowflake-private-key <file>', 'snowflake sink: PKCS#8 PEM private key for key-pair authentication (default $SNOWFLAKE_PRIVATE_KEY_PATH)')
    .option('--snowflake-url <url>', 'snowflake sink: account URL (default https://<account>.snowflakecomputing.com)');
}

const OUTPUT_KEYS = [
  'sink', 'out', 'shape', 'pgUrl', 'pgTable', 'mqttUrl', 'natsUrl', 'workers', 'batchSize',
  'stage', 'stageFormat', 'stageRollSeconds', 'stageRollRows', 'stageRollMb', 's3Endpoint', 's3Region',
  'snowflakeAccount', 'snowflakeUser', 'snowflakeDatabase', 'snowflakeSchema', 'snowflakePipe', 'snowflakeAuth', 'snowflakePrivateKey', 'snowflakeUrl', 'snowflakeWarehouse', 'snowflakeTable', 'snowflakeStage',
] as const;

export function outputFromFlags(flags: Record<string, unknown>): OutputOptions {
  const input: Record<string, unknown> = { append: flags.append === true, stageGzip: flags.stageGzip !== false };
  for (const key of OUTPUT_KEYS) if (flags[key] !== undefined) input[key] = flags[key];
  // Absolute, so a job record names the same file wherever it is read from (verify, resume).
  if (typeof input.out === 'string' && input.out !== '') input.out = resolve(input.out);
  if (typeof input.snowflakePrivateKey === 'string' && input.snowflakePrivateKey !== '') input.snowflakePrivateKey = resolve(input.snowflakePrivateKey);
  return parseOutputOptions(input);
}
