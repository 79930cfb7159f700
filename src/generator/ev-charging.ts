import { STREAM } from '../fleet/streams.js';
import { hash32, lognormal, normal, uniform } from '../util/random.js';
import { DAY_MS, HOUR_MS } from '../util/time-zone.js';

/**
 * Home EV charging sessions, a pure function of (seed, meter, local day): on most days the car plugs in on arrival
 * in the evening (about 18:00, spread 1.3 h) or, for owners on a time-of-use timer, at 23:00; it draws the charger's
 * power until the day's energy (lognormal around 9 kWh, about 35 miles) is in. Sessions are in local wall-clock time;
 * one that starts late runs into the next day, which looks one day back to find it.
 */
const WEEKDAY_CHANCE = 0.6;
const WEEKEND_CHANCE = 0.45;
const TIMER_SHARE = 0.3;
const MEAN_SESSION_KWH = 9;

/** Appends the (start, end) wall-clock ms of the meter's sessions that overlap [fromWallMs, toWallMs). */
export function evSessions(seed: number, meterNumber: number, chargerKw: number, fromWallMs: number, toWallMs: number, out: number[]): void {
  const timer = uniform(seed, STREAM.EV_SESSION, meterNumber, 0) < TIMER_SHARE;
  for (let day = Math.floor(fromWallMs / DAY_MS) - 1; day * DAY_MS < toWallMs; day++) {
    const key = hash32(seed, STREAM.EV_SESSION, meterNumber, day);
    const weekday = (day + 4) % 7;
    const chance = weekday === 0 || weekday === 6 ? WEEKEND_CHANCE : WEEKDAY_CHANCE;
    if (key / 4294967296 >= chance) continue;
    const startHour = timer
      ? 23 + 0.5 * uniform(seed, STREAM.EV_SESSION, meterNumber, day + 1_000_000)
      : Math.min(23.5, Math.max(15, 18.3 + 1.3 * normal(seed, STREAM.EV_SESSION + 1, meterNumber, day)));
    const kwh = Math.min(60, lognormal(MEAN_SESSION_KWH, 0.5, normal(seed, STREAM.EV_SESSION + 2, meterNumber, day)));
    const start = day * DAY_MS + startHour * HOUR_MS;
    const end = start + (kwh / chargerKw) * HOUR_MS;
    if (end > fromWallMs && start < toWallMs) out.push(start, end);
  }
}
