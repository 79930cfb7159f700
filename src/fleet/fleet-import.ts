import { SEGMENTS } from '../scenario/enums.js';
import { SERVICE_AREAS, resolveServiceAreaName, type ServiceAreaName } from '../scenario/service-areas.js';
import { hash32, intBetween, seedFromText, uniform } from '../util/random.js';
import { NO_PROFILE, type FleetInventory } from './fleet-inventory.js';
import { PROFILES } from './load-profiles.js';
import { STREAM } from './streams.js';

/**
 * Turns a utility's meter inventory, row by row, into a complete fleet inventory (fleet-inventory.ts): each value
 * checked (a problem names the line, the column and why), then what the inventory lacks filled by the model the way
 * an invented fleet is built (fleet.ts): segments from the area's mix, homes grouped 3 to 10 to a transformer,
 * feeders of 700 to 1,400 meters, substations of 3 to 8 feeders, locations around the assets, every draw keyed by
 * the seed and a hash of the meter's (or asset's) id, so the same inventory and seed give the same fleet file.
 * Pure: warehouse/inventory-source.ts reads the rows, warehouse/fleet-file.ts writes the result.
 */

/** The inventory's columns, as `--map` names them. Only meter_id is required. */
export const FLEET_FIELDS = [
  'meter_id', 'transformer_id', 'feeder_id', 'substation_id', 'latitude', 'longitude', 'segment', 'building_type',
  'rate_class', 'service_area', 'pv_kw', 'ev', 'transformer_kva', 'install_date',
] as const;
export type FleetField = (typeof FLEET_FIELDS)[number];

/** Other names a field is known by (a column of that name is taken without a mapping). */
export const FIELD_ALIASES: Readonly<Partial<Record<FleetField, readonly string[]>>> = {
  feeder_id: ['circuit_id', 'feeder', 'circuit'],
  transformer_id: ['transformer'],
  substation_id: ['substation'],
  service_area: ['time_zone', 'area'],
};

/** Ids longer than this are refused: the reading checks of the pipeline (and most warehouses' keys) stop there. */
export const MAX_FLEET_ID_LENGTH = 64;
/** At most as many meters as a scenario may have (scenario-schema.ts MAX_METERS). */
export const MAX_IMPORTED_METERS = 1_000_000;
/** Problems kept in detail; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 200;

export type InventoryRow = Readonly<Partial<Record<FleetField, string | null>>>;

export interface RowProblem {
  /** Line of the source (CSV and NDJSON; the header is line 1 of a CSV), or row number of a table or Parquet file. */
  readonly line: number;
  readonly column: FleetField;
  readonly reason: string;
}

export interface ColumnReport {
  readonly column: FleetField;
  /** Rows that gave a value. */
  readonly given: number;
  /** Rows the model filled (at import; or, for `per scenario` columns, each time a scenario builds the fleet). */
  readonly filled: number;
  readonly how: string;
}

export interface ImportReport {
  readonly rowsRead: number;
  readonly meters: number;
  readonly skippedRows: number;
  readonly problems: number;
  readonly problemList: readonly RowProblem[];
  readonly columns: readonly ColumnReport[];
  readonly area: ServiceAreaName;
  readonly transformers: number;
  readonly feeders: number;
  readonly substations: number;
}

/** The imported fleet: the inventory (without its file hash) and the columns kept for the file only. */
export interface ImportedFleet {
  readonly inventory: Omit<FleetInventory, 'sha256'>;
  readonly rateClass: readonly (string | null)[];
  readonly installDate: readonly (string | null)[];
}

const HOW: Readonly<Record<FleetField, string>> = {
  meter_id: 'required',
  transformer_id: 'homes grouped 3-10 per transformer, C&I their own',
  feeder_id: "the transformer's feeder, else feeders of 700-1,400 meters",
  substation_id: "the feeder's substation, else 3-8 feeders each",
  latitude: 'near the transformer, feeder or substation',
  longitude: 'near the transformer, feeder or substation',
  segment: "the building type's, else the area mix",
  building_type: 'per scenario, by segment',
  rate_class: 'left empty (not used by the model)',
  service_area: 'the import area',
  pv_kw: "per scenario, the PV share",
  ev: "per scenario, the EV share",
  transformer_kva: 'per scenario, from the meters behind it',
  install_date: 'left empty (not used by the model)',
};

const KM_PER_DEGREE = 111.32;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const PROFILE_BY_NAME = new Map(PROFILES.map((p, i) => [p.name, i]));
const BUILDING_TYPES = PROFILES.map((p) => p.name).join(', ');
const TRUE = new Set(['Y', 'YES', 'TRUE', '1', 'T']);
const FALSE = new Set(['N', 'NO', 'FALSE', '0', 'F']);

/** Growable columns of the rows kept so far. */
class Rows {
  ids: string[] = [];
  lines: number[] = [];
  segment: number[] = [];
  transformer: (string | null)[] = [];
  feeder: (string | null)[] = [];
  substation: (string | null)[] = [];
  latitude: number[] = [];
  longitude: number[] = [];
  profile: number[] = [];
  pvKw: number[] = [];
  evKw: number[] = [];
  rateClass: (string | null)[] = [];
  installDate: (string | null)[] = [];
}

export interface FleetImportOptions {
  readonly seed: number;
  /** The area when the inventory has no service_area column (default for the command: TEXAS_GULF_COAST). */
  readonly area: ServiceAreaName;
  /** Keep the good rows and drop the bad ones, rather than refusing the inventory. */
  readonly skipBadRows?: boolean;
}

export class FleetImporter {
  private readonly rows = new Rows();
  private readonly lineOfId = new Map<string, number>();
  private readonly given = new Map<FleetField, number>();
  private readonly feederOfTransformer = new Map<string, string>();
  private readonly substationOfFeeder = new Map<string, string>();
  private readonly substationOfTransformer = new Map<string, string>();
  private readonly kvaOfTransformer = new Map<string, number>();
  private area: ServiceAreaName | null = null;
  private readonly problemList: RowProblem[] = [];
  private problemCount = 0;
  private badRows = 0;
  private rowsRead = 0;

  constructor(private readonly options: FleetImportOptions) {}

  get problems(): number {
    return this.problemCount;
  }

  /** Checks one inventory row and keeps it when it is good. */
  add(row: InventoryRow, line: number): void {
    this.rowsRead++;
    const problems: RowProblem[] = [];
    const bad = (column: FleetField, reason: string): void => void problems.push({ line, column, reason });
    const text = (field: FleetField): string | null => {
      const v = row[field];
      if (v === null || v === undefined) return null;
      const t = String(v).trim();
      return t === '' ? null : t;
    };
    const id = (field: FleetField): string | null => {
      const v = text(field);
      if (v !== null && v.length > MAX_FLEET_ID_LENGTH) {
        bad(field, `"${v.slice(0, 20)}..." is ${v.length} characters, longer than the ${MAX_FLEET_ID_LENGTH} the schema allows`);
        return null;
      }
      return v;
    };
    const number = (field: FleetField, min: number, max: number): number => {
      const v = text(field);
      if (v === null) return Number.NaN;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        bad(field, `"${v.slice(0, 40)}" is not a number from ${min} to ${max}`);
        return Number.NaN;
      }
      return n;
    };

    const meterId = id('meter_id');
    if (meterId === null && !problems.length) bad('meter_id', 'the meter id is missing');
    if (meterId !== null) {
      const first = this.lineOfId.get(meterId);
      if (first !== undefined) bad('meter_id', `duplicate meter id "${meterId}" (first on line ${first})`);
    }
    const areaText = text('service_area');
    if (areaText !== null) {
      const name = resolveServiceAreaName(areaText);
      if (!name) bad('service_area', `unknown service area "${areaText.slice(0, 40)}"`);
      else if (this.area !== null && name !== this.area) bad('service_area', `${name}, but the inventory's first area is ${this.area}: a fleet file is one service area`);
      else this.area = name;
    }
    let seg = -1;
    const segText = text('segment');
    if (segText !== null) {
      seg = SEGMENTS.indexOf(segText.toUpperCase() as (typeof SEGMENTS)[number]);
      if (seg < 0) bad('segment', `unknown segment "${segText.slice(0, 40)}" (known: ${SEGMENTS.join(', ')})`);
    }
    let profile = NO_PROFILE;
    const typeText = text('building_type');
    if (typeText !== null) {
      const p = PROFILE_BY_NAME.get(typeText.toUpperCase().replace(/[\s-]+/g, '_'));
      if (p === undefined) bad('building_type', `unknown building type "${typeText.slice(0, 40)}" (known: ${BUILDING_TYPES})`);
      else {
        const its = SEGMENTS.indexOf(PROFILES[p]!.segment);
        if (seg >= 0 && its !== seg) bad('building_type', `${PROFILES[p]!.name} is a ${PROFILES[p]!.segment} building type, but the segment is ${SEGMENTS[seg]}`);
        else {
          profile = p;
          if (seg < 0) seg = its;
        }
      }
    }
    const lat = number('latitude', -90, 90);
    const lon = number('longitude', -180, 180);
    if (Number.isNaN(lat) !== Number.isNaN(lon) && text('latitude') !== null && text('longitude') !== null) {
      // Both given, one out of range: already reported.
    } else if (Number.isNaN(lat) !== Number.isNaN(lon)) {
      bad(Number.isNaN(lat) ? 'latitude' : 'longitude', 'a location needs both latitude and longitude');
    }
    const transformer = id('transformer_id');
    const feeder = id('feeder_id');
    const substation = id('substation_id');
    if (transformer !== null && feeder !== null) {
      const known = this.feederOfTransformer.get(transformer);
      if (known !== undefined && known !== feeder) bad('feeder_id', `transformer "${transformer}" is on feeder "${known}" in an earlier row, here on "${feeder}"`);
    }
    if (feeder !== null && substation !== null) {
      const known = this.substationOfFeeder.get(feeder);
      if (known !== undefined && known !== substation) bad('substation_id', `feeder "${feeder}" is in substation "${known}" in an earlier row, here in "${substation}"`);
    }
    if (transformer !== null && substation !== null) {
      const known = this.substationOfTransformer.get(transformer);
      if (known !== undefined && known !== substation) bad('substation_id', `transformer "${transformer}" is in substation "${known}" in an earlier row, here in "${substation}"`);
    }
    const pv = number('pv_kw', 0, 10_000);
    let ev = Number.NaN;
    const evText = text('ev');
    if (evText !== null) {
      const u = evText.toUpperCase();
      if (TRUE.has(u)) ev = uniform(this.options.seed, STREAM.IMPORTED_METER, seedFromText(meterId ?? ''), 7) < 0.75 ? 7.2 : 1.4;
      else if (FALSE.has(u)) ev = 0;
      else bad('ev', `"${evText.slice(0, 40)}" is not yes or no`);
    }
    const kva = number('transformer_kva', 1, 10_000);
    if (!Number.isNaN(kva)) {
      if (transformer === null) bad('transformer_kva', 'a rating without a transformer id');
      else {
        const known = this.kvaOfTransformer.get(transformer);
        if (known !== undefined && known !== kva) bad('transformer_kva', `transformer "${transformer}" is rated ${known} kVA in an earlier row, here ${kva}`);
      }
    }
    const rateClass = id('rate_class');
    const install = text('install_date');
    if (install !== null && !isCalendarDate(install)) bad('install_date', `"${install.slice(0, 40)}" is not a date (YYYY-MM-DD)`);

    if (problems.length > 0) {
      this.badRows++;
      this.problemCount += problems.length;
      for (const p of problems) if (this.problemList.length < MAX_REPORTED_PROBLEMS) this.problemList.push(p);
      return;
    }
    if (this.rows.ids.length >= MAX_IMPORTED_METERS) {
      this.badRows++;
      this.problemCount++;
      if (this.problemList.length < MAX_REPORTED_PROBLEMS) this.problemList.push({ line, column: 'meter_id', reason: `more than ${MAX_IMPORTED_METERS.toLocaleString('en-US')} meters` });
      return;
    }
    for (const f of FLEET_FIELDS) if (text(f) !== null) this.given.set(f, (this.given.get(f) ?? 0) + 1);
    if (transformer !== null && feeder !== null) this.feederOfTransformer.set(transformer, feeder);
    if (feeder !== null && substation !== null) this.substationOfFeeder.set(feeder, substation);
    if (transformer !== null && substation !== null) this.substationOfTransformer.set(transformer, substation);
    if (transformer !== null && !Number.isNaN(kva)) this.kvaOfTransformer.set(transformer, kva);
    const r = this.rows;
    this.lineOfId.set(meterId!, line);
    r.ids.push(meterId!);
    r.lines.push(line);
    r.segment.push(seg);
    r.transformer.push(transformer);
    r.feeder.push(feeder);
    r.substation.push(substation);
    r.latitude.push(lat);
    r.longitude.push(lon);
    r.profile.push(profile);
    r.pvKw.push(pv);
    r.evKw.push(ev);
    r.rateClass.push(rateClass);
    r.installDate.push(install);
  }

  /**
   * The fleet and the report; `fleet` is null when there were bad rows and `skipBadRows` is off (nothing may be
   * written), or when no row is good.
   */
  finish(): { readonly fleet: ImportedFleet | null; readonly report: ImportReport } {
    const refused = this.problemCount > 0 && !this.options.skipBadRows;
    const area = this.area ?? this.options.area;
    const fleet = refused || this.rows.ids.length === 0 ? null : this.fill(area);
    const n = fleet ? fleet.inventory.size : 0;
    const columns = FLEET_FIELDS.map((column): ColumnReport => {
      const given = this.given.get(column) ?? 0;
      const filled = column === 'rate_class' || column === 'install_date' ? 0 : n - Math.min(n, given);
      return { column, given, filled, how: HOW[column] };
    });
    return {
      fleet,
      report: {
        rowsRead: this.rowsRead,
        meters: n,
        skippedRows: this.options.skipBadRows ? this.badRows : 0,
        problems: this.problemCount,
        problemList: this.problemList,
        columns,
        area,
        transformers: fleet?.inventory.transformerIds.length ?? 0,
        feeders: fleet?.inventory.feederIds.length ?? 0,
        substations: fleet?.inventory.substationIds.length ?? 0,
      },
    };
  }

  private fill(areaName: ServiceAreaName): ImportedFleet {
    const r = this.rows;
    const n = r.ids.length;
    const seed = this.options.seed;
    const area = SERVICE_AREAS[areaName];
    const meterNumber = meterKeys(r.ids);

    // Segments: the row's, else drawn from the area's mix as an invented meter's is.
    const segment = new Uint8Array(n);
    const mix = area.mix;
    const total = mix.RESIDENTIAL + mix.COMMERCIAL + mix.INDUSTRIAL;
    for (let i = 0; i < n; i++) {
      const given = r.segment[i]!;
      if (given >= 0) segment[i] = given;
      else {
        const u = uniform(seed, STREAM.SEGMENT, meterNumber[i]!, 0) * total;
        segment[i] = u < mix.RESIDENTIAL ? 0 : u < mix.RESIDENTIAL + mix.COMMERCIAL ? 1 : 2;
      }
    }

    // Topology: feeder, then transformer, then substation, each the row's, else what the other rows say, else the
    // model's walk (file order), with ids marked M so they never meet the utility's own.
    const index = (): { ids: string[]; of: Map<string, number>; get: (id: string) => number } => {
      const ids: string[] = [];
      const of = new Map<string, number>();
      const get = (id: string): number => {
        let k = of.get(id);
        if (k === undefined) {
          k = ids.length;
          ids.push(id);
          of.set(id, k);
        }
        return k;
      };
      return { ids, of, get };
    };
    const feeders = index();
    const transformers = index();
    const substations = index();
    const feeder = new Uint32Array(n);
    const transformer = new Uint32Array(n);
    const substation = new Uint32Array(n);
    let modelFeeder = '';
    let modelFeederLeft = 0;
    let modelFeeders = 0;
    let modelTransformers = 0;
    const homesLeft = new Map<string, { id: string; left: number }>();
    for (let i = 0; i < n; i++) {
      const t = r.transformer[i];
      let f = r.feeder[i] ?? (t !== null && t !== undefined ? this.feederOfTransformer.get(t) : undefined) ?? null;
      if (f === null) {
        if (modelFeederLeft <= 0) {
          modelFeeders++;
          modelFeeder = `FDR-${area.code}-M${pad(modelFeeders, 5)}`;
          modelFeederLeft = intBetween(700, 1400, uniform(seed, STREAM.TOPOLOGY, modelFeeders, 12));
        }
        modelFeederLeft--;
        f = modelFeeder;
      }
      feeder[i] = feeders.get(f);
      let tid = t ?? null;
      if (tid === null) {
        const newTransformer = (): string => `XFMR-${area.code}-M${pad(++modelTransformers, 7)}`;
        if (segment[i] === 0) {
          let open = homesLeft.get(f);
          if (!open || open.left <= 0) {
            const id = newTransformer();
            open = { id, left: intBetween(3, 10, uniform(seed, STREAM.TOPOLOGY, seedFromText(id), 6)) };
            homesLeft.set(f, open);
          }
          open.left--;
          tid = open.id;
        } else tid = newTransformer();
      }
      transformer[i] = transformers.get(tid);
    }
    // Substations per feeder: the rows', else the model's (3 to 8 feeders each, in the order feeders appear).
    const substationOf = new Uint32Array(feeders.ids.length);
    let modelSubstation = '';
    let modelSubstationLeft = 0;
    let modelSubstations = 0;
    for (let k = 0; k < feeders.ids.length; k++) {
      let s = this.substationOfFeeder.get(feeders.ids[k]!) ?? null;
      if (s === null) {
        if (modelSubstationLeft <= 0) {
          modelSubstations++;
          modelSubstation = `SUB-${area.code}-M${pad(modelSubstations, 4)}`;
          modelSubstationLeft = intBetween(3, 8, uniform(seed, STREAM.TOPOLOGY, modelSubstations, 11));
        }
        modelSubstationLeft--;
        s = modelSubstation;
      }
      substationOf[k] = substations.get(s);
    }
    for (let i = 0; i < n; i++) {
      // A row's own substation wins (it was checked against the rows before it); else its transformer's or feeder's.
      const own = r.substation[i] ?? (this.substationOfTransformer.get(transformers.ids[transformer[i]!]!) ?? null);
      substation[i] = own !== null ? substations.get(own) : substationOf[feeder[i]!]!;
    }

    // Locations: the row's, else near the first located meter of its transformer, feeder or substation, else placed
    // around the area as an invented fleet's assets are.
    const latitude = Float64Array.from(r.latitude);
    const longitude = Float64Array.from(r.longitude);
    const lonScale = KM_PER_DEGREE * Math.cos((area.latitude * Math.PI) / 180);
    const place = (lat: number, lon: number, radiusKm: number, stream: number, key: number): [number, number] => {
      const d = radiusKm * Math.sqrt(uniform(seed, stream, key, 1));
      const a = 2 * Math.PI * uniform(seed, stream, key, 2);
      return [lat + (d * Math.sin(a)) / KM_PER_DEGREE, lon + (d * Math.cos(a)) / lonScale];
    };
    const anchor = (count: number): Float64Array => new Float64Array(count * 2).fill(Number.NaN);
    const atT = anchor(transformers.ids.length);
    const atF = anchor(feeders.ids.length);
    const atS = anchor(substations.ids.length);
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(latitude[i]!)) continue;
      for (const [at, k] of [[atT, transformer[i]!], [atF, feeder[i]!], [atS, substation[i]!]] as const) {
        if (Number.isNaN(at[2 * k]!)) {
          at[2 * k] = latitude[i]!;
          at[2 * k + 1] = longitude[i]!;
        }
      }
    }
    const located = (at: Float64Array, k: number, ids: readonly string[], radiusKm: number, stream: number, parent: () => [number, number]): [number, number] => {
      if (Number.isNaN(at[2 * k]!)) {
        const [pLat, pLon] = parent();
        [at[2 * k], at[2 * k + 1]] = place(pLat, pLon, radiusKm, stream, seedFromText(ids[k]!));
      }
      return [at[2 * k]!, at[2 * k + 1]!];
    };
    for (let i = 0; i < n; i++) {
      if (!Number.isNaN(latitude[i]!)) continue;
      const s = (): [number, number] => located(atS, substation[i]!, substations.ids, 30, STREAM.LOCATION_SUBSTATION, () => [area.latitude, area.longitude]);
      const f = (): [number, number] => located(atF, feeder[i]!, feeders.ids, 5, STREAM.LOCATION_FEEDER, s);
      const [tLat, tLon] = located(atT, transformer[i]!, transformers.ids, 1.5, STREAM.LOCATION_TRANSFORMER, f);
      const [lat, lon] = place(tLat, tLon, segment[i] === 0 ? 0.05 : 0.02, STREAM.LOCATION_METER, meterNumber[i]!);
      latitude[i] = Math.round(lat * 1e6) / 1e6;
      longitude[i] = Math.round(lon * 1e6) / 1e6;
    }

    const transformerKva = new Float64Array(transformers.ids.length).fill(Number.NaN);
    for (const [id, kva] of this.kvaOfTransformer) {
      const k = transformers.of.get(id);
      if (k !== undefined) transformerKva[k] = kva;
    }
    return {
      inventory: {
        area: areaName,
        size: n,
        meterIds: r.ids,
        meterNumber,
        segment,
        transformer,
        feeder,
        substation,
        latitude,
        longitude,
        profile: Uint8Array.from(r.profile),
        pvKw: Float64Array.from(r.pvKw),
        evKw: Float64Array.from(r.evKw),
        transformerIds: transformers.ids,
        transformerKva,
        feederIds: feeders.ids,
        substationIds: substations.ids,
      },
      rateClass: r.rateClass,
      installDate: r.installDate,
    };
  }
}

/**
 * A distinct 32-bit key per meter id (what a meter number is to an invented meter: it keys the meter's random
 * draws): a hash of the id, and where two ids hash alike (about a hundred pairs in a million), the later one in file
 * order rehashed until its key is free. Sorting finds the clashes without a set of a million numbers.
 */
export function meterKeys(ids: readonly string[]): Uint32Array {
  const keys = Uint32Array.from(ids, (id) => seedFromText(id));
  const sorted = Uint32Array.from(keys).sort();
  const taken = (k: number): boolean => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] === k) return true;
      if (sorted[mid]! < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  const clashing = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) clashing.add(sorted[i]!);
  if (clashing.size === 0) return keys;
  const seen = new Set<number>();
  const extra = new Set<number>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!clashing.has(k)) continue;
    if (!seen.has(k)) {
      seen.add(k);
      continue;
    }
    let next = k;
    for (let attempt = 1; taken(next) || extra.has(next); attempt++) next = hash32(k, STREAM.IMPORTED_METER, i, attempt);
    extra.add(next);
    keys[i] = next;
  }
  return keys;
}

function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
