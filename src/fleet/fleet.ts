import { hash32, intBetween, normal, uniform } from '../util/random.js';
import { SEGMENTS } from '../scenario/enums.js';
import { serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { allocateTraits, drawTraits, type MeterTraits } from './meter-traits.js';
import { STREAM } from './streams.js';

/**
 * The meter fleet of a scenario: grid topology (meter -> transformer -> feeder -> substation), locations and the
 * per-meter static traits the generator needs. Columnar: per-meter values live in typed arrays, strings once per
 * meter or asset (columnar invariant).
 *
 * The fleet is a walk over global meter numbers 1, 2, 3... whose every step depends only on the seed and the
 * numbers before it, so a fleet of N meters is the first N meters of any larger fleet of the same seed and area, and
 * a segment filter keeps the topology of the whole utility while emitting only the chosen meters.
 */
export interface Fleet {
  readonly size: number;
  /** Global meter number (the digits of the meter id). */
  readonly meterNumber: Uint32Array;
  readonly meterIds: readonly string[];
  /** Code into SEGMENTS. */
  readonly segment: Uint8Array;
  readonly transformer: Uint32Array;
  readonly feeder: Uint32Array;
  readonly substation: Uint32Array;
  readonly latitude: Float64Array;
  readonly longitude: Float64Array;
  /** Per-meter static traits (level, profile, weather response, PV, EV). */
  readonly traits: MeterTraits;
  readonly transformerIds: readonly string[];
  /** Service voltage offset of each transformer (tap setting and feeder position), volts on a 120 V base. */
  readonly transformerVoltageOffset: Float64Array;
  readonly feederIds: readonly string[];
  readonly substationIds: readonly string[];
}


const KM_PER_DEGREE = 111.32;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function buildFleet(scenario: Scenario): Fleet {
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
    drawTraits(traits, i, number, seg, scenario, area);
  }

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
    feederIds,
    substationIds,
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
