import { ForgeError } from '../../util/forge-error.js';

/** Characters a topic level may not hold: the wildcards, the level separator and NUL (MQTT 3.1.1, 4.7). */
const FORBIDDEN_CHARS = ['+', '#', '/', '\0'];
const isForbidden = (value: string): boolean => FORBIDDEN_CHARS.some((c) => value.includes(c));

/**
 * Checks one topic level built from data (an area, substation or meter id): a value holding a wildcard or a `/` would
 * publish to a topic other than the reading's, so it is refused rather than escaped.
 */
export function checkTopicLevel(value: string, what: string): string {
  if (value.length === 0) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [value, `${what} is empty; an MQTT topic level needs a name`]);
  if (isForbidden(value)) {
    throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [value.replaceAll('\0', '\\0'), `${what} may not hold +, #, / or NUL in an MQTT topic level`]);
  }
  return value;
}

/**
 * Checks a topic prefix: one or more levels separated by `/` (e.g. `ami` or `test-1234/ami`), each non-empty and free
 * of wildcards and NUL. A leading `$` is refused too: brokers reserve `$SYS/...` and a `#` subscriber would not see it.
 */
export function checkTopicPrefix(prefix: string): string {
  if (prefix.startsWith('$')) throw new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', [prefix, 'an MQTT topic prefix may not start with $ (reserved by brokers)']);
  for (const level of prefix.split('/')) checkTopicLevel(level, 'each level of the topic prefix');
  return prefix;
}

/** The topic of one meter's readings: `<prefix>/<area>/<substation_id>/<meter_id>/reading`. */
export const readingTopic = (prefix: string, area: string, substationId: string, meterId: string): string =>
  `${prefix}/${area}/${substationId}/${meterId}/reading`;
