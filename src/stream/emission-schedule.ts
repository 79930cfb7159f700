import { STREAM } from '../fleet/streams.js';
import { hash32, mix32 } from '../util/random.js';
import { HOUR_MS, MINUTE_MS } from '../util/time-zone.js';
import type { EmissionSettings } from './emission-settings.js';

/** DEGRADED_NETWORK: the network comes back every this long, and the readings it held arrive together. */
export const RESTORE_EVERY_MS = 2 * HOUR_MS;
const TWO_POW_32 = 4294967296;

/** What happens to one reading on its way to the head end. */
export const DELIVERY = { ON_TIME: 0, LATE: 1, OUT_OF_ORDER: 2, BACKFILL: 3 } as const;
export type Delivery = (typeof DELIVERY)[keyof typeof DELIVERY];

/** Where a reading's emission lands: milliseconds after its interval ends, and a second copy's, or -1. */
export interface Emission {
  delayMs: number;
  duplicateDelayMs: number;
  delivery: Delivery;
}

/**
 * When each reading is emitted: a pure function of (seed, meter, interval), like the reading itself, so a resumed
 * stream emits exactly what the first run would have.
 *
 * The slot: UNIFORM meters all report at the interval boundary; the other patterns spread meters over the interval
 * (each meter keeps its own phase, as a head end's polling schedule does) with a little jitter per reading. Then the
 * settings' rates move some readings later (see EmissionSettings) and copy some.
 */
export class EmissionSchedule {
  private readonly stepMs: number;
  private readonly spread: boolean;

  constructor(
    private readonly settings: EmissionSettings,
    private readonly seed: number,
    intervalMinutes: number,
  ) {
    this.stepMs = intervalMinutes * MINUTE_MS;
    this.spread = settings.pattern !== 'UNIFORM';
  }

  /** A meter's phase within the interval, ms (0 for UNIFORM). */
  phaseMs(meterNumber: number): number {
    if (!this.spread) return 0;
    return Math.floor((hash32(this.seed, STREAM.EMISSION_PHASE, meterNumber, 0) / TWO_POW_32) * this.stepMs * 0.95);
  }

  /**
   * Fills `out` for the reading of `meterNumber` whose interval starts at `utcMs`; `phaseMs` is phaseMs(meterNumber)
   * and `key` hash32(seed, STREAM.EMISSION, meterNumber, 0), both computed once per meter by the caller.
   */
  emission(key: number, phaseMs: number, utcMs: number, out: Emission): void {
    const { stepMs, settings } = this;
    const counter = Math.floor(utcMs / stepMs) >>> 0;
    const h = mix32(key, counter);
    const h2 = mix32(h, 0x5bd1e995);
    const u = h / TWO_POW_32;
    const v = h2 / TWO_POW_32;
    // Jitter: up to 5% of the interval after the meter's phase (never past the interval).
    let delay = this.spread ? phaseMs + Math.floor(((h2 >>> 20) / 4096) * stepMs * 0.05) : 0;
    let delivery: Delivery = DELIVERY.ON_TIME;
    if (u < settings.missingRate) {
      delivery = DELIVERY.BACKFILL;
      if (settings.pattern === 'DEGRADED_NETWORK') {
        // Held until the network is back: the next restore after the slot, plus up to 30 s of burst.
        const due = utcMs + stepMs + delay;
        delay = Math.ceil((due + 1) / RESTORE_EVERY_MS) * RESTORE_EVERY_MS - utcMs - stepMs + Math.floor(v * 30_000);
      } else {
        delay += HOUR_MS + Math.floor(v * 3 * HOUR_MS);
      }
    } else if (u < settings.missingRate + settings.lateRate) {
      delivery = DELIVERY.LATE;
      delay += (1 + Math.floor(v * 8)) * stepMs;
    } else if (u < settings.missingRate + settings.lateRate + settings.outOfOrderRate) {
      delivery = DELIVERY.OUT_OF_ORDER;
      // After the meter's next reading (one interval later at the same phase) but before the one after.
      delay += stepMs + Math.floor(stepMs * (0.06 + 0.3 * v));
    }
    out.delayMs = delay;
    out.delivery = delivery;
    const w = (mix32(h2, 0x27d4eb2f) >>> 8) / 16777216;
    out.duplicateDelayMs = w < settings.duplicateRate ? delay + 1_000 + Math.floor(v * 59_000) : -1;
  }
}
