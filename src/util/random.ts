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
  return fmix32((h ^ Math.imul(b | 0, 0xd3a2646c)) >>> 0);
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
