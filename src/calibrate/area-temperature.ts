import { Weather } from '../generator/weather.js';
import { SERVICE_AREAS, type ServiceAreaName } from '../scenario/service-areas.js';
import { MINUTE_MS } from '../util/time-zone.js';
import type { SamplePanel } from './fit-calibration.js';

/**
 * Outdoor temperature of each interval of a sample that has none, derived from its service area: the area's climate
 * normal for the date and hour (the generator's weather model without its warm and cold spells, which are drawn from
 * a seed and are nobody's real weather). The temperature fit then sees the seasonal swing of the area's climate, not
 * the day-to-day weather the homes lived through: a slope fitted against it is unbiased when the real weather varies
 * around the normal independently of it, but noisier than one fitted against measured temperatures.
 */
export function areaNormalTemperature(panel: Pick<SamplePanel, 'wallClockMs' | 'intervalMinutes'>, area: ServiceAreaName): Float64Array {
  // The seed only moves the spells, which are not used.
  const weather = new Weather(SERVICE_AREAS[area], 0);
  const half = (panel.intervalMinutes * MINUTE_MS) / 2;
  return Float64Array.from(panel.wallClockMs, (ms) => weather.normalTemperatureAt(ms + half));
}
