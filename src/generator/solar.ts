import { STREAM } from '../fleet/streams.js';
import type { ServiceArea } from '../scenario/service-areas.js';
import { DAY_MS, HOUR_MS } from '../util/time-zone.js';
import { normal, uniform } from '../util/random.js';

const RAD = Math.PI / 180;
/** Inverter and system losses: AC output of a PV system per kW of DC capacity in full sun. */
const SYSTEM_DERATE = 0.8;
/** Clearness of a clear day: the day-level clearness at which a PV system gives its clear-sky output. */
const CLEAR_DAY = 0.75;

/** Sine of the sun's elevation at a place and instant (NOAA's simplified solar position; a few tenths of a degree). */
export function sunElevationSine(latitude: number, longitude: number, utcMs: number): number {
  const days = utcMs / DAY_MS;
  const dayOfYear = (((days % 365.2425) + 365.2425) % 365.2425) + 1;
  const b = (2 * Math.PI * (dayOfYear - 81)) / 364;
  const equationOfTimeMinutes = 9.87 * Math.sin(2 * b) - 7.53 * Math.cos(b) - 1.5 * Math.sin(b);
  const declination = 23.44 * RAD * Math.sin((2 * Math.PI * (284 + dayOfYear)) / 365);
  const utcHours = ((utcMs % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
  const solarHours = utcHours + longitude / 15 + equationOfTimeMinutes / 60;
  const hourAngle = 15 * RAD * (solarHours - 12);
  const lat = latitude * RAD;
  return Math.sin(lat) * Math.sin(declination) + Math.cos(lat) * Math.cos(declination) * Math.cos(hourAngle);
}

/**
 * Output of rooftop PV per kW of DC capacity, as a share of one kW, at the service area's centre: clear-sky
 * irradiance from the sun's elevation, times the day's cloudiness (climatological clearness for the month, January
 * to July, with day-to-day variation) and, on partly cloudy days, passing clouds hour by hour. Zero at night.
 * A pure function of (seed, area, time): every PV home of the area sees the same sky.
 */
export class Solar {
  constructor(
    private readonly area: ServiceArea,
    private readonly seed: number,
  ) {}

  outputPerKw(utcMs: number, localDayNumber: number): number {
    const sine = sunElevationSine(this.area.latitude, this.area.longitude, utcMs);
    if (sine <= 0) return 0;
    const clearSky = Math.pow(sine, 1.15);
    const day = this.dayClearness(localDayNumber);
    // Passing clouds: smooth hourly noise whose depth grows as the day gets cloudier.
    const hours = utcMs / HOUR_MS;
    const h0 = Math.floor(hours);
    const f = hours - h0;
    const w = 0.5 - 0.5 * Math.cos(Math.PI * f);
    const a = uniform(this.seed, STREAM.CLOUD, h0, 2);
    const c = uniform(this.seed, STREAM.CLOUD, h0 + 1, 2);
    const passing = 1 - Math.min(0.9, 1.6 * Math.max(0, CLEAR_DAY - day)) * (a + (c - a) * w);
    return SYSTEM_DERATE * clearSky * Math.min(1, day / CLEAR_DAY) * passing;
  }

  /** Day-level clearness: the month's climatology (cosine between January and July values) plus weather. */
  dayClearness(localDayNumber: number): number {
    const dayOfYear = ((localDayNumber % 365.2425) + 365.2425) % 365.2425;
    const [january, july] = this.area.clearness;
    const season = 0.5 - 0.5 * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.2425);
    const mean = january + (july - january) * season;
    return Math.min(0.82, Math.max(0.06, mean + 0.2 * normal(this.seed, STREAM.CLOUD, localDayNumber, 1)));
  }
}
