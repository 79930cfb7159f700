import { HOUR_MS } from '../util/time-zone.js';
import type { Weather } from './weather.js';

const GRID_MIN = -15;
const GRID_MAX = 40;
const GRID_STEP = 0.25;

/**
 * Mean degrees above (cooling) or below (heating) a balance point over a climatological year of the area, hour by
 * hour, for any balance point: what a meter's weather response adds on average, so that its level can be an annual
 * mean. Tabulated once per generator on a 0.25 C grid and interpolated, since every meter has its own balance points.
 */
export class DegreeHours {
  private readonly coolingTable: Float64Array;
  private readonly heatingTable: Float64Array;

  constructor(weather: Weather) {
    const hours = 365 * 24;
    const temps = new Float64Array(hours);
    for (let h = 0; h < hours; h++) temps[h] = weather.normalTemperatureAt(h * HOUR_MS + HOUR_MS / 2);
    const size = Math.round((GRID_MAX - GRID_MIN) / GRID_STEP) + 1;
    this.coolingTable = new Float64Array(size);
    this.heatingTable = new Float64Array(size);
    for (let g = 0; g < size; g++) {
      const balance = GRID_MIN + g * GRID_STEP;
      let cooling = 0;
      let heating = 0;
      for (let h = 0; h < hours; h++) {
        const t = temps[h]!;
        if (t > balance) cooling += t - balance;
        else heating += balance - t;
      }
      this.coolingTable[g] = cooling / hours;
      this.heatingTable[g] = heating / hours;
    }
  }

  cooling(balanceC: number): number {
    return this.lookup(this.coolingTable, balanceC);
  }

  heating(balanceC: number): number {
    return this.lookup(this.heatingTable, balanceC);
  }

  private lookup(table: Float64Array, balanceC: number): number {
    const x = (Math.min(GRID_MAX, Math.max(GRID_MIN, balanceC)) - GRID_MIN) / GRID_STEP;
    const i = Math.min(table.length - 2, Math.floor(x));
    const f = x - i;
    return table[i]! + (table[i + 1]! - table[i]!) * f;
  }
}
