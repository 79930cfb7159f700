import { SIZE_MIX_GEOMETRIC_RATIO } from '../fleet/building-sizes.js';
import type { BuildingStatistics, BuildingTypeStatistics } from './building-statistics.js';

/**
 * The bands commercial and industrial statistics must fall in, with where each comes from (docs/REALISM.md has the
 * sources in full). Levels are EIA CBECS means per building, checked through statistics the size mix's heavy tail
 * (a few buildings of 16 GWh a year among hundreds of 50 MWh) does not break; the shape bands are targets from the buildings'
 * operating schedules (opening hours, shifts), not from a measured C&I panel: the project has none to compare with.
 */
type ShapeKey = 'weekdayWeekendRatio' | 'dayNightRatio' | 'plateauFlatness' | 'loadFactor' | 'coolingPerDegree';

/** CBECS mean electricity per building, MWh a year (2012 Table C14; offices from CBECS 2003, AER Table 2.11). */
export const CBECS_ANNUAL_MWH: Readonly<Record<string, number>> = { OFFICE: 256, RETAIL: 189, RESTAURANT: 215, SCHOOL: 345, GROCERY: 345 };
/** CBECS 2012 mean over all commercial buildings, MWh a year, and how far a generated mean may be from it. */
export const CBECS_ALL_BUILDINGS_MWH = 237;
export const ANNUAL_RELATIVE_BAND = 0.25;
export const ALL_BUILDINGS_RELATIVE_BAND = 0.2;
/**
 * Size-class shares: within this share of CBECS's, or three binomial standard errors for the number of buildings if
 * that is wider (the spread within classes blurs neighbouring classes by a few percent; a handful of the largest
 * buildings is a count, not a share).
 */
export const SIZE_SHARE_RELATIVE_BAND = 0.15;

const SHAPE_BANDS: Readonly<Record<string, Partial<Record<ShapeKey, readonly [number, number]>>>> = {
  // Weekday offices (ASHRAE 90.1 User's Manual schedule: 48.6 occupied hours a week, nearly all on weekdays).
  OFFICE: { weekdayWeekendRatio: [1.6, 3], dayNightRatio: [3, 7], plateauFlatness: [0.85, 1], loadFactor: [0.25, 0.5], coolingPerDegree: [0.01, 0.06] },
  // Open every day, Saturdays busiest, Sundays shorter.
  RETAIL: { weekdayWeekendRatio: [0.9, 1.3], dayNightRatio: [3, 7], plateauFlatness: [0.85, 1], loadFactor: [0.3, 0.55], coolingPerDegree: [0.01, 0.06] },
  // Lunch and dinner peaks (no plateau), weekends as busy as weekdays.
  RESTAURANT: { weekdayWeekendRatio: [0.8, 1.2], dayNightRatio: [2, 5], loadFactor: [0.3, 0.55], coolingPerDegree: [0.01, 0.06] },
  // School days only, a morning-to-afternoon block.
  SCHOOL: { weekdayWeekendRatio: [2, 4], dayNightRatio: [4, 9], loadFactor: [0.2, 0.45], coolingPerDegree: [0.01, 0.06] },
  WAREHOUSE: { weekdayWeekendRatio: [1.3, 2.5], dayNightRatio: [1.8, 4], plateauFlatness: [0.85, 1], loadFactor: [0.3, 0.55], coolingPerDegree: [0.01, 0.06] },
  // Long hours every day and refrigeration around the clock.
  GROCERY: { weekdayWeekendRatio: [0.9, 1.1], dayNightRatio: [1.2, 2.2], plateauFlatness: [0.85, 1], loadFactor: [0.45, 0.75], coolingPerDegree: [0.01, 0.06] },
  // Shifts: one (about 7:00-16:00 on weekdays), two (about 5:00-22:00, a short Saturday), three (around the clock).
  // Plants respond little to weather (1% of the level per degree): too little to measure on a cold area's few hot
  // weekdays, so their cooling is reported only.
  ONE_SHIFT: { weekdayWeekendRatio: [1.7, 4], dayNightRatio: [2.5, 6], loadFactor: [0.3, 0.55] },
  TWO_SHIFTS: { weekdayWeekendRatio: [1.4, 3], dayNightRatio: [1.5, 3], plateauFlatness: [0.85, 1], loadFactor: [0.45, 0.7] },
  THREE_SHIFTS: { weekdayWeekendRatio: [0.95, 1.25], dayNightRatio: [0.9, 1.2], plateauFlatness: [0.9, 1], loadFactor: [0.7, 0.92] },
};

const LABELS: Readonly<Record<ShapeKey | 'annualMwh' | 'geometricMeanMwh', string>> = {
  annualMwh: 'annual MWh per building (mean)',
  geometricMeanMwh: 'annual MWh per building (geometric mean)',
  weekdayWeekendRatio: 'weekday / weekend daily kWh',
  dayNightRatio: 'weekday 10-16 h / 01-05 h demand',
  plateauFlatness: 'weekday 10-16 h plateau, min / max',
  loadFactor: 'load factor (median)',
  coolingPerDegree: 'cooling: share of mean per C above 20 C',
};

export interface BuildingCheck {
  /** Building type, or COMMERCIAL for all commercial buildings. */
  readonly profile: string;
  readonly statistic: string;
  readonly value: number;
  /** Null for a statistic reported without a band. */
  readonly band: readonly [number, number] | null;
  readonly source: string;
  readonly passed: boolean | null;
}

const within = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo && v <= hi;

/** Every statistic of `stats` against its band (or reported for information where it has none). */
export function compareBuildingStatistics(stats: BuildingStatistics): BuildingCheck[] {
  const rows: BuildingCheck[] = [];
  const add = (profile: string, statistic: string, value: number, band: readonly [number, number] | null, source: string): void => {
    rows.push({ profile, statistic, value, band, source, passed: band === null ? null : within(value, band) });
  };
  for (const t of stats.types) {
    const cbecs = CBECS_ANNUAL_MWH[t.profile];
    if (cbecs === undefined) {
      add(t.profile, LABELS.annualMwh, t.annualMwh, null, 'no published figure used');
    } else {
      // A type's mean moves by a fifth or more with one building of over 500,000 sq ft among a few hundred, so the
      // mean is reported and the geometric mean checked: CBECS's mean times the size mix's geometric mean over mean.
      add(t.profile, LABELS.annualMwh, t.annualMwh, null, `CBECS mean ${cbecs} MWh; reported only (a few very large buildings move it)`);
      const geometric = cbecs * SIZE_MIX_GEOMETRIC_RATIO;
      add(t.profile, LABELS.geometricMeanMwh, t.geometricMeanMwh, [geometric * (1 - ANNUAL_RELATIVE_BAND), geometric * (1 + ANNUAL_RELATIVE_BAND)], `CBECS ${cbecs} MWh x size mix ${SIZE_MIX_GEOMETRIC_RATIO.toFixed(3)} ±${ANNUAL_RELATIVE_BAND * 100}%`);
    }
    for (const key of Object.keys(LABELS) as (ShapeKey | 'annualMwh' | 'geometricMeanMwh')[]) {
      if (key === 'annualMwh' || key === 'geometricMeanMwh') continue;
      const band = SHAPE_BANDS[t.profile]?.[key] ?? null;
      add(t.profile, LABELS[key], (t as BuildingTypeStatistics)[key], band, band === null ? 'reported only' : 'operating-schedule target');
    }
  }
  if (stats.commercial.meters > 0) {
    const c = stats.commercial;
    add('COMMERCIAL', 'mean annual MWh per building', c.meanMwh, [CBECS_ALL_BUILDINGS_MWH * (1 - ALL_BUILDINGS_RELATIVE_BAND), CBECS_ALL_BUILDINGS_MWH * (1 + ALL_BUILDINGS_RELATIVE_BAND)], `CBECS all buildings ${CBECS_ALL_BUILDINGS_MWH} MWh ±${ALL_BUILDINGS_RELATIVE_BAND * 100}%`);
    add('COMMERCIAL', 'median annual MWh', c.medianMwh, null, 'reported only');
    add('COMMERCIAL', '5th percentile annual MWh', c.p5Mwh, null, 'CBECS 1,001-5,000 sq ft mean: 51 MWh');
    add('COMMERCIAL', 'largest annual MWh', c.maxMwh, null, 'CBECS over 500,000 sq ft mean: 16,362 MWh');
    for (const share of c.sizeShares) {
      const tolerance = Math.max(SIZE_SHARE_RELATIVE_BAND * share.cbecs, 3 * Math.sqrt((share.cbecs * (1 - share.cbecs)) / c.meters));
      add('COMMERCIAL', `share of buildings in size class ${share.atLeast} or larger (level over ${Math.round(share.thresholdMwh)} MWh, type-scaled)`, share.generated, [Math.max(0, share.cbecs - tolerance), share.cbecs + tolerance], `CBECS 2012 C14/B23 share ${(share.cbecs * 100).toFixed(2)}%`);
    }
  }
  return rows;
}
