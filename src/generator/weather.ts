import type { ServiceArea } from '../scenario/service-areas.js';
import { normal } from '../util/random.js';
import { STREAM } from '../fleet/streams.js';
import { DAY_MS } from '../util/time-zone.js';

/** Mid-month day of year for each month's normal (non-leap), for interpolation. */
const MID_MONTH_DOY = [15.5, 45, 74.5, 105, 135.5, 166, 196.5, 227.5, 258, 288.5, 319, 349.5];

/**
 * A synthetic but plausible outdoor temperature for a service area, a pure function of (seed, area, time):
 * the month's climate normal (interpolated through the year), a daily cycle peaking mid-afternoon, and multi-day warm
 * and cold spells (smooth noise on 4-day knots plus a day-to-day component).
 */
export class Weather {
  private readonly area: ServiceArea;
  private readonly seed: number;

  constructor(area: ServiceArea, seed: number) {
    this.area = area;
    this.seed = seed;
  }

  /** Degrees C at an instant, given its local wall-clock milliseconds. */
  temperatureAt(localMs: number): number {
    return this.normalTemperatureAt(localMs) + this.spell(localMs / DAY_MS);
  }

  /** The climate alone (normal for the date and hour), without warm and cold spells. */
  normalTemperatureAt(localMs: number): number {
    const localDays = localMs / DAY_MS;
    const dayOfYear = ((localDays % 365.2425) + 365.2425) % 365.2425;
    const hour = (localDays - Math.floor(localDays)) * 24;
    return this.climateNormal(dayOfYear) + (this.area.dailyRangeC / 2) * Math.cos((2 * Math.PI * (hour - 15)) / 24);
  }

  private climateNormal(dayOfYear: number): number {
    const m = this.area.monthlyMeanC;
    let i = MID_MONTH_DOY.findIndex((d) => d > dayOfYear) - 1;
    if (i === -2) i = 11;
    const j = (i + 1) % 12;
    const d0 = i < 0 ? MID_MONTH_DOY[11]! - 365 : MID_MONTH_DOY[i]!;
    const d1 = j === 0 && i >= 0 ? MID_MONTH_DOY[0]! + 365 : MID_MONTH_DOY[j]!;
    const f = (dayOfYear - d0) / (d1 - d0);
    const a = m[i < 0 ? 11 : i]!;
    const b = m[j]!;
    return a + (b - a) * (0.5 - 0.5 * Math.cos(Math.PI * f));
  }

  private spell(localDays: number): number {
    const knot = localDays / 4;
    const k0 = Math.floor(knot);
    const f = knot - k0;
    const w = 0.5 - 0.5 * Math.cos(Math.PI * f);
    const a = normal(this.seed, STREAM.WEATHER, k0, 1);
    const b = normal(this.seed, STREAM.WEATHER, k0 + 1, 1);
    const day = Math.floor(localDays);
    const g = localDays - day;
    const d0 = normal(this.seed, STREAM.WEATHER, day, 2);
    const d1 = normal(this.seed, STREAM.WEATHER, day + 1, 2);
    return 3.2 * (a + (b - a) * w) + 1.2 * (d0 + (d1 - d0) * (0.5 - 0.5 * Math.cos(Math.PI * g)));
  }
}
