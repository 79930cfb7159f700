import { segmentCalibration, type SegmentCalibration } from '../scenario/calibration-profile.js';
import { SEGMENTS, type Segment } from '../scenario/enums.js';
import type { Scenario } from '../scenario/scenario.js';
import type { ServiceArea } from '../scenario/service-areas.js';
import { lognormal, normal, uniform } from '../util/random.js';
import { buildingSizeMultiplier, MAX_BUILDING_KW, sizeClassOf, softCap } from './building-sizes.js';
import { PROFILES, profilePicker } from './load-profiles.js';
import { STREAM } from './streams.js';
import { stratifiedNormal, stratifiedSequence } from './stratified-draw.js';

/**
 * Per-meter static traits, drawn once from (seed, meter number) so every meter is a distinct, persistent customer:
 * how much it uses, when (profile and a personal time shift), how much is always on, how it heats and cools and at
 * what outdoor temperatures, how often appliances spike, and whether it has rooftop PV or an EV.
 */
export interface MeterTraits {
  /** Code into PROFILES. */
  readonly profile: Uint8Array;
  /** Mean consumption (before PV, without EV charging), kW: a year's kWh / 8,760. */
  readonly meanKw: Float64Array;
  /** Always-on share of the non-weather load. */
  readonly baseShare: Float64Array;
  /** Personal shift of the daily routine, in hours (earlier or later than the profile). */
  readonly shiftHours: Float64Array;
  /** Cooling load per degree above the cooling balance point, kW/C (0 without air conditioning). */
  readonly coolingKwPerDegree: Float64Array;
  readonly coolingBalanceC: Float64Array;
  /** Heating load per degree below the heating balance point, kW/C (small without electric heat: fans, pumps). */
  readonly heatingKwPerDegree: Float64Array;
  readonly heatingBalanceC: Float64Array;
  /** Appliance spikes: chance per 15 minutes at average activity. */
  readonly spikeRate: Float64Array;
  /** Rooftop PV DC capacity, kW (0 = none). */
  readonly pvKw: Float64Array;
  /** EV charger power, kW (0 = no EV). */
  readonly evKw: Float64Array;
  /** A commercial building's CBECS size class, index into BUILDING_SIZE_CLASSES; NO_SIZE_CLASS for other meters. */
  readonly sizeClass: Uint8Array;
}

/** sizeClass of a meter without one: homes, plants, and buildings whose level a calibration profile sets. */
export const NO_SIZE_CLASS = 255;

export function allocateTraits(n: number): MeterTraits {
  return {
    profile: new Uint8Array(n),
    meanKw: new Float64Array(n),
    baseShare: new Float64Array(n),
    shiftHours: new Float64Array(n),
    coolingKwPerDegree: new Float64Array(n),
    coolingBalanceC: new Float64Array(n),
    heatingKwPerDegree: new Float64Array(n),
    heatingBalanceC: new Float64Array(n),
    spikeRate: new Float64Array(n),
    pvKw: new Float64Array(n),
    evKw: new Float64Array(n),
    sizeClass: new Uint8Array(n).fill(NO_SIZE_CLASS),
  };
}

/**
 * Spread of levels within a segment: residential 0.55 (measured EDRP households), industrial 0.8. Commercial
 * buildings take CBECS's size mix instead (building-sizes.ts, coefficient of variation about 3.4).
 */
const LEVEL_CV: Readonly<Record<'RESIDENTIAL' | 'INDUSTRIAL', number>> = { RESIDENTIAL: 0.55, INDUSTRIAL: 0.8 };
/** Weather sensitivity relative to the customer's level for commercial and industrial buildings. */
const CI_COOLING_PER_DEGREE = { COMMERCIAL: 0.035, INDUSTRIAL: 0.01 } as const;
const CI_HEATING_PER_DEGREE = { COMMERCIAL: 0.012, INDUSTRIAL: 0.004 } as const;

/** Typical annual AC yield of a US rooftop system per kW of DC capacity (NREL PVWatts, mid-latitudes). */
const PV_YIELD_KWH_PER_KW = 1500;

const pickers = Object.fromEntries(SEGMENTS.map((s) => [s, profilePicker(s)])) as Record<Segment, (u: number) => number>;

/** A fleet's count of commercial buildings drawn so far, by profile code: drawTraits numbers each type's buildings. */
export function newBuildingCounts(): Uint32Array {
  return new Uint32Array(PROFILES.length);
}

/**
 * Draws meter `i`'s traits from (seed, meter number). A commercial building's size class is the next draw of its
 * type's stratified sequence (`buildings[profile]` counts the type's buildings drawn before it and is incremented),
 * so a fleet's buildings of each type follow CBECS's size shares almost exactly: meters must be drawn in the fleet's
 * order (meter numbers, or an imported inventory's rows), every commercial meter of the fleet with one `buildings`.
 */
export function drawTraits(traits: MeterTraits, i: number, number: number, segment: number, scenario: Scenario, area: ServiceArea, buildings: Uint32Array): void {
  const seed = scenario.seed;
  const u = (k: number): number => uniform(seed, STREAM.TRAITS, number, k);
  const z = (k: number): number => normal(seed, STREAM.TRAITS, number, k);
  const seg = SEGMENTS[segment]!;
  const profile = pickers[seg](u(1));
  const spec = PROFILES[profile]!;
  traits.profile[i] = profile;
  const calibration = segmentCalibration(scenario.profile ?? null, seg);
  if (calibration) {
    drawCalibratedTraits(traits, i, calibration, z, stratifiedNormal(seed, number));
    if (seg === 'RESIDENTIAL') drawPvAndEv(traits, i, traits.meanKw[i]!, scenario, u, z);
    return;
  }
  let meanKw: number;
  if (seg === 'COMMERCIAL') {
    const sizeClass = sizeClassOf(stratifiedSequence(seed, STREAM.BUILDING_SIZE, profile, buildings[profile]!++));
    traits.sizeClass[i] = sizeClass;
    meanKw = softCap(spec.meanKw * buildingSizeMultiplier(sizeClass, z(17)), MAX_BUILDING_KW);
  } else {
    meanKw = lognormal(seg === 'RESIDENTIAL' ? area.residentialKwhPer15 * 4 : spec.meanKw, LEVEL_CV[seg], z(2));
  }
  traits.meanKw[i] = meanKw;
  traits.baseShare[i] = Math.min(0.8, Math.max(0.08, spec.baseShare * lognormal(1, 0.35, z(3))));
  traits.shiftHours[i] = Math.max(-2, Math.min(2, 0.75 * z(4)));

  if (seg === 'RESIDENTIAL') {
    // Bigger homes have bigger air conditioners and heaters: sensitivity scales with the home's level.
    const scale = meanKw / (area.residentialKwhPer15 * 4);
    const hasAc = u(5) < area.airConditioningShare;
    const electricHeat = u(6) < area.electricHeatShare;
    traits.coolingKwPerDegree[i] = hasAc ? scale * lognormal(0.2, 0.45, z(7)) : 0;
    traits.coolingBalanceC[i] = 21 + 1.5 * z(8);
    traits.heatingKwPerDegree[i] = scale * (electricHeat ? lognormal(0.12, 0.5, z(9)) : lognormal(0.012, 0.5, z(9)));
    traits.heatingBalanceC[i] = 15.5 + 1.5 * z(10);
    traits.spikeRate[i] = Math.min(0.2, lognormal(0.07, 0.4, z(11)));
    drawPvAndEv(traits, i, meanKw, scenario, u, z);
  } else {
    const ci = seg as 'COMMERCIAL' | 'INDUSTRIAL';
    traits.coolingKwPerDegree[i] = meanKw * CI_COOLING_PER_DEGREE[ci] * lognormal(1, 0.4, z(7));
    traits.coolingBalanceC[i] = 18 + 1.5 * z(8);
    traits.heatingKwPerDegree[i] = meanKw * CI_HEATING_PER_DEGREE[ci] * lognormal(1, 0.5, z(9));
    traits.heatingBalanceC[i] = 12 + 1.5 * z(10);
    // No appliance spikes: a building's load is the sum of many appliances, none of which moves it several-fold
    // (spikes of several times the mean set buildings' peaks and cut their load factors to about 0.2).
    traits.spikeRate[i] = 0;
  }
}

/** A home's rooftop PV and EV, in the scenario's shares. */
function drawPvAndEv(traits: MeterTraits, i: number, meanKw: number, scenario: Scenario, u: (k: number) => number, z: (k: number) => number): void {
  // Systems are sized to the home: typically 60-100% of its annual use at about 1,500 kWh a year per kW of DC
  // capacity, and within the usual residential range (national average about 7 kW).
  traits.pvKw[i] = u(12) < scenario.pvShare ? pvSystemKw(meanKw, z) : 0;
  traits.evKw[i] = u(14) < scenario.evShare ? evChargerKw(u) : 0;
}

/** A home's PV system, kW DC, from its mean demand and its own draws (`z` as in drawTraits). */
export function pvSystemKw(meanKw: number, z: (k: number) => number): number {
  const annualKwh = meanKw * 8760;
  const sized = lognormal(0.85, 0.25, z(16)) * annualKwh / PV_YIELD_KWH_PER_KW;
  return Math.min(20, Math.max(2, Math.min(sized, lognormal(7, 0.35, z(13)))));
}

/** A home's EV charger, kW: level 2 (7.2) for three in four, else level 1 (1.4). */
export function evChargerKw(u: (k: number) => number): number {
  return u(15) < 0.75 ? 7.2 : 1.4;
}

/**
 * Traits of a meter whose segment the scenario's calibration profile covers (`forge calibrate`): its level and spread,
 * always-on share, spike rate and temperature sensitivity come from the profile instead of the area and the profile
 * type. The same draws (k) as the model's own, except the level, which is stratified (stratifiedNormal) so that a few
 * hundred meters already show the profile's spread of means. No personal time shift:
 * the fitted shape is the measured meters' mean, already spread by their own timing. Homes then get PV and EVs in
 * the scenario's shares (drawPvAndEv) on top of the calibrated consumption; buildings none, as in the model.
 */
function drawCalibratedTraits(
  traits: MeterTraits,
  i: number,
  calibration: SegmentCalibration,
  z: (k: number) => number,
  levelZ: number,
): void {
  const meanKw = lognormal(calibration.meanKw, calibration.meanCv, levelZ);
  traits.meanKw[i] = meanKw;
  traits.baseShare[i] = Math.min(0.95, calibration.baseShare * lognormal(1, 0.35, z(3)));
  traits.shiftHours[i] = 0;
  const t = calibration.temperature;
  traits.coolingKwPerDegree[i] = t ? meanKw * t.coolingPerDegree * lognormal(1, 0.45, z(7)) : 0;
  traits.coolingBalanceC[i] = t ? t.coolingBalanceC + 1.5 * z(8) : 0;
  traits.heatingKwPerDegree[i] = t ? meanKw * t.heatingPerDegree * lognormal(1, 0.5, z(9)) : 0;
  traits.heatingBalanceC[i] = t ? t.heatingBalanceC + 1.5 * z(10) : 0;
  traits.spikeRate[i] = Math.min(0.5, lognormal(calibration.spikeRate, 0.4, z(11)));
  traits.pvKw[i] = 0;
  traits.evKw[i] = 0;
}
