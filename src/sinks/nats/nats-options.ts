import { ForgeError } from '../../util/forge-error.js';
import { redactUrl, serviceUrlProblem } from '../../util/service-url.js';

/**
 * The NATS sink's server URL, checked without loading the client library, so the option schema
 * (jobs/output-options.ts) can validate it at the boundary (invariant 5) and the sink can check it again.
 */

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const NATS_URL_ENV = 'FORGE_NATS_URL';
const NATS_PROTOCOLS = ['nats:', 'tls:', 'ws:', 'wss:'];

/** The URL a job uses when none is given: $FORGE_NATS_URL, else the local server. */
export const defaultNatsUrl = (env: NodeJS.ProcessEnv = process.env): string => env[NATS_URL_ENV] || DEFAULT_NATS_URL;

/** Checks a URL's form. Returns a problem (never quoting the URL, which may hold a password) or undefined. */
export const natsUrlProblem = (url: string): string | undefined => serviceUrlProblem(url, NATS_PROTOCOLS, DEFAULT_NATS_URL);

/** Checks the URL (FORGE_ERR_INVALID_CONFIG) and returns it as it may be shown: the password replaced by `***`. */
export function checkNatsUrl(url: string): string {
  const problem = natsUrlProblem(url);
  if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`nats url: ${problem}`]);
  return redactUrl(url).replace(/\/$/, '');
}
