import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { ImportedFleet } from '../fleet/fleet-import.js';
import { NO_PROFILE, type FleetInventory } from '../fleet/fleet-inventory.js';
import { rememberInventory } from '../fleet/imported-fleets.js';
import { PROFILES } from '../fleet/load-profiles.js';
import { meterKeys } from '../fleet/fleet-import.js';
import { SEGMENTS } from '../scenario/enums.js';
import { isServiceAreaName, resolveServiceAreaName } from '../scenario/service-areas.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { quoteLiteral } from './sql-quote.js';

/**
 * The fleet file: one Parquet row per meter, the utility's ids and topology complete, what it knows of each customer
 * (NULL where the model draws it per scenario). Written by `forge fleet import`, named by a scenario's `fleetFile`.
 * Its SHA-256 goes into the scenario (`fleetHash`), so a job record names the exact file and verify or resume refuse
 * a file changed since.
 */
const COLUMNS = `meter_id VARCHAR NOT NULL, service_area VARCHAR NOT NULL, segment VARCHAR NOT NULL, transformer_id VARCHAR NOT NULL,
  feeder_id VARCHAR NOT NULL, substation_id VARCHAR NOT NULL, latitude DOUBLE NOT NULL, longitude DOUBLE NOT NULL,
  building_type VARCHAR, rate_class VARCHAR, pv_kw DOUBLE, ev_kw DOUBLE, transformer_kva DOUBLE, install_date DATE`;
const NAMES = ['meter_id', 'service_area', 'segment', 'transformer_id', 'feeder_id', 'substation_id', 'latitude', 'longitude', 'building_type', 'rate_class', 'pv_kw', 'ev_kw', 'transformer_kva', 'install_date'];

/** Writes the fleet file (to a temporary name first, so a failed write leaves no half file). Returns its SHA-256. */
export async function writeFleetFile(path: string, fleet: ImportedFleet): Promise<string> {
  const inv = fleet.inventory;
  // DuckDB loads only for a fleet file: a job without one (and every command's start) never pays for it.
  const { Warehouse } = await import('./warehouse.js');
  const warehouse = await Warehouse.open(':memory:');
  const partial = `${path}.partial`;
  try {
    await warehouse.run(`CREATE TABLE fleet (${COLUMNS})`);
    const appender = await warehouse.connection.createAppender('fleet');
    const maybe = (v: number): void => (Number.isNaN(v) ? appender.appendNull() : appender.appendDouble(v));
    try {
      for (let i = 0; i < inv.size; i++) {
        const t = inv.transformer[i]!;
        appender.appendVarchar(inv.meterIds[i]!);
        appender.appendVarchar(inv.area);
        appender.appendVarchar(SEGMENTS[inv.segment[i]!]!);
        appender.appendVarchar(inv.transformerIds[t]!);
        appender.appendVarchar(inv.feederIds[inv.feeder[i]!]!);
        appender.appendVarchar(inv.substationIds[inv.substation[i]!]!);
        appender.appendDouble(inv.latitude[i]!);
        appender.appendDouble(inv.longitude[i]!);
        const p = inv.profile[i]!;
        if (p === NO_PROFILE) appender.appendNull();
        else appender.appendVarchar(PROFILES[p]!.name);
        const rate = fleet.rateClass[i];
        if (rate === null || rate === undefined) appender.appendNull();
        else appender.appendVarchar(rate);
        maybe(inv.pvKw[i]!);
        maybe(inv.evKw[i]!);
        maybe(inv.transformerKva[t]!);
        const installed = fleet.installDate[i];
        if (installed === null || installed === undefined) appender.appendNull();
        else appender.appendVarchar(installed);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
    await warehouse.run(`COPY fleet TO ${quoteLiteral(partial)} (FORMAT parquet, COMPRESSION zstd)`);
  } catch (e) {
    await rm(partial, { force: true });
    throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, errorText(e)], { cause: e });
  } finally {
    warehouse.close();
  }
  await rename(partial, path);
  return fileSha256(path);
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, errorText(e)], { cause: e });
  }
  return hash.digest('hex');
}

/**
 * Reads a fleet file into an inventory and remembers it for buildFleet (imported-fleets.ts). With `expectedSha256`
 * (a job record's), a file whose bytes changed since is refused.
 */
export async function loadFleetFile(path: string, expectedSha256?: string): Promise<FleetInventory> {
  const sha256 = await fileSha256(path);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, `it changed since the scenario was made (SHA-256 ${sha256.slice(0, 12)}..., the scenario's ${expectedSha256.slice(0, 12)}...): the same readings need the same file`]);
  }
  // DuckDB loads only for a fleet file: a job without one (and every command's start) never pays for it.
  const { Warehouse } = await import('./warehouse.js');
  const warehouse = await Warehouse.open(':memory:');
  try {
    const ids: string[] = [];
    const area: string[] = [];
    const cols = { segment: [] as number[], t: [] as string[], f: [] as string[], s: [] as string[], lat: [] as number[], lon: [] as number[], profile: [] as number[], pv: [] as number[], ev: [] as number[], kva: [] as number[] };
    let result;
    try {
      result = await warehouse.connection.stream(`SELECT ${NAMES.filter((n) => n !== 'rate_class' && n !== 'install_date').join(', ')} FROM read_parquet(${quoteLiteral(path)})`);
    } catch (e) {
      throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, `not a fleet file (forge fleet import writes one): ${errorText(e)}`], { cause: e });
    }
    const num = (v: DuckDBValue | undefined): number => (v === null || v === undefined ? Number.NaN : Number(v));
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const v = Array.from({ length: 12 }, (_, c) => chunk.getColumnValues(c));
      for (let r = 0; r < chunk.rowCount; r++) {
        ids.push(String(v[0]![r]));
        if (area.length === 0) area.push(String(v[1]![r]));
        cols.segment.push(SEGMENTS.indexOf(String(v[2]![r]) as (typeof SEGMENTS)[number]));
        cols.t.push(String(v[3]![r]));
        cols.f.push(String(v[4]![r]));
        cols.s.push(String(v[5]![r]));
        cols.lat.push(num(v[6]![r]));
        cols.lon.push(num(v[7]![r]));
        const type = v[8]![r];
        cols.profile.push(type === null || type === undefined ? NO_PROFILE : PROFILES.findIndex((p) => p.name === String(type)));
        cols.pv.push(num(v[9]![r]));
        cols.ev.push(num(v[10]![r]));
        cols.kva.push(num(v[11]![r]));
      }
    }
    const areaName = area[0];
    if (ids.length === 0 || !isServiceAreaName(areaName)) throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, ids.length === 0 ? 'it has no meters' : `unknown service area "${areaName}"`]);
    if (cols.segment.some((s) => s < 0) || cols.profile.some((p) => p < 0)) throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, 'a segment or building type this version does not know']);
    const dictionary = (values: string[]): { ids: string[]; codes: Uint32Array; first: Int32Array } => {
      const of = new Map<string, number>();
      const list: string[] = [];
      const codes = new Uint32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        let k = of.get(values[i]!);
        if (k === undefined) {
          k = list.length;
          list.push(values[i]!);
          of.set(values[i]!, k);
        }
        codes[i] = k;
      }
      const first = new Int32Array(list.length).fill(-1);
      for (let i = values.length - 1; i >= 0; i--) first[codes[i]!] = i;
      return { ids: list, codes, first };
    };
    const t = dictionary(cols.t);
    const f = dictionary(cols.f);
    const s = dictionary(cols.s);
    const inventory: FleetInventory = {
      sha256,
      area: areaName,
      size: ids.length,
      meterIds: ids,
      meterNumber: meterKeys(ids),
      segment: Uint8Array.from(cols.segment),
      transformer: t.codes,
      feeder: f.codes,
      substation: s.codes,
      latitude: Float64Array.from(cols.lat),
      longitude: Float64Array.from(cols.lon),
      profile: Uint8Array.from(cols.profile),
      pvKw: Float64Array.from(cols.pv),
      evKw: Float64Array.from(cols.ev),
      transformerIds: t.ids,
      transformerKva: Float64Array.from(t.first, (i) => cols.kva[i]!),
      feederIds: f.ids,
      substationIds: s.ids,
    };
    rememberInventory(inventory);
    return inventory;
  } catch (e) {
    if (e instanceof ForgeError) throw e;
    throw new ForgeError('FORGE_ERR_FLEET_FILE', [path, errorText(e)], { cause: e });
  } finally {
    warehouse.close();
  }
}

/**
 * A scenario input naming a fleet file, completed from the file: its meter count, its hash and its area. A meter
 * count or area the input gives must agree with the file's; a hash it gives (a job record's) must be the file's.
 * Inputs without a fleet file come back unchanged. Call before resolveScenario; the inventory is then remembered for
 * buildFleet in this process.
 */
export async function withFleetFile<T extends Record<string, unknown>>(input: T): Promise<T> {
  const path = input.fleetFile;
  if (path === undefined || path === null) return input;
  if (typeof path !== 'string' || path.trim() === '') throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['fleetFile: expected the path of a fleet file']);
  const given = typeof input.fleetHash === 'string' ? input.fleetHash : undefined;
  const inventory = await loadFleetFile(path.trim(), given);
  if (input.meters !== undefined && Number(input.meters) !== inventory.size) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`meters: ${String(input.meters)}, but the fleet file ${path} has ${inventory.size} meters (leave meters out: the file decides)`]);
  }
  if (input.fleet !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['fleet: a fleet preset sets the meters, which the fleet file decides']);
  if (typeof input.area === 'string' && resolveServiceAreaName(input.area) !== inventory.area) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`area: ${input.area}, but the fleet file ${path} is of ${inventory.area}`]);
  }
  // Absolute, so a job record read from another directory (verify, resume) names the same file.
  return { ...input, fleetFile: resolve(path.trim()), fleetHash: inventory.sha256, meters: inventory.size, area: input.area ?? inventory.area };
}

/**
 * Reads the fleet file a recorded scenario names (a job record's: resume, verify, the server's job worker), checking
 * it is the file the job ran with. Nothing to do for an invented fleet.
 */
export async function loadScenarioFleet(scenario: { readonly fleetFile?: unknown; readonly fleetHash?: unknown } | undefined): Promise<void> {
  if (typeof scenario?.fleetFile !== 'string') return;
  await loadFleetFile(scenario.fleetFile, typeof scenario.fleetHash === 'string' ? scenario.fleetHash : undefined);
}
