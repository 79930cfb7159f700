import { ForgeError } from '../../util/forge-error.js';
import { redactUrl, serviceUrlProblem } from '../../util/service-url.js';

/**
 * The Redis Streams sink's settings that are checked without loading the client library, so the option schema can
 * validate them at the boundary (invariant 5) and the sink can check them again.
 */

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const REDIS_URL_ENV = 'FORGE_REDIS_URL';
export const DEFAULT_REDIS_STREAM = 'ami:readings';
/** Entries a stream keeps (approximately: `MAXLEN ~`); 0 keeps everything. Bounds Redis's memory on a long backfill. */
export const DEFAULT_REDIS_MAXLEN = 1_000_000;
const REDIS_PROTOCOLS = ['redis:', 'rediss:'];

/** The URL a job uses when none is given: $FORGE_REDIS_URL, else the local server. */
export const defaultRedisUrl = (env: NodeJS.ProcessEnv = process.env): string => env[REDIS_URL_ENV] || DEFAULT_REDIS_URL;

/** Checks a URL's form. Returns a problem (never quoting the URL, which may hold a password) or undefined. */
export function redisUrlProblem(url: string): string | undefined {
  const problem = serviceUrlProblem(url, REDIS_PROTOCOLS, DEFAULT_REDIS_URL);
  if (problem) return problem;
  const db = new URL(url).pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) return 'the path names a database number (e.g. redis://host:6379/0)';
  return undefined;
}

/** Checks the URL (FORGE_ERR_INVALID_CONFIG) and returns it as it may be shown: the password replaced by `***`. */
export function checkRedisUrl(url: string): string {
  const problem = redisUrlProblem(url);
  if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`redis url: ${problem}`]);
  return redactUrl(url).replace(/\/$/, '');
}

/**
 * A stream key: printable ASCII without spaces, at most 200 characters (Redis allows any bytes; a key a shell,
 * a log line and redis-cli all show as it is keeps operations simple).
 */
export function redisStreamProblem(key: string): string | undefined {
  return /^[!-~]{1,200}$/.test(key) ? undefined : 'expected 1 to 200 printable characters without spaces, e.g. ami:readings';
}

export function checkRedisStream(key: string): string {
  const problem = redisStreamProblem(key);
  if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`redis stream "${key.slice(0, 40)}": ${problem}`]);
  return key;
}
