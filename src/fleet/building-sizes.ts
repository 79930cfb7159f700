import { lognormal } from '../util/random.js';

/**
 * Commercial building sizes: EIA CBECS 2012 by floorspace. Electricity per building is Table C14 (thousand kWh a
 * year); the share of buildings in each class is the class's floorspace (Table B23) over its mean building (C14's kWh
 * per building over its kWh per square foot), normalised to sum to 1 (the rounded shares sum to 99.94%). Most
 * buildings are small and a few are very large: the mix's mean is about 231 MWh (CBECS, all buildings: 237) and its
 * coefficient of variation about 3.4.
 */
export interface BuildingSizeClass {
  /** Floorspace, square feet. */
  readonly name: string;
  /** Share of commercial buildings. */
  readonly share: number;
  /** Mean electricity per building, MWh a year. */
  readonly meanMwh: number;
}

const CLASSES: readonly (readonly [string, number, number])[] = [
  ['1,001-5,000 sq ft', 49.7, 51],
  ['5,001-10,000 sq ft', 22.1, 97],
  ['10,001-25,000 sq ft', 16.0, 187],
  ['25,001-50,000 sq ft', 6.1, 457],
  ['50,001-100,000 sq ft', 3.6, 985],
  ['100,001-200,000 sq ft', 1.6, 2115],
  ['200,001-500,000 sq ft', 0.7, 4808],
  ['over 500,000 sq ft', 0.14, 16362],
];
const SHARE_SUM = CLASSES.reduce((s, [, share]) => s + share, 0);

export const BUILDING_SIZE_CLASSES: readonly BuildingSizeClass[] = CLASSES.map(([name, share, meanMwh]) => ({ name, share: share / SHARE_SUM, meanMwh }));

/** Mean electricity per building of the size mix, MWh a year (about 231). */
export const SIZE_MIX_MEAN_MWH = BUILDING_SIZE_CLASSES.reduce((s, c) => s + c.share * c.meanMwh, 0);

/**
 * Spread of levels within a size class (coefficient of variation): a class spans a factor of about two in floorspace,
 * and buildings of one size differ in how intensely they use it. Wide enough that the mix is one smooth distribution,
 * not eight bumps; narrow enough that classes stay apart (neighbouring class means are a factor of 2 to 3.4 apart).
 */
export const WITHIN_CLASS_CV = 0.45;

/**
 * Largest mean demand of one commercial meter, kW (21.9 GWh a year), approached softly from 60% of it on (softCap):
 * the largest class averages 1.9 MW and a building type's level and the spread within the class carry a few above
 * 4 MW, whose peaks (three to four times the mean) no building service on an AMI meter carries (a 4,000 A, 480 V
 * service is 3.3 MW; reading-checks.ts bounds commercial readings at 10 MW). The largest class's mean falls by about
 * 14%, the mix's by about 1% (docs/REALISM.md, "Building sizes").
 */
export const MAX_BUILDING_KW = 2_500;

/** `kw` unchanged up to 60% of `cap`, then approaching `cap` smoothly (no pile of buildings at exactly the cap). */
export function softCap(kw: number, cap: number): number {
  const knee = 0.6 * cap;
  return kw <= knee ? kw : knee + (cap - knee) * Math.tanh((kw - knee) / (cap - knee));
}

/** Index into BUILDING_SIZE_CLASSES of the class a uniform `u` in [0, 1) falls in (cumulative shares). */
export function sizeClassOf(u: number): number {
  let acc = 0;
  for (let c = 0; c < BUILDING_SIZE_CLASSES.length - 1; c++) {
    acc += BUILDING_SIZE_CLASSES[c]!.share;
    if (u < acc) return c;
  }
  return BUILDING_SIZE_CLASSES.length - 1;
}

/**
 * A building's level relative to its type's mean: its size class's mean over the mix's, times a lognormal spread
 * within the class (`z` a standard normal). Over the mix its mean is 1, so a building type keeps its mean level.
 */
export function buildingSizeMultiplier(sizeClass: number, z: number): number {
  return (BUILDING_SIZE_CLASSES[sizeClass]!.meanMwh / SIZE_MIX_MEAN_MWH) * lognormal(1, WITHIN_CLASS_CV, z);
}

/**
 * Annual MWh separating neighbouring size classes, for classifying buildings by level alone: the geometric midpoints
 * of neighbouring class means (7 boundaries for 8 classes), at the all-building mean; scale by a type's mean over
 * SIZE_MIX_MEAN_MWH for one type.
 */
export const SIZE_CLASS_BOUNDARIES_MWH: readonly number[] = BUILDING_SIZE_CLASSES.slice(1).map((c, i) => Math.sqrt(c.meanMwh * BUILDING_SIZE_CLASSES[i]!.meanMwh));

/**
 * Geometric mean of buildingSizeMultiplier over the mix (about 0.43): a building type's geometric mean level is its
 * mean times this. Unlike the mean, it hardly moves with the one or two very large buildings a few hundred meters
 * draw, so it is what checks a type's level (validate/building-bands.ts).
 */
export const SIZE_MIX_GEOMETRIC_RATIO = Math.exp(
  BUILDING_SIZE_CLASSES.reduce((s, c) => s + c.share * Math.log(c.meanMwh / SIZE_MIX_MEAN_MWH), 0) - Math.log(1 + WITHIN_CLASS_CV ** 2) / 2,
);
