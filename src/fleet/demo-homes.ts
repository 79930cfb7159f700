import { hash32, normal, uniform } from '../util/random.js';
import { evChargerKw, pvSystemKw, type MeterTraits } from './meter-traits.js';
import { STREAM } from './streams.js';

/** A demo fleet (`events: demo`) has at least this many homes with rooftop PV, and as many with an EV. */
export const DEMO_MIN_PV_HOMES = 3;
export const DEMO_MIN_EV_HOMES = 3;

interface Homes {
  readonly size: number;
  readonly segment: Uint8Array;
  readonly meterNumber: Uint32Array;
  readonly traits: MeterTraits;
}

/**
 * Tops a demo fleet up to DEMO_MIN_PV_HOMES homes with PV and DEMO_MIN_EV_HOMES with an EV (when it has that many
 * homes), so Explore's PV and EV charts have homes to draw whatever the seed: at the area's shares a hundred-meter
 * fleet often has one EV or none. Homes are taken in fleet order from a seeded start, each sized from its own draws
 * as drawTraits sizes them. This is the one place a fleet's traits depend on its size (a larger demo fleet may need
 * no top-up), which is why only demo scenarios do it.
 */
export function topUpDemoHomes(fleet: Homes, seed: number): void {
  const { size, segment, meterNumber, traits } = fleet;
  if (size === 0) return;
  const topUp = (column: Float64Array, minimum: number, walk: number, give: (number: number, meanKw: number) => number): void => {
    let count = 0;
    for (let m = 0; m < size; m++) if (segment[m] === 0 && column[m]! > 0) count++;
    const start = hash32(seed, STREAM.DEMO_HOMES, walk, 0) % size;
    for (let k = 0; k < size && count < minimum; k++) {
      const m = (start + k) % size;
      if (segment[m] !== 0 || column[m]! > 0) continue;
      column[m] = give(meterNumber[m]!, traits.meanKw[m]!);
      count++;
    }
  };
  topUp(traits.pvKw, DEMO_MIN_PV_HOMES, 0, (number, meanKw) => pvSystemKw(meanKw, (k) => normal(seed, STREAM.TRAITS, number, k)));
  topUp(traits.evKw, DEMO_MIN_EV_HOMES, 1, (number) => evChargerKw((k) => uniform(seed, STREAM.TRAITS, number, k)));
}
