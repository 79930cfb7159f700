/**
 * The one place secrets are taken out of anything shown: job records (`forge jobs`, the jobs API, SSE), summaries,
 * logs and error messages. Three layers, each total over its input:
 *
 * - `redactUrl`: a connection URL (Postgres, MQTT, NATS, S3, Snowflake) with its password, a NATS token
 *   (`nats://token@host`) and credential-like query parameters (`password`, `token`, `secret`, `...key`) as `***`.
 * - `redactText`: free text (an error a client library wrote, a summary line): every URL with credentials inside it
 *   redacted as above, and every secret the process knows from its environment (`SECRET_ENV`) replaced by `***`.
 * - `redactSecrets`: any JSON-like value (a job record, an SSE event): every string through `redactText`, every value
 *   of a secret-named key (`password`, `passphrase`, `token`, `secret`, `privateKeyPem`, ...) replaced by `***`.
 *
 * Nothing here throws: a URL that does not parse is shown as `<unparseable URL>` when it held an `@`, else as is.
 * Hosts, ports, users (other than a NATS token) and database names stay visible: an operator needs them.
 */

const SHOWN = '***';

/** Schemes whose user part alone is a secret (NATS token authentication: `nats://s3cr3t@host:4222`). */
const TOKEN_USER_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

/** Query parameters that carry credentials (Postgres `password`/`sslpassword`, S3 presigned signatures, tokens). */
const SECRET_PARAM = /pass|pwd|token|secret|signature|credential|key$/i;

/** Keys of a structured value whose values are secrets whatever they look like. */
const SECRET_KEY = /^(password|passwd|pass|passphrase|token|secret|privatekeypem|privatekey|secretaccesskey|sessiontoken|apitoken|authorization|oauthtoken)$/i;

/** Environment variables that hold secrets (or URLs that may): their values never appear in anything shown. */
export const SECRET_ENV = [
  'FORGE_API_TOKEN',
  'SNOWFLAKE_PASSWORD',
  'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
  'SNOWFLAKE_OAUTH_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'PGPASSWORD',
] as const;
const URL_ENV = ['FORGE_PG_URL', 'DATABASE_URL', 'FORGE_MQTT_URL', 'FORGE_NATS_URL'] as const;

/** The URL with its credentials as `***` (see the module comment). */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.includes('@') ? '<unparseable URL>' : url;
  }
  if (parsed.password) parsed.password = SHOWN;
  else if (parsed.username && TOKEN_USER_SCHEMES.has(parsed.protocol)) parsed.username = SHOWN;
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, SHOWN);
  }
  // URLSearchParams encodes `***` as `%2A%2A%2A`: keep it readable.
  return parsed.toString().replaceAll('%2A%2A%2A', SHOWN);
}

/** `scheme://...` up to whitespace or a quote, or the end. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * Free text with every credential-bearing URL redacted and every known secret value (`secrets`, by default those of
 * the environment: SECRET_ENV and the passwords of the URL variables) replaced by `***`.
 */
export function redactText(text: string, secrets: readonly string[] = environmentSecrets()): string {
  let shown = text.replace(URL_IN_TEXT, (match) => {
    // Trailing punctuation of a sentence is not part of the URL.
    const [, url = match, tail = ''] = /^(.*?)([.,;:)\]]*)$/.exec(match) ?? [];
    return hasCredentials(url) ? `${redactUrl(url)}${tail}` : match;
  });
  for (const secret of secrets) if (secret.length >= 4) shown = shown.split(secret).join(SHOWN);
  return shown;
}

/** A copy of a JSON-like value with every secret redacted (strings by redactText, secret-named keys as `***`). */
export function redactSecrets<T>(value: T, secrets: readonly string[] = environmentSecrets()): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => walk(v, secrets));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '' ? SHOWN : walk(v, secrets)]),
    );
  }
  return value;
}

/** Whether showing the URL as is would show a credential. */
function hasCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}

/** The secret values of the environment: SECRET_ENV's values and the passwords or tokens inside URL_ENV's URLs. */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets: string[] = [];
  for (const name of SECRET_ENV) {
    const value = env[name];
    if (value) secrets.push(value);
  }
  for (const name of URL_ENV) {
    const value = env[name];
    if (!value) continue;
    try {
      const parsed = new URL(value);
      if (parsed.password) secrets.push(decodeURIComponent(parsed.password), parsed.password);
      else if (parsed.username && TOKEN_USER_SCHEMES.has(parsed.protocol)) secrets.push(decodeURIComponent(parsed.username), parsed.username);
    } catch {
      // Not a URL: the sink refuses it with its own message, which never quotes it.
    }
  }
  return [...new Set(secrets)];
}
