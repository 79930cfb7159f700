import { BUILDING_SIZE_CLASSES, SIZE_CLASS_BOUNDARIES_MWH, SIZE_MIX_GEOMETRIC_RATIO, SIZE_MIX_MEAN_MWH } from '../fleet/building-sizes.js';

/** One commercial building of a panel: its type (profile code) and the annual MWh it used. */
export interface BuildingLevel {
  readonly profile: number;
  readonly annualMwh: number;
}

/** Share of buildings at least as large as a CBECS size class, generated and in CBECS. */
export interface SizeClassShare {
  /** The smallest class counted, e.g. "25,001-50,000 sq ft" counts it and every larger class. */
  readonly atLeast: string;
  /** Annual MWh, at the all-building level, above which a building counts. */
  readonly thresholdMwh: number;
  readonly generated: number;
  readonly cbecs: number;
}

/** Geometric mean of the positive values (levels of zero or less left out); NaN when there are none. */
export function geometricMean(values: readonly number[]): number {
  const positive = values.filter((v) => v > 0);
  return Math.exp(positive.reduce((s, v) => s + Math.log(v), 0) / positive.length);
}

/**
 * The shares of buildings in size class 2 or larger, 3 or larger, ..., 8, judged by level alone: each building's
 * annual MWh is put on the all-building scale (divided by its type's geometric mean, times the size mix's, which is
 * SIZE_MIX_GEOMETRIC_RATIO x SIZE_MIX_MEAN_MWH) and compared with the geometric midpoints of neighbouring CBECS class
 * means. Dividing by the type's own geometric mean takes out both the types' different levels and how far the
 * generated year falls short of the drawn level, so the shares test the size mix alone. Buildings with a level of
 * zero or less (not expected) are left out. Cumulative shares, because the spread within classes moves buildings
 * across a boundary both ways and the moves largely cancel above it.
 */
export function sizeClassShares(buildings: readonly BuildingLevel[]): SizeClassShare[] {
  const byType = new Map<number, number[]>();
  for (const b of buildings) {
    if (!(b.annualMwh > 0)) continue;
    const list = byType.get(b.profile) ?? [];
    list.push(b.annualMwh);
    byType.set(b.profile, list);
  }
  const above = new Array<number>(SIZE_CLASS_BOUNDARIES_MWH.length).fill(0);
  let n = 0;
  for (const levels of byType.values()) {
    const scale = (SIZE_MIX_GEOMETRIC_RATIO * SIZE_MIX_MEAN_MWH) / geometricMean(levels);
    for (const mwh of levels) {
      n++;
      SIZE_CLASS_BOUNDARIES_MWH.forEach((threshold, k) => {
        if (mwh * scale > threshold) above[k]!++;
      });
    }
  }
  return SIZE_CLASS_BOUNDARIES_MWH.map((thresholdMwh, k) => ({
    atLeast: BUILDING_SIZE_CLASSES[k + 1]!.name,
    thresholdMwh,
    generated: n > 0 ? above[k]! / n : Number.NaN,
    cbecs: BUILDING_SIZE_CLASSES.slice(k + 1).reduce((s, c) => s + c.share, 0),
  }));
}
