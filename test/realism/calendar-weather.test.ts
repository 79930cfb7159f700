import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { isHoliday } from '../../src/generator/holidays.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { SERVICE_AREAS } from '../../src/scenario/service-areas.js';
import { resolveScenario, type Scenario } from '../../src/scenario/scenario.js';
import { correlation } from '../../src/validate/household-statistics.js';
import { hourOf, Mean, profileCode } from '../support/realism.js';

const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

describe('US federal holidays as observed', () => {
  it('knows the holidays of 2025, and the days around them are ordinary', () => {
    const holidays2025 = [
      '2025-01-01', '2025-01-20', '2025-02-17', '2025-05-26', '2025-06-19', '2025-07-04',
      '2025-09-01', '2025-10-13', '2025-11-11', '2025-11-27', '2025-12-25',
    ];
    for (const date of holidays2025) expect(isHoliday(dayNumber(date)), date).toBe(true);
    for (const date of ['2025-01-02', '2025-07-03', '2025-07-05', '2025-11-26', '2025-11-28', '2025-12-24', '2025-12-26']) {
      expect(isHoliday(dayNumber(date)), date).toBe(false);
    }
    let count = 0;
    for (let d = dayNumber('2025-01-01'); d < dayNumber('2026-01-01'); d++) if (isHoliday(d)) count++;
    expect(count).toBe(11);
  });

  it('moves a Saturday holiday to the Friday before and a Sunday holiday to the Monday after, across year ends', () => {
    const observed: [string, boolean][] = [
      ['2021-12-24', true], // Christmas 2021 fell on a Saturday
      ['2021-12-25', false],
      ['2021-12-31', true], // New Year's Day 2022 fell on a Saturday: observed in 2021
      ['2022-01-01', false],
      ['2021-07-05', true], // Independence Day 2021, a Sunday
      ['2021-07-04', false],
      ['2022-12-26', true], // Christmas 2022, a Sunday
      ['2023-01-02', true], // New Year's Day 2023, a Sunday
      ['2023-01-01', false],
      ['2026-07-03', true], // Independence Day 2026, a Saturday
      ['2026-07-04', false],
      ['2027-06-18', true], // Juneteenth 2027, a Saturday
      ['2024-11-28', true], // Thanksgiving: fourth Thursday
      ['2026-11-26', true],
      ['2026-11-19', false],
      ['2024-05-27', true], // Memorial Day: last Monday of May
      ['2024-05-20', false],
    ];
    for (const [date, holiday] of observed) expect(isHoliday(dayNumber(date)), date).toBe(holiday);
    // 2022 keeps ten of its eleven holidays: its New Year's Day was observed on 31 December 2021.
    let count = 0;
    for (let d = dayNumber('2022-01-01'); d < dayNumber('2023-01-01'); d++) if (isHoliday(d)) count++;
    expect(count).toBe(10);
  });

  it('has Juneteenth from 2021 only (historical backfills must not close offices on 19 June 2020)', () => {
    // Signed on 17 June 2021 and first observed on Friday 18 June 2021; before, 19 June was an ordinary day.
    expect(isHoliday(dayNumber('2021-06-18'))).toBe(true);
    expect(isHoliday(dayNumber('2022-06-20'))).toBe(true); // 19 June 2022, a Sunday
    expect(isHoliday(dayNumber('2020-06-19'))).toBe(false); // a Friday
    expect(isHoliday(dayNumber('2019-06-19'))).toBe(false); // a Wednesday
    let count = 0;
    for (let d = dayNumber('2020-01-01'); d < dayNumber('2021-01-01'); d++) if (isHoliday(d)) count++;
    expect(count).toBe(10);
  });

  it("turns an office's weekday into a Sunday: Independence Day 2025 (a Friday) and Thanksgiving 2025", () => {
    const office = profileCode('OFFICE');
    const dayMeans = (start: string): Map<string, number> => {
      // Commercial meters only, hourly, in Houston; the office daytime (10:00-15:00) mean of each day.
      const scenario = resolveScenario({ area: 'TEXAS_GULF_COAST', start, days: 8, meters: 200, mix: '0/100/0', seed: 42, interval: 60 });
      const fleet = buildFleet(scenario);
      const generator = new ReadingGenerator(scenario, fleet);
      const out = new Map<string, number>();
      let offices = 0;
      for (let m = 0; m < fleet.size; m++) if (fleet.traits.profile[m] === office) offices++;
      expect(offices).toBeGreaterThanOrEqual(20);
      for (const day of generationDays(scenario)) {
        const batch = generator.generate(day, 0, scenario.meters);
        const mean = new Mean();
        for (let r = 0; r < batch.length; r++) {
          const hour = hourOf(batch.tsLocalMs[r]!);
          if (fleet.traits.profile[batch.meterIndex[r]!] !== office || batch.isOutage[r] || hour < 10 || hour >= 15) continue;
          mean.add(batch.usageKwh[r]!);
        }
        out.set(day.localDate, mean.value);
      }
      return out;
    };

    const july = dayMeans('2025-06-30');
    const julyWeekday = (july.get('2025-06-30')! + july.get('2025-07-01')! + july.get('2025-07-02')! + july.get('2025-07-03')! + july.get('2025-07-07')!) / 5;
    const julyFourth = july.get('2025-07-04')!;
    const julySunday = july.get('2025-07-06')!;
    expect(julyFourth).toBeLessThan(0.5 * julyWeekday);
    expect(julyFourth / julySunday).toBeGreaterThan(0.75);
    expect(julyFourth / julySunday).toBeLessThan(1.33);

    const november = dayMeans('2025-11-23');
    const novemberWeekday = (november.get('2025-11-24')! + november.get('2025-11-25')! + november.get('2025-11-26')!) / 3;
    const thanksgiving = november.get('2025-11-27')!;
    const novemberSunday = november.get('2025-11-30')!;
    expect(thanksgiving).toBeLessThan(0.5 * novemberWeekday);
    expect(thanksgiving / novemberSunday).toBeGreaterThan(0.75);
    expect(thanksgiving / novemberSunday).toBeLessThan(1.33);
    // The Friday after Thanksgiving is not a federal holiday: offices work.
    expect(november.get('2025-11-28')!).toBeGreaterThan(0.7 * novemberWeekday);
  });
});

/** Residential meters only, hourly, without PV or EVs, so the weather response is all that differs between months. */
const homes = (area: string, start: string, days = 30, meters = 200): Scenario =>
  resolveScenario({ area, start, days, meters, mix: '100/0/0', pvShare: 0, evShare: 0, seed: 42, interval: 60 });

/** Mean temperature and mean residential kWh per hour over the scenario. */
function monthMeans(scenario: Scenario): { temperature: number; kwh: number } {
  const generator = new ReadingGenerator(scenario);
  const temperature = new Mean();
  const kwh = new Mean();
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    // Every meter of the area reports the same temperature: the first meter's rows are the day's temperatures.
    for (let r = 0; r < day.intervals; r++) temperature.add(batch.temperatureC[r]!);
    for (let r = 0; r < batch.length; r++) if (!batch.isOutage[r]) kwh.add(batch.usageKwh[r]!);
  }
  return { temperature: temperature.value, kwh: kwh.value };
}

describe('weather drives load', () => {
  type Month = ReturnType<typeof monthMeans>;
  let houstonJuly: Month;
  let houstonJanuary: Month;
  let houstonApril: Month;
  let seattleJanuary: Month;
  let seattleJuly: Month;

  beforeAll(() => {
    houstonJuly = monthMeans(homes('TEXAS_GULF_COAST', '2025-07-01', 31));
    houstonJanuary = monthMeans(homes('TEXAS_GULF_COAST', '2025-01-01', 31));
    houstonApril = monthMeans(homes('TEXAS_GULF_COAST', '2025-04-01', 30));
    seattleJanuary = monthMeans(homes('PACIFIC_NORTHWEST', '2025-01-01', 31));
    seattleJuly = monthMeans(homes('PACIFIC_NORTHWEST', '2025-07-01', 31));
  });

  it('temperature_c follows the monthly normals (Houston July about 29 C, January about 12 C, within 3 C over the month)', () => {
    const houston = SERVICE_AREAS.TEXAS_GULF_COAST.monthlyMeanC;
    expect(houston[6]).toBeCloseTo(29.3, 0);
    expect(houston[0]).toBeCloseTo(11.8, 0);
    expect(Math.abs(houstonJuly.temperature - 29.3)).toBeLessThan(3);
    expect(Math.abs(houstonJanuary.temperature - 11.8)).toBeLessThan(3);
    const seattle = SERVICE_AREAS.PACIFIC_NORTHWEST.monthlyMeanC;
    expect(Math.abs(seattleJanuary.temperature - seattle[0]!)).toBeLessThan(3);
    expect(Math.abs(seattleJuly.temperature - seattle[6]!)).toBeLessThan(3);
  });

  it('temperature has a daily cycle (afternoon warmer than dawn) and day-to-day weather', () => {
    const scenario = homes('TEXAS_GULF_COAST', '2025-07-01', 31, 1);
    const generator = new ReadingGenerator(scenario);
    const afternoon = new Mean();
    const dawn = new Mean();
    const daily: number[] = [];
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, 1);
      const mean = new Mean();
      for (let r = 0; r < batch.length; r++) {
        const hour = hourOf(batch.tsLocalMs[r]!);
        if (hour >= 14 && hour < 17) afternoon.add(batch.temperatureC[r]!);
        if (hour >= 4 && hour < 7) dawn.add(batch.temperatureC[r]!);
        mean.add(batch.temperatureC[r]!);
      }
      daily.push(mean.value);
    }
    expect(afternoon.value - dawn.value).toBeGreaterThan(5);
    const average = daily.reduce((s, v) => s + v, 0) / daily.length;
    const sd = Math.sqrt(daily.reduce((s, v) => s + (v - average) ** 2, 0) / (daily.length - 1));
    expect(sd).toBeGreaterThan(0.5);
    expect(sd).toBeLessThan(5);
  });

  it('a Texas residential fleet uses much more in July than in April (air conditioning)', () => {
    expect(houstonJuly.kwh).toBeGreaterThan(1.3 * houstonApril.kwh);
  });

  it('a Pacific Northwest residential fleet uses more in January than in July (electric heating)', () => {
    expect(seattleJanuary.kwh).toBeGreaterThan(1.2 * seattleJuly.kwh);
  });

  it("on hot days a Texas home's afternoon-evening use rises with the temperature", () => {
    // Six summer weeks; each day's 14:00-20:00 mean use against that day's 14:00-20:00 mean temperature. Comparing the
    // same hours across days keeps the daily routine out of the comparison.
    const scenario = homes('TEXAS_GULF_COAST', '2025-07-01', 42, 200);
    const fleet = buildFleet(scenario);
    const generator = new ReadingGenerator(scenario, fleet);
    const fleetKwh: number[] = [];
    const temps: number[] = [];
    const perHome: number[][] = Array.from({ length: fleet.size }, () => []);
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      const kwh = new Mean();
      const temp = new Mean();
      const home = new Float64Array(fleet.size);
      for (let r = 0; r < batch.length; r++) {
        const hour = hourOf(batch.tsLocalMs[r]!);
        if (hour < 14 || hour >= 20) continue;
        if (batch.meterIndex[r] === 0) temp.add(batch.temperatureC[r]!);
        // Outages and labelled events (vacancy zeros are unlabelled, and are as real as any reading) are left out.
        if (batch.isOutage[r] || batch.eventType[r] !== 0) continue;
        kwh.add(batch.usageKwh[r]!);
        home[batch.meterIndex[r]!]! += batch.usageKwh[r]!;
      }
      fleetKwh.push(kwh.value);
      temps.push(temp.value);
      home.forEach((v, m) => perHome[m]!.push(v));
    }
    expect(Math.max(...temps)).toBeGreaterThan(32);
    expect(correlation(fleetKwh, temps)).toBeGreaterThan(0.7);

    // Hottest third of the days against the coolest third: at least 0.05 kWh an hour more per degree for the fleet.
    const order = temps.map((_, i) => i).sort((a, b) => temps[a]! - temps[b]!);
    const third = Math.floor(order.length / 3);
    const avg = (ix: number[], xs: number[]): number => ix.reduce((s, i) => s + xs[i]!, 0) / ix.length;
    const cool = order.slice(0, third);
    const hot = order.slice(-third);
    const slope = (avg(hot, fleetKwh) - avg(cool, fleetKwh)) / (avg(hot, temps) - avg(cool, temps));
    expect(slope).toBeGreaterThan(0.05);

    // Home by home: most air-conditioned homes use more on the hotter afternoons.
    const withAc = perHome.filter((_, m) => fleet.traits.coolingKwPerDegree[m]! > 0).map((series) => correlation(series, temps)).filter(Number.isFinite);
    expect(withAc.length).toBeGreaterThan(150);
    expect(withAc.filter((c) => c > 0).length / withAc.length).toBeGreaterThan(0.8);
  });
});
