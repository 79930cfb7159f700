import type { Segment } from '../scenario/enums.js';

/**
 * Load profiles: what kind of customer a meter is within its segment. Residential profiles are occupancy patterns,
 * commercial ones building activities (EIA CBECS categories), industrial ones shift patterns. The index into
 * PROFILES is the per-meter code stored in the fleet; shapes live in generator/load-shapes.ts under the same names.
 *
 * Commercial levels are EIA CBECS mean electricity per building by principal activity (2012 Table C14, thousand kWh
 * a year: education 345, food sales 345, food service 215, retail other than mall 189; offices 256, from CBECS 2003's
 * 719 trillion Btu over 824,000 office buildings, EIA Annual Energy Review Table 2.11), as mean demand (MWh / 8.76).
 * CBECS gives no warehouse figure we could cite: warehouses take what brings the weighted mean of these activities to
 * the all-building mean of 237 MWh a year (27 kW). Weights are approximate shares of buildings among these
 * activities. Industrial levels are a typical small plant; `--mix` decides how many there are. docs/REALISM.md has the
 * statistics `npm run realism` checks them with.
 */
export interface LoadProfile {
  readonly name: string;
  readonly segment: Segment;
  /** Relative frequency within the segment. */
  readonly weight: number;
  /** Mean demand, kW (commercial and industrial; residential levels come from the area). */
  readonly meanKw: number;
  /** Always-on share of the mean (refrigeration, standby, lighting that never goes off, process base). */
  readonly baseShare: number;
}

export const PROFILES: readonly LoadProfile[] = [
  { name: 'COMMUTER', segment: 'RESIDENTIAL', weight: 0.5, meanKw: 0, baseShare: 0.22 },
  { name: 'HOME_DAYTIME', segment: 'RESIDENTIAL', weight: 0.35, meanKw: 0, baseShare: 0.22 },
  { name: 'LATE_EVENING', segment: 'RESIDENTIAL', weight: 0.15, meanKw: 0, baseShare: 0.22 },
  { name: 'OFFICE', segment: 'COMMERCIAL', weight: 0.3, meanKw: 29.2, baseShare: 0.35 },
  { name: 'RETAIL', segment: 'COMMERCIAL', weight: 0.22, meanKw: 21.6, baseShare: 0.3 },
  { name: 'RESTAURANT', segment: 'COMMERCIAL', weight: 0.12, meanKw: 24.5, baseShare: 0.35 },
  { name: 'SCHOOL', segment: 'COMMERCIAL', weight: 0.1, meanKw: 39.4, baseShare: 0.25 },
  { name: 'WAREHOUSE', segment: 'COMMERCIAL', weight: 0.2, meanKw: 21.5, baseShare: 0.4 },
  { name: 'GROCERY', segment: 'COMMERCIAL', weight: 0.06, meanKw: 39.4, baseShare: 0.6 },
  { name: 'ONE_SHIFT', segment: 'INDUSTRIAL', weight: 0.3, meanKw: 150, baseShare: 0.35 },
  { name: 'TWO_SHIFTS', segment: 'INDUSTRIAL', weight: 0.4, meanKw: 220, baseShare: 0.45 },
  { name: 'THREE_SHIFTS', segment: 'INDUSTRIAL', weight: 0.3, meanKw: 300, baseShare: 0.7 },
];

export const PROFILE_NAMES = PROFILES.map((p) => p.name);

/** Profile codes of a segment with cumulative weights, for drawing one from a uniform number. */
export function profilePicker(segment: Segment): (u: number) => number {
  const codes = PROFILES.flatMap((p, i) => (p.segment === segment ? [i] : []));
  const total = codes.reduce((s, c) => s + PROFILES[c]!.weight, 0);
  return (u) => {
    let acc = 0;
    for (const c of codes) {
      acc += PROFILES[c]!.weight / total;
      if (u < acc) return c;
    }
    return codes[codes.length - 1]!;
  };
}
