import { hash32, mix32, normalQuantile, toUnit, uniform } from '../util/random.js';
import { STREAM } from './streams.js';

/** Meters per stratification block. */
export const STRATUM_BLOCK = 64;

/**
 * Rank of a meter's hash of (stream, b) among the hashes of the 64 consecutive meter numbers of its block (ties by
 * number): a random permutation of 0..63 over every block, a pure function of (seed, stream, number, b).
 */
function blockRank(seed: number, stream: number, number: number, b: number, own: number): number {
  const block = Math.floor(number / STRATUM_BLOCK) * STRATUM_BLOCK;
  let rank = 0;
  for (let j = block; j < block + STRATUM_BLOCK; j++) {
    if (j === number) continue;
    const other = hash32(seed, stream, j, b);
    if (other < own || (other === own && j < number)) rank++;
  }
  return rank;
}

/**
 * A uniform in [0, 1) stratified over blocks of 64 consecutive meter numbers: within a block every meter takes a
 * different 1/64 slice (in hashed order) and a random point in it, so a draw `u < p` comes true for p x 64 meters of
 * every block, give or take one, instead of a binomial count. Meter numbers far apart (imported fleets) degrade to
 * independent draws.
 */
export function stratifiedUniform(seed: number, stream: number, number: number, b: number): number {
  const own = hash32(seed, stream, number, b);
  return (blockRank(seed, stream, number, b, own) + toUnit(mix32(own, 0x2545f491))) / STRATUM_BLOCK;
}

/**
 * A standard normal for a calibrated meter's level, stratified like stratifiedUniform. Independent draws of a few
 * hundred lognormal levels move the fleet's coefficient of variation of means by about 6% (one standard deviation,
 * 311 meters at CV 0.5), as much as the calibration target allows; stratified, by about 3% (what is left is mostly
 * the draw inside the top slice).
 */
export function stratifiedNormal(seed: number, number: number): number {
  const own = hash32(seed, STREAM.LEVEL, number, 0);
  const u = (blockRank(seed, STREAM.LEVEL, number, 0, own) + uniform(seed, STREAM.LEVEL, number, 1)) / STRATUM_BLOCK;
  return normalQuantile(Math.min(1 - 1e-9, Math.max(1e-9, u)));
}

/** Binary digits of stratifiedSequence that are stratified; the rest of a draw is an independent uniform. */
const SEQUENCE_BITS = 16;

/**
 * The `ordinal`-th draw (0, 1, 2, ...) of a sequence of uniforms in [0, 1) keyed by (seed, stream, key): a van der
 * Corput sequence in base 2 with a nested random scramble (Owen's: each binary digit flipped by a hash of the digits
 * before it). Any 2^m consecutive draws from a multiple of 2^m (m <= 16) put exactly one point in each interval of
 * width 2^-m, and the first n draws of the sequence put n x p points, give or take about log2(n), in any interval of
 * width p: rare outcomes (a share of 0.14%) come true in proportion from a few hundred draws on, which blocks of 64
 * meters (stratifiedUniform) cannot give. A pure function of its arguments; the caller numbers the draws.
 */
export function stratifiedSequence(seed: number, stream: number, key: number, ordinal: number): number {
  let u = 0;
  let scale = 0.5;
  for (let d = 0; d < SEQUENCE_BITS; d++) {
    const digit = (ordinal >>> d) & 1;
    // (1 << d) | the d digits before this one: a distinct number for every node of the binary tree of intervals.
    const node = (1 << d) | (ordinal & ((1 << d) - 1));
    const flip = hash32(seed, stream, key, node) >>> 31;
    u += (digit ^ flip) * scale;
    scale /= 2;
  }
  return u + uniform(seed, stream, key + 0x10000, ordinal) * scale * 2;
}
