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
    .option('--nats-url <url>', 'NATS server (JetStream) for the nats sink (default: $FORGE_NATS_URL or nats://127.0.0.1:4222)');
}

const OUTPUT_KEYS = ['sink', 'out', 'shape', 'pgUrl', 'pgTable', 'mqttUrl', 'natsUrl', 'workers', 'batchSize'] as const;

export function outputFromFlags(flags: Record<string, unknown>): OutputOptions {
  const input: Record<string, unknown> = { append: flags.append === true };
  for (const key of OUTPUT_KEYS) if (flags[key] !== undefined) input[key] = flags[key];
  // Absolute, so a job record names the same file wherever it is read from (verify, resume).
  if (typeof input.out === 'string' && input.out !== '') input.out = resolve(input.out);
  return parseOutputOptions(input);
}
