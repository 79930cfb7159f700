import type { FleetTopology } from '../../../fleet/fleet-topology.js';

/**
 * A meter's NMI (National Metering Identifier, 10 characters A-Z and 0-9, without its check digit) and the meter
 * serial number of its 200 records. A NEM12 file names meters only this way, so both are pure functions of the fleet
 * and a reader maps an NMI back to the meter through `nmiIndex`.
 *
 * An invented meter (MTR-TGC-0000042, a number below 10^7) gets its area code and its 7 digits: TGC0000042. An
 * imported meter's id may be anything, so it gets its 32-bit key (fleet-topology.ts `meterNumber`, distinct per
 * meter) as 10 digits; the two kinds cannot collide, as only the first holds letters.
 */
export function nmiOf(fleet: FleetTopology, meter: number, areaCode: string): string {
  const number = fleet.meterNumber[meter]!;
  return number < 10_000_000 ? `${areaCode}${String(number).padStart(7, '0')}` : String(number).padStart(10, '0');
}

/** The MeterSerialNumber field (up to 12 characters): the id's letters and digits after its prefix, the last 12. */
export function meterSerialOf(fleet: FleetTopology, meter: number): string {
  const id = fleet.meterIds[meter]!;
  const plain = id.replace(/^[A-Za-z]+-/, '').replace(/[^A-Za-z0-9]/g, '');
  return plain.slice(-12);
}

const indexes = new WeakMap<FleetTopology, { areaCode: string; index: Map<string, number> }>();

/** NMI -> fleet index, for every meter of the fleet (made once per fleet: a read-back reads many files of one fleet). */
export function nmiIndex(fleet: FleetTopology, areaCode: string): Map<string, number> {
  const known = indexes.get(fleet);
  if (known?.areaCode === areaCode) return known.index;
  const index = new Map<string, number>();
  for (let m = 0; m < fleet.size; m++) index.set(nmiOf(fleet, m, areaCode), m);
  indexes.set(fleet, { areaCode, index });
  return index;
}
