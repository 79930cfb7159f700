import { SEGMENTS } from '../scenario/enums.js';
import { uniform } from '../util/random.js';
import { STREAM } from './streams.js';

/**
 * Transformer kVA ratings: the standard sizes utilities install (IEEE C57.12.20 single-phase pole and pad units for
 * homes, C57.12.34 three-phase pad units for commercial and industrial services), and a rating for every transformer
 * drawn the way a planner picks one: the smallest standard size that carries the expected coincident peak of the
 * meters behind it, allowing the short peak overload distribution transformers are designed for. A commercial or
 * industrial load beyond the largest pad unit (2,500 kVA) is rated as a bank of such units (a whole multiple of it).
 */
export const SINGLE_PHASE_KVA = [10, 15, 25, 37.5, 50, 75, 100, 167] as const;
export const THREE_PHASE_KVA = [75, 112.5, 150, 225, 300, 500, 750, 1000, 1500, 2000, 2500] as const;

/** The largest three-phase pad unit, kVA. */
export const LARGEST_PAD_KVA: number = THREE_PHASE_KVA[THREE_PHASE_KVA.length - 1]!;

/**
 * How many LARGEST_PAD_KVA units serve a load of `kva` beyond one unit: a building that large (CBECS's over 500,000
 * sq ft class averages 16 GWh a year, a peak of several MW) takes several services or a bank of pad units, and its
 * rating is their total. One unit fewer or more as for single units (`u` the transformer's rating draw).
 */
function padUnits(kva: number, u: number): number {
  const units = Math.ceil(kva / LARGEST_PAD_KVA);
  if (u < UNDERSIZED) return Math.max(1, units - 1);
  if (u > 1 - OVERSIZED) return units + 1;
  return units;
}

/** Real power per kVA at a typical service power factor: the gold nameplate in kW is kVA x this. */
export const NAMEPLATE_POWER_FACTOR = 0.9;

/**
 * Peak loading a planner accepts on a residential transformer, as a share of nameplate: oil-filled units run above
 * rating for the hour or two of an evening peak without loss of life (IEEE C57.91 loading guide).
 */
const RESIDENTIAL_PEAK_LOADING = 1.2;
/** Load factor (mean / peak) of a commercial or industrial service, for its peak from its mean. */
const CI_LOAD_FACTOR = { COMMERCIAL: 0.45, INDUSTRIAL: 0.6 } as const;
/** Chance a transformer is a size smaller than today's load calls for (load has grown since it was set), or larger. */
const UNDERSIZED = 0.12;
const OVERSIZED = 0.1;

/** What the sizing needs of a fleet: who is behind which transformer, their segment and their level. */
export interface RatingInput {
  readonly size: number;
  readonly segment: Uint8Array;
  readonly transformer: Uint32Array;
  /** Mean demand of each meter, kW. */
  readonly meanKw: Float64Array;
  /** EV charger of each meter, kW (0 = none). */
  readonly evKw: Float64Array;
}

/**
 * Coincident peak of `homes` homes with summed mean `sumMeanKw`: one home peaks at about 4.5 times its mean, and
 * the peaks of several homes on one transformer do not coincide, so the group's factor falls towards about 2.
 */
export function residentialPeakKw(homes: number, sumMeanKw: number): number {
  if (homes <= 0) return 0;
  return sumMeanKw * (1.9 + 2.6 / Math.sqrt(homes));
}

/** The smallest size of `sizes` at least `kva`, or the largest. */
export function standardSize(sizes: readonly number[], kva: number): number {
  for (const s of sizes) if (s >= kva) return s;
  return sizes[sizes.length - 1]!;
}

/**
 * A rating for each of `transformers` transformers: `given[t]` where it is a number (imported ratings), otherwise
 * drawn from the meters behind it. `keys[t]` keys the transformer's random draws (its index in an invented fleet, a
 * hash of its id in an imported one), so a rating depends on the seed, the transformer and its meters only.
 */
export function transformerRatings(fleet: RatingInput, transformers: number, seed: number, keys: ArrayLike<number>, given?: Float64Array): Float64Array {
  const homes = new Uint32Array(transformers);
  const sumMean = new Float64Array(transformers);
  const ciPeak = new Float64Array(transformers);
  const threePhase = new Uint8Array(transformers);
  for (let i = 0; i < fleet.size; i++) {
    const t = fleet.transformer[i]!;
    const seg = SEGMENTS[fleet.segment[i]!]!;
    if (seg === 'RESIDENTIAL') {
      homes[t]!++;
      // Most EVs arrived after the transformer was sized: only part of a charger counts towards its peak.
      sumMean[t]! += fleet.meanKw[i]! + 0.15 * fleet.evKw[i]!;
    } else {
      threePhase[t] = 1;
      ciPeak[t]! += fleet.meanKw[i]! / CI_LOAD_FACTOR[seg];
    }
  }
  const kva = new Float64Array(transformers);
  for (let t = 0; t < transformers; t++) {
    const fixed = given?.[t];
    if (fixed !== undefined && !Number.isNaN(fixed)) {
      kva[t] = fixed;
      continue;
    }
    const sizes: readonly number[] = threePhase[t] ? THREE_PHASE_KVA : SINGLE_PHASE_KVA;
    const needed = threePhase[t]
      ? (ciPeak[t]! + residentialPeakKw(homes[t]!, sumMean[t]!)) / NAMEPLATE_POWER_FACTOR
      : residentialPeakKw(homes[t]!, sumMean[t]!) / NAMEPLATE_POWER_FACTOR / RESIDENTIAL_PEAK_LOADING;
    const u = uniform(seed, STREAM.TRANSFORMER_RATING, keys[t]!, 0);
    if (threePhase[t] && needed > LARGEST_PAD_KVA) {
      kva[t] = LARGEST_PAD_KVA * padUnits(needed, u);
      continue;
    }
    let at = sizes.indexOf(standardSize(sizes, needed));
    // A transformer with no meter of the fleet behind it (a segment filter left its homes out) is the common 25 kVA.
    if (!threePhase[t] && homes[t] === 0) at = sizes.indexOf(25);
    if (u < UNDERSIZED) at = Math.max(0, at - 1);
    else if (u > 1 - OVERSIZED) at = Math.min(sizes.length - 1, at + 1);
    kva[t] = sizes[at]!;
  }
  return kva;
}
