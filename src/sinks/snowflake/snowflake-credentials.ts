import { existsSync, readFileSync } from 'node:fs';
import { ForgeError } from '../../util/forge-error.js';
import type { SnowflakeAuthOptions } from './snowflake-auth.js';

/** The SPCS service token (Snowpark Container Services mounts it here). */
const SPCS_TOKEN_FILE = '/snowflake/session/token';

export type SnowflakeAuthKind = 'keypair' | 'oauth' | 'spcs' | 'password';
export type SnowflakeCredentials = SnowflakeAuthOptions | { readonly kind: 'password'; readonly password: string };

/** The settings credentials come from besides the environment. */
export interface CredentialSettings {
  readonly snowflakeAccount?: string | undefined;
  readonly snowflakeUser?: string | undefined;
  readonly snowflakeAuth?: SnowflakeAuthKind | undefined;
  readonly snowflakePrivateKey?: string | undefined;
}

/**
 * Snowflake credentials for the sinks, first match: the chosen `snowflakeAuth`; a private key file (key pair);
 * $SNOWFLAKE_OAUTH_TOKEN (OAuth); $SNOWFLAKE_PASSWORD (password, SQL inserts only); the SPCS token file (streaming
 * only). Secrets are read here, from files and the environment, never taken from flags or job records.
 */
export function snowflakeCredentials(
  options: CredentialSettings,
  allowed: readonly SnowflakeAuthKind[],
  env: NodeJS.ProcessEnv,
): { account: string; user: string | undefined; auth: SnowflakeCredentials } {
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
