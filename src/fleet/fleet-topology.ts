/**
 * What an invented fleet (fleet.ts) and an imported inventory (fleet-inventory.ts) both are: the meters, their grid
 * topology (meter -> transformer -> feeder -> substation) and locations. Columnar: typed arrays per meter, strings
 * once per meter or asset.
 */
export interface FleetTopology {
  readonly size: number;
  /** A distinct 32-bit key per meter that keys its random draws: the digits of an invented meter's id, or fleetKeys of an imported id. */
  readonly meterNumber: Uint32Array;
  readonly meterIds: readonly string[];
  /** Code into SEGMENTS. */
  readonly segment: Uint8Array;
  readonly transformer: Uint32Array;
  readonly feeder: Uint32Array;
  readonly substation: Uint32Array;
  readonly latitude: Float64Array;
  readonly longitude: Float64Array;
  readonly transformerIds: readonly string[];
  readonly feederIds: readonly string[];
  readonly substationIds: readonly string[];
}
