/**
 * `value` rounded to a multiple of 1/`scale` (scale 1000: three decimals), never negative zero.
 *
 * `Math.round(-0.0004 * 1000) / 1000` is -0: a value that prints as 0 in JSON and CSV but keeps its sign bit in
 * DuckDB and Parquet, so the same reading would differ between sinks. Adding +0 turns -0 into +0 (IEEE 754: -0 + +0
 * is +0 when rounding to nearest) and leaves every other value as it is. Invariant 1 (same rows, bit for bit, in
 * every sink) rests on the generator never emitting -0.
 */
export function roundTo(value: number, scale: number): number {
  return Math.round(value * scale) / scale + 0;
}
