import { SEGMENTS } from '../scenario/enums.js';
import type { Fleet } from './fleet.js';

/**
 * A transformer as the sinks and the stage publish it beside the readings, for gold loading to join: its id, its
 * rating (Fleet.transformerKva), whether it is a three-phase unit (a commercial or industrial meter behind it, as
 * transformer-ratings.ts sizes it) and where it sits. Snake_case: the names of the tables it lands in.
 */
export interface TransformerRecord {
  readonly transformer_id: string;
  readonly kva: number;
  /** 1 (single-phase, homes only) or 3 (a commercial or industrial service behind it). */
  readonly phases: 1 | 3;
  readonly circuit_id: string;
  readonly substation_id: string;
  /** Meters of `start..end` behind it. */
  readonly meters: number;
}

/**
 * The transformers that meters `start..end` of the fleet (a shard's, or all) are behind, in the order their first
 * meter comes: one record each.
 */
export function transformerRecords(fleet: Fleet, start = 0, end = fleet.size): TransformerRecord[] {
  const meters = new Uint32Array(fleet.transformerIds.length);
  const threePhase = new Uint8Array(fleet.transformerIds.length);
  const firstMeter: number[] = [];
  for (let i = start; i < end; i++) {
    const t = fleet.transformer[i]!;
    if (meters[t] === 0) firstMeter.push(i);
    meters[t]!++;
    if (SEGMENTS[fleet.segment[i]!] !== 'RESIDENTIAL') threePhase[t] = 1;
  }
  return firstMeter.map((i) => {
    const t = fleet.transformer[i]!;
    return {
      transformer_id: fleet.transformerIds[t]!,
      kva: fleet.transformerKva[t]!,
      phases: threePhase[t] ? 3 : 1,
      circuit_id: fleet.feederIds[fleet.feeder[i]!]!,
      substation_id: fleet.substationIds[fleet.substation[i]!]!,
      meters: meters[t]!,
    };
  });
}
