import { hash32, intBetween, normal, seedFromText, uniform } from '../util/random.js';
import { SEGMENTS } from '../scenario/enums.js';
import { serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { topUpDemoHomes } from './demo-homes.js';
import { allocateTraits, drawTraits, newBuildingCounts, type MeterTraits } from './meter-traits.js';
import { NO_PROFILE, type FleetInventory } from './fleet-inventory.js';
import type { FleetTopology } from './fleet-topology.js';
import { rememberedInventory } from './imported-fleets.js';
import { PROFILES } from './load-profiles.js';
import { STREAM } from './streams.js';
import { transformerRatings } from './transformer-ratings.js';

/**
 * The meter fleet of a scenario: grid topology (meter -> transformer -> feeder -> substation), locations and the
 * per-meter static traits the generator needs. Columnar: per-meter values live in typed arrays, strings once per
 * meter or asset (columnar invariant).
 *
 * The fleet is a walk over global meter numbers 1, 2, 3... whose every step depends only on the seed and the
 * numbers before it, so a fleet of N meters is the first N meters of any larger fleet of the same seed and area, and
 * a segment filter keeps the topology of the whole utility while emitting only the chosen meters. (A demo scenario
 * tops its fleet up to a few PV and EV homes, demo-homes.ts, the one exception.)
 */
export interface Fleet extends FleetTopology {
  /** Per-meter static traits (level, profile, weather response, PV, EV). */
  readonly traits: MeterTraits;
  /** Service voltage offset of each transformer (tap setting and feeder position), volts on a 120 V base. */
  readonly transformerVoltageOffset: Float64Array;
  /** Nameplate rating of each transformer, kVA (transformer-ratings.ts: imported, or drawn from the meters behind it). */
  readonly transformerKva: Float64Array;
}


const KM_PER_DEGREE = 111.32;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function buildFleet(scenario: Scenario): Fleet {
  // An imported fleet (`fleetFile`) was read and remembered by whoever resolved the scenario (fleet-file.ts).
  if (scenario.fleetHash) return fleetFromInventory(rememberedInventory(scenario.fleetHash, scenario.fleetFile ?? ''), scenario);
  const area = serviceAreaOf(scenario);
  const seed = scenario.seed;
  const n = scenario.meters;
  const meterNumber = new Uint32Array(n);
  const meterIds: string[] = new Array<string>(n);
  const segment = new Uint8Array(n);
  const transformer = new Uint32Array(n);
  const feeder = new Uint32Array(n);
  const substation = new Uint32Array(n);
  const latitude = new Float64Array(n);
  const longitude = new Float64Array(n);
  const traits = allocateTraits(n);
  const buildings = newBuildingCounts();

  const transformerIds: string[] = [];
  const transformerOffsets: number[] = [];
  const feederIds: string[] = [];
  const substationIds: string[] = [];

  const mix = scenario.mix;
  const cut0 = mix.RESIDENTIAL;
  const cut1 = mix.RESIDENTIAL + mix.COMMERCIAL;

  // Walk state: the asset currently being filled at each level, and its remaining capacity.
  let subIndex = -1;
  let subFeedersLeft = 0;
  let subLat = 0;
  let subLon = 0;
  let feederIndex = -1;
  let feederMetersLeft = 0;
  let feederLat = 0;
  let feederLon = 0;
  let feederDrop = 0;
  let xfmrIndex = -1;
  let xfmrHomesLeft = 0;
  let xfmrLat = 0;
  let xfmrLon = 0;
  let resXfmr = -1;
  let resXfmrLat = 0;
  let resXfmrLon = 0;

  const lonScale = KM_PER_DEGREE * Math.cos((area.latitude * Math.PI) / 180);
  const place = (lat: number, lon: number, radiusKm: number, stream: number, key: number): [number, number] => {
    const r = radiusKm * Math.sqrt(uniform(seed, stream, key, 1));
    const a = 2 * Math.PI * uniform(seed, stream, key, 2);
    return [lat + (r * Math.sin(a)) / KM_PER_DEGREE, lon + (r * Math.cos(a)) / lonScale];
  };

  let count = 0;
  for (let number = 1; count < n; number++) {
    const u = uniform(seed, STREAM.SEGMENT, number, 0);
    const seg = u < cut0 ? 0 : u < cut1 ? 1 : 2;

    if (feederMetersLeft <= 0) {
      if (subFeedersLeft <= 0) {
        subIndex++;
        subFeedersLeft = intBetween(3, 8, uniform(seed, STREAM.TOPOLOGY, subIndex, 1));
        [subLat, subLon] = place(area.latitude, area.longitude, 30, STREAM.LOCATION_SUBSTATION, subIndex);
        substationIds.push(`SUB-${area.code}-${pad(subIndex + 1, 3)}`);
      }
      subFeedersLeft--;
      feederIndex++;
      feederMetersLeft = intBetween(700, 1400, uniform(seed, STREAM.TOPOLOGY, feederIndex, 2));
      [feederLat, feederLon] = place(subLat, subLon, 5, STREAM.LOCATION_FEEDER, feederIndex);
      // Position along the feeder: far ends see a lower voltage (up to about 3 V at the end of a long feeder).
      feederDrop = 3 * uniform(seed, STREAM.TOPOLOGY, feederIndex, 3);
      feederIds.push(`FDR-${area.code}-${pad(feederIndex + 1, 4)}`);
      resXfmr = -1;
      xfmrHomesLeft = 0;
    }
    feederMetersLeft--;

    // Homes share a distribution transformer (a handful each); commercial and industrial meters have their own.
    const newTransformer = (): number => {
      xfmrIndex++;
      [xfmrLat, xfmrLon] = place(feederLat, feederLon, 1.5, STREAM.LOCATION_TRANSFORMER, xfmrIndex);
      transformerIds.push(`XFMR-${area.code}-${pad(xfmrIndex + 1, 6)}`);
      const tap = 1.2 * normal(seed, STREAM.TOPOLOGY, xfmrIndex, 4);
      transformerOffsets.push(2.5 + tap - feederDrop * uniform(seed, STREAM.TOPOLOGY, xfmrIndex, 5));
      return xfmrIndex;
    };
    let meterXfmr: number;
    if (seg === 0) {
      if (xfmrHomesLeft <= 0 || resXfmr < 0) {
        resXfmr = newTransformer();
        resXfmrLat = xfmrLat;
        resXfmrLon = xfmrLon;
        xfmrHomesLeft = intBetween(3, 10, uniform(seed, STREAM.TOPOLOGY, resXfmr, 6));
      }
      xfmrHomesLeft--;
      meterXfmr = resXfmr;
      xfmrLat = resXfmrLat;
      xfmrLon = resXfmrLon;
    } else {
      meterXfmr = newTransformer();
    }

    const segmentName = SEGMENTS[seg]!;
    if (scenario.segment && scenario.segment !== segmentName) continue;

    const i = count++;
    meterNumber[i] = number;
    meterIds[i] = `${scenario.idPrefix}-${area.code}-${pad(number, 7)}`;
    segment[i] = seg;
    transformer[i] = meterXfmr;
    feeder[i] = feederIndex;
    substation[i] = subIndex;
    const [lat, lon] = place(xfmrLat, xfmrLon, seg === 0 ? 0.05 : 0.02, STREAM.LOCATION_METER, number);
    latitude[i] = Math.round(lat * 1e6) / 1e6;
    longitude[i] = Math.round(lon * 1e6) / 1e6;
    drawTraits(traits, i, number, seg, scenario, area, buildings);
  }

  if (scenario.events === 'demo') topUpDemoHomes({ size: n, segment, meterNumber, traits }, seed);
  const transformerCount = transformerIds.length;
  const keys = Uint32Array.from({ length: transformerCount }, (_, t) => t);
  const transformerKva = transformerRatings({ size: n, segment, transformer, meanKw: traits.meanKw, evKw: traits.evKw }, transformerCount, seed, keys);
  return {
    size: n,
    meterNumber,
    meterIds,
    segment,
    transformer,
    feeder,
    substation,
    latitude,
    longitude,
    traits,
    transformerIds,
    transformerVoltageOffset: Float64Array.from(transformerOffsets),
    transformerKva,
    feederIds,
    substationIds,
  };
}

/**
 * The fleet of an imported inventory: its ids, topology and locations as imported, each meter's behaviour drawn as
 * an invented meter's is (from the seed and the meter's key), then what the utility knows put in place of the draw:
 * the building type's profile (a commercial level scaled to it), PV and EV. Transformer ratings the inventory lacks
 * are drawn from the meters behind them, voltages from the transformer's id.
 */
function fleetFromInventory(inv: FleetInventory, scenario: Scenario): Fleet {
  const area = serviceAreaOf(scenario);
  const seed = scenario.seed;
  const n = inv.size;
  const traits = allocateTraits(n);
  const buildings = newBuildingCounts();
  for (let i = 0; i < n; i++) {
    const seg = inv.segment[i]!;
    drawTraits(traits, i, inv.meterNumber[i]!, seg, scenario, area, buildings);
    const given = inv.profile[i]!;
    const drawn = traits.profile[i]!;
    if (given !== NO_PROFILE && given !== drawn && PROFILES[given]!.segment === SEGMENTS[seg]) {
      traits.profile[i] = given;
      // Commercial and industrial levels are the activity's (load-profiles.ts); homes' come from the area either way.
      if (seg !== 0) traits.meanKw[i] = traits.meanKw[i]! * (PROFILES[given]!.meanKw / PROFILES[drawn]!.meanKw);
    }
    if (!Number.isNaN(inv.pvKw[i]!)) traits.pvKw[i] = inv.pvKw[i]!;
    if (!Number.isNaN(inv.evKw[i]!)) traits.evKw[i] = inv.evKw[i]!;
  }
  const transformers = inv.transformerIds.length;
  const keys = Uint32Array.from(inv.transformerIds, (id) => seedFromText(id));
  const offsets = new Float64Array(transformers);
  for (let t = 0; t < transformers; t++) {
    const key = keys[t]!;
    offsets[t] = 2.5 + 1.2 * normal(seed, STREAM.IMPORTED_METER, key, 4) - 3 * uniform(seed, STREAM.IMPORTED_METER, key, 3) * uniform(seed, STREAM.IMPORTED_METER, key, 5);
  }
  const kva = transformerRatings({ size: n, segment: inv.segment, transformer: inv.transformer, meanKw: traits.meanKw, evKw: traits.evKw }, transformers, seed, keys, inv.transformerKva);
  return {
    size: n,
    meterNumber: inv.meterNumber,
    meterIds: inv.meterIds,
    segment: inv.segment,
    transformer: inv.transformer,
    feeder: inv.feeder,
    substation: inv.substation,
    latitude: inv.latitude,
    longitude: inv.longitude,
    traits,
    transformerIds: inv.transformerIds,
    transformerVoltageOffset: offsets,
    transformerKva: kva,
    feederIds: inv.feederIds,
    substationIds: inv.substationIds,
  };
}

/** A 32-bit fingerprint of the fleet's identity (ids and topology), for job records and verify. */
export function fleetFingerprint(fleet: Fleet): number {
  let h = fleet.size;
  for (let i = 0; i < fleet.size; i++) {
    h = hash32(h, fleet.meterNumber[i]!, fleet.transformer[i]!, fleet.feeder[i]!);
  }
  return h;
}
