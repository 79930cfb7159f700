import type { ServiceAreaName } from '../scenario/service-areas.js';
import type { FleetTopology } from './fleet-topology.js';

/**
 * A utility's own meter inventory, as a fleet file holds it (fleet-import.ts makes one, warehouse/fleet-file.ts
 * stores and reads it): ids, the grid topology and locations, complete (what the inventory lacked was filled at
 * import), plus what the utility knows of its customers (building type, PV, EV, transformer ratings), absent values
 * marked, for the model to draw per scenario. Columnar like the fleet: typed arrays per meter, strings once.
 */
export interface FleetInventory extends FleetTopology {
  /** SHA-256 of the fleet file's bytes (hex): scenarios name it, verify and resume refuse a changed file. */
  readonly sha256: string;
  readonly area: ServiceAreaName;
  /** Code into PROFILES from the building type, or NO_PROFILE: the model draws one. */
  readonly profile: Uint8Array;
  /** PV DC capacity, kW (0 = none), or NaN: the model draws it with the scenario's PV share. */
  readonly pvKw: Float64Array;
  /** EV charger, kW (0 = none), or NaN: the model draws it with the scenario's EV share. */
  readonly evKw: Float64Array;
  /** Per transformer: its rating, kVA, or NaN: drawn from the meters behind it (transformer-ratings.ts). */
  readonly transformerKva: Float64Array;
}

export const NO_PROFILE = 255;
