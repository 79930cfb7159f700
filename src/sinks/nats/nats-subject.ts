import { ForgeError } from '../../util/forge-error.js';

/**
 * One subject token: letters, digits, `_` and `-` only. NATS forbids `.`, `*`, `>` and white space in a token; the
 * narrower set also keeps subjects readable and shell-safe. Refused, never escaped (invariant 5).
 */
const TOKEN = /^[A-Za-z0-9_-]+$/;
/** JetStream stream names may not hold white space, `.`, `*`, `>` or path separators; the same narrow set is used. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function checkSubjectToken(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [value, `${what} must be letters, digits, _ or - to be a NATS subject token`]);
  }
  return value;
}

/** A subject prefix: tokens separated by `.`, e.g. `ami.readings` or `forge-test-1234.ami.readings`. */
export function checkSubjectPrefix(prefix: string): string {
  for (const token of prefix.split('.')) checkSubjectToken(token, 'each token of the subject prefix');
  return prefix;
}

export function checkStreamName(name: string): string {
  if (!STREAM_NAME.test(name)) {
    throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [name, 'a JetStream stream name must be 1 to 64 letters, digits, _ or -']);
  }
  return name;
}

/** The subject of a service area's readings: `<prefix>.<area>`. */
export const readingSubject = (prefix: string, area: string): string => `${prefix}.${area}`;

/** The subjects a stream created by the sink captures: every area under the prefix. */
export const streamSubjects = (prefix: string): string => `${prefix}.>`;
