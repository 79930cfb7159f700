/**
 * The one source of randomness in Flux Data Forge (determinism invariant, DESIGN.md).
 *
 * Counter-based: a draw is a pure function of (seed, stream, a, b), so any reading can be recomputed from its
 * coordinates alone, in any order, on any worker or machine. Streams separate independent uses (usage noise,
 * voltage noise, outage draws...) so adding a draw in one place never shifts the values drawn in another.
 *
 * The mixer is murmur3's 32-bit finaliser applied to a chained combination of the inputs; it passes the usual
 * avalanche checks and costs a handful of integer multiplies, which keeps the per-row hot loops cheap.
 */

const TWO_POW_32 = 4294967296;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit unsigned hash of four 32-bit integers. */
export function hash32(seed: number, stream: number, a: number, b: number): number {
  let h = fmix32((seed ^ 0x9e3779b9) >>> 0);
  h = fmix32((h ^ Math.imul(stream | 0, 0x27d4eb2f)) >>> 0);
  h = fmix32((h + Math.imul(a | 0, 0x165667b1)) >>> 0);
  // The multiplier of b is even (a factor of 4), which dropped b's top two bits: b and b + 2^30 hashed alike. Folding
  // those bits into the two low bits the product leaves at zero makes the step a bijection of b again, and changes
  // nothing for b < 2^30, so every value drawn with such a b (all of them so far) is unchanged.
  return fmix32((h ^ (Math.imul(b | 0, 0xd3a2646c) ^ (b >>> 30))) >>> 0);
}

/**
 * Hot-loop form: `key` is a hash32 of the fixed coordinates (seed, stream, meter), `counter` the varying one (an
 * absolute interval number). One mixing round per draw; distinct counters give independent-looking values.
 */
export function mix32(key: number, counter: number): number {
  return fmix32((key ^ Math.imul(counter, 0x9e3779b1)) >>> 0);
}

/** Scales a 32-bit hash to [0, 1). */
export const toUnit = (h: number): number => h / TWO_POW_32;

/** Scales a 32-bit hash to (0, 1). */
export const toUnitOpen = (h: number): number => (h + 0.5) / TWO_POW_32;

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

const NORMAL_TABLE_BITS = 12;
const NORMAL_TABLE_SIZE = 1 << NORMAL_TABLE_BITS;
/** Quantiles at the edges of 4096 equal-probability cells; the outer edges are those of the 1/(2*4096) tails. */
const NORMAL_TABLE = (() => {
  const t = new Float64Array(NORMAL_TABLE_SIZE + 1);
  for (let i = 0; i <= NORMAL_TABLE_SIZE; i++) {
    t[i] = normalQuantile(Math.min(1 - 0.5 / NORMAL_TABLE_SIZE, Math.max(0.5 / NORMAL_TABLE_SIZE, i / NORMAL_TABLE_SIZE)));
  }
  return t;
})();

/**
 * Standard normal from a 32-bit hash by table lookup and linear interpolation: about ten times cheaper than
 * Box-Muller in the hot loops; the tails are truncated near +-3.5 sigma, which synthetic meter noise never misses.
 */
export function normalFromHash(h: number): number {
  const i = h >>> (32 - NORMAL_TABLE_BITS);
  const f = (h & ((1 << (32 - NORMAL_TABLE_BITS)) - 1)) / (1 << (32 - NORMAL_TABLE_BITS));
  const a = NORMAL_TABLE[i]!;
  return a + (NORMAL_TABLE[i + 1]! - a) * f;
}

/** Uniform in [0, 1). */
export function uniform(seed: number, stream: number, a: number, b: number): number {
  return hash32(seed, stream, a, b) / TWO_POW_32;
}

/** Uniform in (0, 1): safe for logarithms. */
export function uniformOpen(seed: number, stream: number, a: number, b: number): number {
  return (hash32(seed, stream, a, b) + 0.5) / TWO_POW_32;
}

/** Standard normal (Box-Muller on two independent draws of the same coordinates). */
export function normal(seed: number, stream: number, a: number, b: number): number {
  const u1 = uniformOpen(seed, stream, a, b);
  const u2 = uniform(seed, stream ^ 0x5bd1e995, a, b);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Lognormal with the given arithmetic mean and coefficient of variation. */
export function lognormal(mean: number, cv: number, z: number): number {
  const sigma2 = Math.log(1 + cv * cv);
  return mean * Math.exp(Math.sqrt(sigma2) * z - sigma2 / 2);
}

/** An integer in [min, max] inclusive. */
export function intBetween(min: number, max: number, u: number): number {
  return min + Math.min(max - min, Math.floor(u * (max - min + 1)));
}

/** Derives a 32-bit seed from text (FNV-1a), for seeds given as names. */
export function seedFromText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
