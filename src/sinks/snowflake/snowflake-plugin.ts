import { z } from 'zod';
import { ForgeError } from '../../util/forge-error.js';
import { defineSink, type OptionValues } from '../sink-plugin.js';
import type { SnowflakeAuthOptions } from './snowflake-auth.js';
import { snowflakeCredentials } from './snowflake-credentials.js';
import type { SnowflakeInsertSinkOptions } from './snowflake-insert-sink.js';

const IDENTIFIER = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/, 'expected a Snowflake identifier: letters, digits, _ and $, starting with a letter or _');

/**
 * The settings the three Snowflake sinks share (one family: the same key means the same thing in each). Secrets never
 * come from flags or job records: a key pair's private key from the file `snowflakePrivateKey`
 * ($SNOWFLAKE_PRIVATE_KEY_PATH, passphrase $SNOWFLAKE_PRIVATE_KEY_PASSPHRASE), an OAuth token from
 * $SNOWFLAKE_OAUTH_TOKEN, a password from $SNOWFLAKE_PASSWORD, or inside Snowpark Container Services the token file.
 */
const ACCOUNT = {
  snowflakeAccount: {
    schema: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'expected an account identifier such as myorg-myaccount'),
    arg: '<id>',
    help: 'account identifier, e.g. myorg-myaccount (default $SNOWFLAKE_ACCOUNT)',
  },
  snowflakeUser: { schema: z.string().regex(/^[A-Za-z0-9_.$@-]{1,255}$/), arg: '<user>', help: 'user (default $SNOWFLAKE_USER)' },
  snowflakeDatabase: { schema: IDENTIFIER, arg: '<name>', help: 'database', default: 'FORGE' },
  snowflakeSchema: { schema: IDENTIFIER, arg: '<name>', help: 'schema', default: 'AMI' },
  snowflakeAuth: {
    schema: z.enum(['keypair', 'oauth', 'spcs', 'password']),
    arg: '<kind>',
    help: 'keypair, oauth ($SNOWFLAKE_OAUTH_TOKEN), password ($SNOWFLAKE_PASSWORD; snowflake-insert and -stage) or spcs (snowflake)',
  },
  snowflakePrivateKey: {
    schema: z.string().min(1),
    arg: '<file>',
    help: 'PKCS#8 PEM private key for key-pair authentication (default $SNOWFLAKE_PRIVATE_KEY_PATH)',
    names: 'file',
  },
  snowflakeUrl: { schema: z.url({ protocol: /^https?$/ }), arg: '<url>', help: 'account URL, for private connectivity (default https://<account>.snowflakecomputing.com)' },
} as const;

const TABLE = {
  snowflakeWarehouse: { schema: IDENTIFIER, arg: '<name>', help: 'warehouse of the session (default the user\'s)' },
  snowflakeTable: { schema: IDENTIFIER, arg: '<name>', help: 'target table', default: 'AMI_READINGS' },
} as const;

const PIPE = { snowflakePipe: { schema: IDENTIFIER, arg: '<name>', help: 'the streaming pipe of forge ddl', default: 'AMI_STREAMING_PIPE' } } as const;
const STAGE = { snowflakeStage: { schema: IDENTIFIER, arg: '<name>', help: 'internal stage files are PUT to', default: 'AMI_INTERNAL_STAGE' } } as const;

type AccountValues = OptionValues<typeof ACCOUNT>;

const location = (values: AccountValues) => ({
  database: values.snowflakeDatabase ?? ACCOUNT.snowflakeDatabase.default,
  schema: values.snowflakeSchema ?? ACCOUNT.snowflakeSchema.default,
});

/** Snowpipe Streaming over its REST API (key pair, OAuth or the SPCS token): rows land in seconds. */
export const snowflakePlugin = defineSink({
  name: 'snowflake',
  title: 'Real-time streaming to Snowflake',
  summary: 'Snowpipe Streaming (REST) into the pipe of forge ddl, with its offset token as checkpoint (needs SNOWFLAKE_* credentials)',
  streams: true,
  options: { ...ACCOUNT, ...PIPE },
  create: async (values, { env }) => {
    const { account, user, auth } = snowflakeCredentials(values, ['keypair', 'oauth', 'spcs'], env);
    const { SnowpipeStreamingSink } = await import('./snowpipe-streaming-sink.js');
    return new SnowpipeStreamingSink({
      account,
      ...(user ? { user } : {}),
      ...location(values),
      pipe: values.snowflakePipe ?? PIPE.snowflakePipe.default,
      auth: auth as SnowflakeAuthOptions,
      ...(values.snowflakeUrl ? { url: values.snowflakeUrl } : {}),
    });
  },
});

/** The official driver's session (password, key pair or OAuth) for the two SQL sinks. */
function driverSettings(values: OptionValues<typeof ACCOUNT & typeof TABLE>, name: string, env: NodeJS.ProcessEnv): SnowflakeInsertSinkOptions {
  const { account, user, auth } = snowflakeCredentials(values, ['password', 'keypair', 'oauth'], env);
  if (!user) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`snowflakeUser: the ${name} sink needs --snowflake-user or $SNOWFLAKE_USER`]);
  return {
    account,
    user,
    ...location(values),
    ...(values.snowflakeWarehouse ? { warehouse: values.snowflakeWarehouse } : {}),
    ...(values.snowflakeTable ? { table: values.snowflakeTable } : {}),
    auth: auth as SnowflakeInsertSinkOptions['auth'],
    ...(values.snowflakeUrl ? { accessUrl: values.snowflakeUrl } : {}),
  };
}

/** SQL inserts with array binds through snowflake-sdk, each batch one transaction with its checkpoint. */
export const snowflakeInsertPlugin = defineSink({
  name: 'snowflake-insert',
  title: 'Snowflake inserts',
  summary: 'SQL inserts with array binds through the official driver, each batch one transaction (needs SNOWFLAKE_* credentials)',
  streams: true,
  options: { ...ACCOUNT, ...TABLE },
  create: async (values, { env }) => {
    const settings = driverSettings(values, 'snowflake-insert', env);
    return new (await import('./snowflake-insert-sink.js')).SnowflakeInsertSink(settings);
  },
});

/** Files PUT to an internal stage, then COPY INTO, through snowflake-sdk. */
export const snowflakeStagePlugin = defineSink({
  name: 'snowflake-stage',
  title: 'Snowflake table',
  summary: 'PUT to an internal stage, then COPY INTO, through the official driver (needs SNOWFLAKE_* credentials)',
  streams: true,
  options: { ...ACCOUNT, ...TABLE, ...STAGE },
  create: async (values, { env }) => {
    const settings = { ...driverSettings(values, 'snowflake-stage', env), ...(values.snowflakeStage ? { stage: values.snowflakeStage } : {}) };
    return new (await import('./snowflake-stage-sink.js')).SnowflakeStageSink(settings);
  },
});
