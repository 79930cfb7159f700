import { ForgeError } from '../util/forge-error.js';
import type { FleetInventory } from './fleet-inventory.js';

/**
 * The fleet inventories this process has read, by content hash. Reading a fleet file is asynchronous (DuckDB reads
 * the Parquet), building a fleet is not: whoever resolves a scenario that names a fleet file reads it first
 * (warehouse/fleet-file.ts, loadFleetFile) and remembers it here, so buildFleet finds it. Bounded: a few inventories
 * (a server may run jobs on different files), the least recently used forgotten first.
 */
const KEEP = 3;
const inventories = new Map<string, FleetInventory>();

export function rememberInventory(inventory: FleetInventory): void {
  inventories.delete(inventory.sha256);
  inventories.set(inventory.sha256, inventory);
  while (inventories.size > KEEP) inventories.delete(inventories.keys().next().value!);
}

/** The inventory of a fleet file by its hash; FORGE_ERR_FLEET_FILE when it was not read in this process. */
export function rememberedInventory(sha256: string, path: string): FleetInventory {
  const inventory = inventories.get(sha256);
  if (!inventory) throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, 'the fleet file was not read before the fleet was built (loadFleetFile)']);
  inventories.delete(sha256);
  inventories.set(sha256, inventory);
  return inventory;
}
