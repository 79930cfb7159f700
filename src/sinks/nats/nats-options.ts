import { ForgeError } from '../../util/forge-error.js';
import { readInt } from '../../util/parse-int.js';
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

export const DEFAULT_NATS_STREAM = 'AMI_READINGS';
export const DEFAULT_NATS_SUBJECT_PREFIX = 'ami.readings';
export const NATS_STREAM_ENV = 'FORGE_NATS_STREAM';
export const NATS_SUBJECT_PREFIX_ENV = 'FORGE_NATS_SUBJECT_PREFIX';

/** The stream a job publishes to when none is given: $FORGE_NATS_STREAM, else AMI_READINGS (checked by the sink). */
export const defaultNatsStream = (env: NodeJS.ProcessEnv = process.env): string => env[NATS_STREAM_ENV] || DEFAULT_NATS_STREAM;

/** The subject prefix when none is given: $FORGE_NATS_SUBJECT_PREFIX, else ami.readings (checked by the sink). */
export const defaultNatsSubjectPrefix = (env: NodeJS.ProcessEnv = process.env): string => env[NATS_SUBJECT_PREFIX_ENV] || DEFAULT_NATS_SUBJECT_PREFIX;

/** The shortest duplicate window the sink accepts: re-sent readings must still be recognised (JetStream's default). */
export const MIN_DUPLICATE_WINDOW_MS = 120_000;
/**
 * For tests only: a lower minimum (milliseconds), so a test can create a stream whose duplicate window passes in a
 * second and show that a resume long after the window sends nothing twice. Not a user setting (the sink's options and
 * existing streams still need 2 minutes without it); any value that is not a whole number from 1 to 119,999 is ignored.
 */
export const TESTING_MIN_DUPLICATE_WINDOW_ENV = 'FORGE_TESTING_NATS_MIN_DUPLICATE_WINDOW_MS';

/** The least duplicate window the sink accepts: 2 minutes, unless a test lowered it (TESTING_MIN_DUPLICATE_WINDOW_ENV). */
export function minDuplicateWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const testing = readInt(env[TESTING_MIN_DUPLICATE_WINDOW_ENV]);
  return testing !== null && testing >= 1 && testing < MIN_DUPLICATE_WINDOW_MS ? testing : MIN_DUPLICATE_WINDOW_MS;
}

/** Checks a URL's form. Returns a problem (never quoting the URL, which may hold a password) or undefined. */
export const natsUrlProblem = (url: string): string | undefined => serviceUrlProblem(url, NATS_PROTOCOLS, DEFAULT_NATS_URL);

/** Checks the URL (FORGE_ERR_INVALID_CONFIG) and returns it as it may be shown: the password replaced by `***`. */
export function checkNatsUrl(url: string): string {
  const problem = natsUrlProblem(url);
  if (problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`nats url: ${problem}`]);
  return redactUrl(url).replace(/\/$/, '');
}
