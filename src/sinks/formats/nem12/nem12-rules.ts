import { A_REASONS_NEEDING_EVENTS, MAX_REASON_CODE, METHOD_FLAGS, QUALITY_FLAGS, type Nem12Day, type Nem12IntervalEvent, type QualityFlag } from './nem12-records.js';

/**
 * The MDFF's rules for QualityMethod, ReasonCode and ReasonDescription, and for the 400 records of a day, each as a
 * function returning what is wrong (or undefined). The renderer asserts them on what it writes, the parser checks them
 * on what it reads, so a file that breaks one is never written and never read as if it were sound.
 */

/**
 * A QualityMethod with its reason, in a 300 record (`inEvent` false) or a 400 record:
 * - the quality flag is one of A, E, F, N, S, V; V only in a 300 record;
 * - E, F and S carry a two-digit method flag (QMM, e.g. S15), A, N and V none;
 * - a ReasonCode is required with S and F, optional with A, E and N, and not allowed with V;
 * - a ReasonCode is 0 to 99, and 0 (free text) needs a ReasonDescription.
 */
export function qualityProblem(qualityMethod: string, reasonCode: number | undefined, reasonDescription: string | undefined, inEvent: boolean): string | undefined {
  const flag = qualityMethod.charAt(0) as QualityFlag;
  if (!QUALITY_FLAGS.includes(flag)) return `QualityMethod "${qualityMethod}" has no quality flag (A, E, F, N, S or V)`;
  if (flag === 'V' && inEvent) return 'quality flag V is not allowed in a 400 record';
  const needsMethod = flag === 'E' || flag === 'F' || flag === 'S';
  if (needsMethod) {
    if (!/^[EFS]\d{2}$/.test(qualityMethod)) return `QualityMethod "${qualityMethod}": quality flag ${flag} needs a two-digit method flag (e.g. ${flag}14)`;
    if (!METHOD_FLAGS.has(Number(qualityMethod.slice(1)))) return `QualityMethod "${qualityMethod}": unknown method flag ${qualityMethod.slice(1)}`;
  } else if (qualityMethod.length !== 1) {
    return `QualityMethod "${qualityMethod}": quality flag ${flag} takes no method flag`;
  }
  if (reasonCode === undefined) {
    if (flag === 'S' || flag === 'F') return `QualityMethod "${qualityMethod}" needs a ReasonCode`;
    if (reasonDescription) return 'a ReasonDescription without a ReasonCode';
    return undefined;
  }
  if (flag === 'V') return 'quality flag V takes no ReasonCode (the reasons are in its 400 records)';
  if (!Number.isInteger(reasonCode) || reasonCode < 0 || reasonCode > MAX_REASON_CODE) return `ReasonCode ${reasonCode} is not 0 to ${MAX_REASON_CODE}`;
  if (reasonCode === 0 && !reasonDescription) return 'ReasonCode 0 (free text) needs a ReasonDescription';
  return undefined;
}

/** Whether a 300 record's quality needs 400 records: V, or A with reason 79, 89 or 61. */
export const needsEvents = (qualityMethod: string, reasonCode: number | undefined): boolean =>
  qualityMethod === 'V' || (qualityMethod === 'A' && reasonCode !== undefined && A_REASONS_NEEDING_EVENTS.has(reasonCode));

/**
 * A day's 400 records: present exactly when its 300 record needs them; in ascending order, each StartInterval <=
 * EndInterval, together covering intervals 1 to `intervals` without gap or overlap; each with a sound quality.
 */
export function eventsProblem(day: Pick<Nem12Day, 'qualityMethod' | 'reasonCode' | 'events'>, intervals: number): string | undefined {
  const events: readonly Nem12IntervalEvent[] = day.events;
  const needed = needsEvents(day.qualityMethod, day.reasonCode);
  if (!needed) return events.length === 0 ? undefined : `400 records after a 300 record of quality ${day.qualityMethod}${day.reasonCode === undefined ? '' : ` ${day.reasonCode}`}, which needs none`;
  if (events.length === 0) return `a 300 record of quality ${day.qualityMethod}${day.reasonCode === undefined ? '' : ` ${day.reasonCode}`} needs 400 records`;
  let next = 1;
  for (const e of events) {
    if (!Number.isInteger(e.startInterval) || !Number.isInteger(e.endInterval)) return '400 record intervals must be whole numbers';
    if (e.startInterval > e.endInterval) return `400 record ${e.startInterval}-${e.endInterval}: StartInterval after EndInterval`;
    if (e.startInterval !== next) return `400 records must cover the day in ascending order without gaps or overlaps: expected StartInterval ${next}, found ${e.startInterval}`;
    const problem = qualityProblem(e.qualityMethod, e.reasonCode, e.reasonDescription, true);
    if (problem) return `400 record ${e.startInterval}-${e.endInterval}: ${problem}`;
    next = e.endInterval + 1;
  }
  if (next !== intervals + 1) return `400 records end at interval ${next - 1}, not at the day's last interval ${intervals}`;
  return undefined;
}

/** CCYYMMDD of a real calendar date. */
export function isDate8(text: string): boolean {
  if (!/^\d{8}$/.test(text)) return false;
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(4, 6));
  const d = Number(text.slice(6, 8));
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** CCYYMMDDhhmm (12) or CCYYMMDDhhmmss (14) of a real date and time. */
export function isDateTime(text: string, length: 12 | 14): boolean {
  if (text.length !== length || !/^\d+$/.test(text) || !isDate8(text.slice(0, 8))) return false;
  const h = Number(text.slice(8, 10));
  const min = Number(text.slice(10, 12));
  const s = length === 14 ? Number(text.slice(12, 14)) : 0;
  return h < 24 && min < 60 && s < 60;
}

/** An interval value as the MDFF allows it: a non-negative decimal, no exponent. */
export const isIntervalValue = (text: string): boolean => /^\d+(\.\d+)?$/.test(text);
