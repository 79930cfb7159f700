import { PROFILE_NAMES } from '../../src/fleet/load-profiles.js';
import { DATA_QUALITIES, eventCode, type DataQuality, type EventType } from '../../src/scenario/enums.js';

/** Local hour 0-23 and day of week (0 = Sunday) of a wall-clock timestamp (ReadingBatch.tsLocalMs). */
export const hourOf = (wallMs: number): number => new Date(wallMs).getUTCHours();
export const dayOfWeekOf = (wallMs: number): number => new Date(wallMs).getUTCDay();

/** Quality codes of the batch columns, by name. */
export const Q = Object.fromEntries(DATA_QUALITIES.map((q, i) => [q, i])) as Record<DataQuality, number>;

/** Event codes of the batch columns, by name (0 is no event). */
export const E = {
  OUTAGE: eventCode('OUTAGE'),
  LAST_GASP: eventCode('LAST_GASP'),
  POWER_RESTORE: eventCode('POWER_RESTORE'),
  ESTIMATED_READ: eventCode('ESTIMATED_READ'),
  USAGE_SPIKE: eventCode('USAGE_SPIKE'),
  VOLTAGE_SAG: eventCode('VOLTAGE_SAG'),
  VOLTAGE_SWELL: eventCode('VOLTAGE_SWELL'),
  TAMPER: eventCode('TAMPER'),
  METER_FAULT: eventCode('METER_FAULT'),
} as const satisfies Record<EventType, number>;

/** Profile code (index into PROFILES) of a profile name; throws on an unknown name so a rename cannot pass silently. */
export function profileCode(name: string): number {
  const code = PROFILE_NAMES.indexOf(name);
  if (code < 0) throw new Error(`no load profile ${name}`);
  return code;
}

/** A running mean. */
export class Mean {
  private sum = 0;
  private n = 0;
  add(v: number): void {
    this.sum += v;
    this.n++;
  }
  get count(): number {
    return this.n;
  }
  get value(): number {
    return this.sum / this.n;
  }
}

/** Running means under string keys. */
export class Means {
  private readonly means = new Map<string, Mean>();
  add(key: string, v: number): void {
    let m = this.means.get(key);
    if (!m) this.means.set(key, (m = new Mean()));
    m.add(v);
  }
  /** The mean of a key; throws when nothing was added under it (a test must not compare NaN by accident). */
  get(key: string): number {
    const m = this.means.get(key);
    if (!m || m.count === 0) throw new Error(`no values under ${key}`);
    return m.value;
  }
  count(key: string): number {
    return this.means.get(key)?.count ?? 0;
  }
}
