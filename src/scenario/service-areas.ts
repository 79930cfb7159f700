import type { Segment } from './enums.js';

/**
 * The six service areas. Climate normals are 1991-2020 NOAA monthly mean temperatures of each area's reference city
 * (rounded); residential levels follow EIA 2020 average residential consumption by state (docs/REALISM.md).
 */
export interface ServiceArea {
  readonly name: ServiceAreaName;
  readonly iso: string;
  /** Three-letter code used in meter ids (MTR-TGC-0000042). */
  readonly code: string;
  readonly timeZone: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
  /** Default segment shares (residential, commercial, industrial), as in the original product. */
  readonly mix: Readonly<Record<Segment, number>>;
  /** Monthly mean temperature, January first, degrees C. */
  readonly monthlyMeanC: readonly number[];
  /** Mean daily temperature range (max - min), degrees C. */
  readonly dailyRangeC: number;
  /** Mean residential use, kWh per 15 minutes (EIA 2020, by state). */
  readonly residentialKwhPer15: number;
  /** Share of homes with air conditioning (EIA RECS 2020, by census division). */
  readonly airConditioningShare: number;
  /** Share of homes heated by electricity (EIA RECS 2020, by census division). */
  readonly electricHeatShare: number;
  /** Default share of homes with rooftop PV (state installation counts / households, 2023-2024). */
  readonly pvShare: number;
  /** Default share of homes with an electric vehicle (state registrations / households, 2024). */
  readonly evShare: number;
  /** Mean daily clearness (share of clear-sky solar energy reaching the ground) in January and in July. */
  readonly clearness: readonly [number, number];
}

export const SERVICE_AREA_NAMES = [
  'TEXAS_GULF_COAST',
  'CALIFORNIA_COASTAL',
  'NORTHEAST_CORRIDOR',
  'MIDWEST_GREAT_LAKES',
  'SOUTHEAST_SUNBELT',
  'PACIFIC_NORTHWEST',
] as const;
export type ServiceAreaName = (typeof SERVICE_AREA_NAMES)[number];
export const isServiceAreaName = (v: unknown): v is ServiceAreaName => SERVICE_AREA_NAMES.includes(v as ServiceAreaName);

const mix = (residential: number, commercial: number, industrial: number): Record<Segment, number> => ({
  RESIDENTIAL: residential / 100,
  COMMERCIAL: commercial / 100,
  INDUSTRIAL: industrial / 100,
});

export const SERVICE_AREAS: Readonly<Record<ServiceAreaName, ServiceArea>> = {
  TEXAS_GULF_COAST: {
    name: 'TEXAS_GULF_COAST', iso: 'ERCOT', code: 'TGC', timeZone: 'America/Chicago', city: 'Houston, TX',
    latitude: 29.76, longitude: -95.37, mix: mix(70, 20, 10),
    monthlyMeanC: [11.8, 13.9, 17.6, 21.1, 25.3, 28.2, 29.3, 29.3, 26.8, 22.1, 16.7, 12.6], dailyRangeC: 9.5,
    residentialKwhPer15: 0.39,
    airConditioningShare: 0.95, electricHeatShare: 0.62, pvShare: 0.05, evShare: 0.03, clearness: [0.55, 0.7],
  },
  CALIFORNIA_COASTAL: {
    name: 'CALIFORNIA_COASTAL', iso: 'CAISO', code: 'CAC', timeZone: 'America/Los_Angeles', city: 'Los Angeles, CA',
    latitude: 34.05, longitude: -118.24, mix: mix(65, 28, 7),
    monthlyMeanC: [14.2, 14.6, 15.6, 16.9, 18.4, 20.2, 22.6, 23.1, 22.6, 20.3, 16.9, 14.0], dailyRangeC: 9,
    residentialKwhPer15: 0.19,
    airConditioningShare: 0.55, electricHeatShare: 0.3, pvShare: 0.18, evShare: 0.1, clearness: [0.65, 0.8],
  },
  NORTHEAST_CORRIDOR: {
    name: 'NORTHEAST_CORRIDOR', iso: 'NYISO', code: 'NEC', timeZone: 'America/New_York', city: 'New York, NY',
    latitude: 40.71, longitude: -74.01, mix: mix(55, 38, 7),
    monthlyMeanC: [0.9, 2.0, 5.8, 11.8, 17.3, 22.4, 25.3, 24.7, 20.9, 14.7, 9.0, 3.9], dailyRangeC: 8,
    residentialKwhPer15: 0.2,
    airConditioningShare: 0.88, electricHeatShare: 0.15, pvShare: 0.04, evShare: 0.03, clearness: [0.45, 0.62],
  },
  MIDWEST_GREAT_LAKES: {
    name: 'MIDWEST_GREAT_LAKES', iso: 'MISO', code: 'MGL', timeZone: 'America/Chicago', city: 'Chicago, IL',
    latitude: 41.88, longitude: -87.63, mix: mix(60, 30, 10),
    monthlyMeanC: [-4.6, -2.7, 3.1, 9.3, 15.2, 20.9, 23.6, 22.6, 18.6, 11.9, 4.8, -1.3], dailyRangeC: 9,
    residentialKwhPer15: 0.25,
    airConditioningShare: 0.92, electricHeatShare: 0.2, pvShare: 0.02, evShare: 0.02, clearness: [0.42, 0.66],
  },
  SOUTHEAST_SUNBELT: {
    name: 'SOUTHEAST_SUNBELT', iso: 'SERC', code: 'SES', timeZone: 'America/New_York', city: 'Atlanta, GA',
    latitude: 33.75, longitude: -84.39, mix: mix(68, 24, 8),
    monthlyMeanC: [6.8, 9.0, 12.9, 17.2, 21.6, 25.2, 26.8, 26.4, 23.4, 17.6, 12.3, 8.0], dailyRangeC: 10,
    residentialKwhPer15: 0.38,
    airConditioningShare: 0.96, electricHeatShare: 0.65, pvShare: 0.03, evShare: 0.03, clearness: [0.55, 0.65],
  },
  PACIFIC_NORTHWEST: {
    name: 'PACIFIC_NORTHWEST', iso: 'BPA', code: 'PNW', timeZone: 'America/Los_Angeles', city: 'Seattle, WA',
    latitude: 47.61, longitude: -122.33, mix: mix(62, 28, 10),
    monthlyMeanC: [5.6, 6.4, 7.9, 10.1, 13.4, 16.2, 19.1, 19.3, 16.6, 11.8, 7.8, 5.2], dailyRangeC: 8,
    residentialKwhPer15: 0.31,
    airConditioningShare: 0.5, electricHeatShare: 0.6, pvShare: 0.04, evShare: 0.07, clearness: [0.3, 0.72],
  },
};

/** Accepts an area by name or by its ISO/RTO (ERCOT, CAISO, ...), case-insensitive. */
export function resolveServiceAreaName(input: string): ServiceAreaName | undefined {
  const upper = input.trim().toUpperCase();
  if (isServiceAreaName(upper)) return upper;
  return SERVICE_AREA_NAMES.find((n) => SERVICE_AREAS[n].iso === upper || SERVICE_AREAS[n].code === upper);
}
