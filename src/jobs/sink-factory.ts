import { existsSync, readFileSync } from 'node:fs';
import { DuckDbSink } from '../sinks/duckdb/duckdb-sink.js';
import { FileSink } from '../sinks/files/file-sink.js';
import { defaultMqttUrl } from '../sinks/mqtt/mqtt-options.js';
import { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { defaultNatsUrl } from '../sinks/nats/nats-options.js';
import { NatsSink } from '../sinks/nats/nats-sink.js';
import { PostgresSink } from '../sinks/postgres/postgres-sink.js';
import { DEFAULT_PG_TABLE, defaultPgUrl } from '../sinks/postgres/postgres-options.js';
import type { Sink, SinkStatus } from '../sinks/sink.js';
import type { SnowflakeAuthOptions } from '../sinks/snowflake/snowflake-auth.js';
import { ForgeError } from '../util/forge-error.js';
import { SnowflakeInsertSink, type SnowflakeInsertSinkOptions } from '../sinks/snowflake/snowflake-insert-sink.js';
import { SnowflakeStageSink } from '../sinks/snowflake/snowflake-stage-sink.js';
import { SnowpipeStreamingSink } from '../sinks/snowflake/snowpipe-streaming-sink.js';
import { StageSink } from '../sinks/stage/stage-sink.js';
import { StdoutSink } from '../sinks/stdout/stdout-sink.js';
import { parseStageLocation } from '../stage/stage-location.js';
import type { OutputOptions, SinkName } from './output-options.js';

/** A sink losing its destination ('degraded', retrying) or getting it back ('recovered'). */
export interface SinkStatusEvent {
  readonly sink: string;
  readonly state: 'degraded' | 'recovered';
  readonly error?: string;
}

export interface SinkHooks {
  readonly onStatus?: (event: SinkStatusEvent) => void;
}

/** The composition root for sinks: the only module that knows the concrete sink classes. */
export function createSinks(options: OutputOptions, hooks: SinkHooks = {}): Sink[] {
  return options.sink.map((name) => createSink(name, options, hooks));
}

function createSink(name: SinkName, options: OutputOptions, hooks: SinkHooks): Sink {
  switch (name) {
    case 'duckdb':
      return new DuckDbSink({ ...(options.out ? { path: options.out } : {}), append: options.append });
    case 'parquet':
    case 'csv':
    case 'ndjson':
      return new FileSink({ format: name, ...(options.out ? { dir: options.out } : {}), shape: options.shape, append: options.append });
    case 'stdout':
      return new StdoutSink({ shape: options.shape });
    case 'postgres':
      return PostgresSink.fromTableName(options.pgTable ?? DEFAULT_PG_TABLE, {
        url: options.pgUrl ?? defaultPgUrl(),
        append: options.append,
        ...statusHook('postgres', hooks),
      });
    case 'mqtt':
      return new MqttSink({ url: options.mqttUrl ?? defaultMqttUrl(), ...statusHook('mqtt', hooks) });
    case 'stage':
      return new StageSink({
        location: parseStageLocation(options.stage!),
        format: options.stageFormat,
        gzip: options.stageGzip,
        ...(options.stageRollSeconds !== undefined ? { rollMs: Math.round(options.stageRollSeconds * 1000) } : {}),
        ...(options.stageRollRows !== undefined ? { rollRows: options.stageRollRows } : {}),
        ...(options.stageRollMb !== undefined ? { rollBytes: Math.round(options.stageRollMb * 2 ** 20) } : {}),
        s3: { ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}), ...(options.s3Region ? { region: options.s3Region } : {}) },
      });
    case 'snowflake':
      return snowflakeSink(options);
    case 'snowflake-insert':
      return snowflakeInsertSink(options, 'insert');
    case 'snowflake-stage':
      return snowflakeInsertSink(options, 'stage');
    case 'nats':
      return new NatsSink({ url: options.natsUrl ?? defaultNatsUrl(), ...statusHook('nats', hooks) });
  }
}

/** The sink's onStatus option, reporting to the hooks under the sink's name. */
function statusHook(sink: string, hooks: SinkHooks): { onStatus?: (status: SinkStatus) => void } {
  const report = hooks.onStatus;
  if (!report) return {};
  return { onStatus: (s) => report({ sink, state: s.state, ...(s.state === 'degraded' ? { error: s.error } : {}) }) };
}

/** The SPCS service token (Snowpark Container Services mounts it here). */
const SPCS_TOKEN_FILE = '/snowflake/session/token';

/**
 * Snowflake credentials for the sinks, first match: the chosen `snowflakeAuth`; a private key file (key pair);
 * $SNOWFLAKE_OAUTH_TOKEN (OAuth); $SNOWFLAKE_PASSWORD (password, SQL inserts only); the SPCS token file (streaming
 * only). Secrets are read here, from files and the environment, never taken from flags.
 */
function snowflakeCredentials(options: OutputOptions, allowed: readonly string[], env: NodeJS.ProcessEnv): { account: string; user: string | undefined; auth: SnowflakeCredentials } {
  const account = options.snowflakeAccount ?? env.SNOWFLAKE_ACCOUNT;
  if (!account) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflakeAccount: the snowflake sinks need --snowflake-account or $SNOWFLAKE_ACCOUNT']);
  const keyPath = options.snowflakePrivateKey ?? env.SNOWFLAKE_PRIVATE_KEY_PATH;
  const detected = keyPath ? 'keypair' : env.SNOWFLAKE_OAUTH_TOKEN ? 'oauth' : env.SNOWFLAKE_PASSWORD && allowed.includes('password') ? 'password' : existsSync(SPCS_TOKEN_FILE) && allowed.includes('spcs') ? 'spcs' : undefined;
  const kind = options.snowflakeAuth ?? detected;
  if (kind !== undefined && !allowed.includes(kind)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflakeAuth: ${kind} is not available for this sink (use ${allowed.join(', ')})`]);
  let auth: SnowflakeCredentials;
  switch (kind) {
    case 'keypair': {
      if (!keyPath) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflakePrivateKey: key-pair authentication needs --snowflake-private-key or $SNOWFLAKE_PRIVATE_KEY_PATH']);
      let privateKeyPem: string;
      try {
        privateKeyPem = readFileSync(keyPath, 'utf8');
      } catch (e) {
        throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflakePrivateKey: cannot read ${keyPath} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
      }
      auth = { kind, privateKeyPem, ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE ? { passphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE } : {}) };
      break;
    }
    case 'oauth':
      if (!env.SNOWFLAKE_OAUTH_TOKEN) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflakeAuth: OAuth needs the token in $SNOWFLAKE_OAUTH_TOKEN']);
      auth = { kind, token: env.SNOWFLAKE_OAUTH_TOKEN };
      break;
    case 'password':
      if (!env.SNOWFLAKE_PASSWORD) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['snowflakeAuth: password authentication needs $SNOWFLAKE_PASSWORD']);
      auth = { kind, password: env.SNOWFLAKE_PASSWORD };
      break;
    case 'spcs':
      auth = { kind };
      break;
    default:
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
        `snowflakeAuth: no credentials: give --snowflake-private-key (key pair) or set $SNOWFLAKE_OAUTH_TOKEN${allowed.includes('password') ? ' or $SNOWFLAKE_PASSWORD' : ', or run inside Snowpark Container Services'}`,
      ]);
  }
  return { account, user: options.snowflakeUser ?? env.SNOWFLAKE_USER, auth };
}

type SnowflakeCredentials = SnowflakeAuthOptions | { readonly kind: 'password'; readonly password: string };

/** The Snowpipe Streaming sink (key pair, OAuth or the SPCS token). */
function snowflakeSink(options: OutputOptions, env: NodeJS.ProcessEnv = process.env): Sink {
  const { account, user, auth } = snowflakeCredentials(options, ['keypair', 'oauth', 'spcs'], env);
  return new SnowpipeStreamingSink({
    account,
    ...(user ? { user } : {}),
    database: options.snowflakeDatabase,
    schema: options.snowflakeSchema,
    pipe: options.snowflakePipe,
    auth: auth as SnowflakeAuthOptions,
    ...(options.snowflakeUrl ? { url: options.snowflakeUrl } : {}),
  });
}

/** Through the official driver (password, key pair or OAuth): SQL inserts with array binds, or PUT then COPY INTO. */
function snowflakeInsertSink(options: OutputOptions, way: 'insert' | 'stage', env: NodeJS.ProcessEnv = process.env): Sink {
  const { account, user, auth } = snowflakeCredentials(options, ['password', 'keypair', 'oauth'], env);
  if (!user) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflakeUser: the snowflake-${way} sink needs --snowflake-user or $SNOWFLAKE_USER`]);
  const common = {
    account,
    user,
    database: options.snowflakeDatabase,
    schema: options.snowflakeSchema,
    ...(options.snowflakeWarehouse ? { warehouse: options.snowflakeWarehouse } : {}),
    ...(options.snowflakeTable ? { table: options.snowflakeTable } : {}),
    auth: auth as SnowflakeInsertSinkOptions['auth'],
    ...(options.snowflakeUrl ? { accessUrl: options.snowflakeUrl } : {}),
  };
  return way === 'insert' ? new SnowflakeInsertSink(common) : new SnowflakeStageSink({ ...common, ...(options.snowflakeStage ? { stage: options.snowflakeStage } : {}) });
}
