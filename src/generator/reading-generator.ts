import { buildFleet, type Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
import { EMISSION_PATTERNS, eventCode } from '../scenario/enums.js';
import { serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { hash32, mix32, normalFromHash } from '../util/random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, offsetMinutes } from '../util/time-zone.js';
import type { GenerationDay } from './calendar.js';
import { LOAD_SHAPES, shapeAt } from './load-shapes.js';
import { FEEDER_OUTAGES, TRANSFORMER_OUTAGES, outageWindows } from './outages.js';
import { allocateBatch, type ReadingBatch } from './reading-batch.js';
import { Weather } from './weather.js';


const Q_VALID = 0;
const Q_ESTIMATED = 1;
const Q_OUTAGE = 2;
const Q_ANOMALY = 3;
const E_OUTAGE = eventCode('OUTAGE');
const E_LAST_GASP = eventCode('LAST_GASP');
const E_RESTORE = eventCode('POWER_RESTORE');
const E_ESTIMATED = eventCode('ESTIMATED_READ');
const E_SPIKE = eventCode('USAGE_SPIKE');
const E_SAG = eventCode('VOLTAGE_SAG');
const E_SWELL = eventCode('VOLTAGE_SWELL');

/** Balance points: cooling load grows above, heating load below (degrees C). */
const COOLING_BALANCE_C = 21;
const HEATING_BALANCE_C = 15;
/** Spread of the multiplicative usage noise by segment (residential load is spiky, industrial nearly flat). */
const NOISE_SIGMA = [0.55, 0.12, 0.08];
/** Lag-1 correlation of the noise over 30 minutes (measured households: about 0.5). */
const NOISE_AR_30MIN = 0.5;
const POWER_FACTOR_BASE = [0.955, 0.9, 0.86];
const POWER_FACTOR_SPREAD = [0.03, 0.05, 0.06];
/**
 * Service capacity as a multiple of the meter's mean demand, and the residential bounds: demand saturates smoothly
 * towards it (a 200 A home service cannot draw 40 kW for a quarter hour, however the noise falls).
 */
const CAPACITY_MULTIPLE = [8, 5, 3];
const RESIDENTIAL_CAPACITY_KW: readonly [number, number] = [8, 25];

/** Soft limit: unchanged below 80% of the capacity, then approaching the capacity asymptotically. */
function saturate(kw: number, capacity: number): number {
  const knee = 0.8 * capacity;
  if (kw <= knee) return kw;
  const room = capacity - knee;
  return knee + room * Math.tanh((kw - knee) / room);
}

/** Per-reading event probabilities (thresholds on one uniform draw, so the events are exclusive). */
const P_ESTIMATED = 0.002;
const P_SPIKE = 0.0005;
const P_SAG = 0.0003;
const P_SWELL = 0.0001;

/** Per-day values shared by every meter: computed once per day, not per row. */
interface DayContext {
  readonly day: GenerationDay;
  readonly utcMs: Float64Array;
  readonly localMs: Float64Array;
  readonly counter: Uint32Array;
  readonly temperature: Float64Array;
  readonly coolingDegrees: Float64Array;
  readonly heatingDegrees: Float64Array;
  /** shape[segment * intervals + t] */
  readonly shape: Float64Array;
}

/**
 * Computes readings: a pure function of (scenario, meter, interval). Generates whole local days for a block of
 * meters, so any block of any day can be produced alone, on any worker, with identical results.
 */
export class ReadingGenerator {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  private readonly weather: Weather;
  private readonly timeZone: string;
  private readonly stepMs: number;
  private readonly hours: number;
  private readonly phi: number;
  private readonly emissionCode: number;
  /** Per-meter demand before weather: the fleet's mean demand divided by the meter's mean weather factor. */
  private readonly baseKw: Float64Array;
  private cached: DayContext | null = null;
  private readonly windows: number[] = [];

  constructor(scenario: Scenario, fleet: Fleet = buildFleet(scenario)) {
    this.scenario = scenario;
    this.fleet = fleet;
    const area = serviceAreaOf(scenario);
    this.weather = new Weather(area, scenario.seed);
    this.timeZone = area.timeZone;
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    this.hours = scenario.intervalMinutes / 60;
    this.phi = Math.pow(NOISE_AR_30MIN, scenario.intervalMinutes / 30);
    this.emissionCode = EMISSION_PATTERNS.indexOf(scenario.emissionPattern);
    // Fleet levels are annual means (EIA figures); weather adds load on hot and cold days, so the weather-free base
    // is the level divided by the meter's average weather factor over a climatological year.
    const degrees = this.weather.meanDegreeHours(COOLING_BALANCE_C, HEATING_BALANCE_C);
    this.baseKw = fleet.meanKw.map((kw, m) => kw / (1 + fleet.coolingPerDegree[m]! * degrees.cooling + fleet.heatingPerDegree[m]! * degrees.heating));
  }

  /** Readings of meters [meterStart, meterEnd) for one day, meter-major (all intervals of a meter together). */
  generate(day: GenerationDay, meterStart: number, meterEnd: number): ReadingBatch {
    const ctx = this.dayContext(day);
    const T = day.intervals;
    const batch = allocateBatch((meterEnd - meterStart) * T, this.scenario.intervalMinutes);
    const { fleet, phi, hours, stepMs } = this;
    const seed = this.scenario.seed;
    const innovation = Math.sqrt(1 - phi * phi);
    const dayFrom = ctx.utcMs[0]! - stepMs;
    const dayTo = ctx.utcMs[T - 1]! + 2 * stepMs;
    const windows = this.windows;

    let row = 0;
    for (let m = meterStart; m < meterEnd; m++) {
      const number = fleet.meterNumber[m]!;
      const seg = fleet.segment[m]!;
      const meanKw = fleet.meanKw[m]!;
      const baseKw = this.baseKw[m]!;
      const cooling = fleet.coolingPerDegree[m]!;
      const heating = fleet.heatingPerDegree[m]!;
      const xfmr = fleet.transformer[m]!;
      const vOffset = fleet.transformerVoltageOffset[xfmr]!;
      const capacity = seg === 0
        ? Math.min(RESIDENTIAL_CAPACITY_KW[1], Math.max(RESIDENTIAL_CAPACITY_KW[0], CAPACITY_MULTIPLE[0]! * meanKw))
        : CAPACITY_MULTIPLE[seg]! * meanKw;
      const sigma = NOISE_SIGMA[seg]!;
      const sigmaCorrection = (sigma * sigma) / 2;
      const pfBase = POWER_FACTOR_BASE[seg]!;
      const pfSpread = POWER_FACTOR_SPREAD[seg]!;
      const shapeOffset = seg * T;
      const noiseKey = hash32(seed, STREAM.USAGE_NOISE, number, 0);
      const eventKey = hash32(seed, STREAM.READING_EVENTS, number, 0);

      windows.length = 0;
      outageWindows(seed, TRANSFORMER_OUTAGES, xfmr, dayFrom, dayTo, windows);
      outageWindows(seed, FEEDER_OUTAGES, fleet.feeder[m]!, dayFrom, dayTo, windows);
      const hasOutage = windows.length > 0;
      let previousOut = hasOutage && this.covered(ctx.utcMs[0]! - stepMs);

      // AR(1) noise restarts each local day from its stationary distribution: one day of history at most.
      let e = 0;
      for (let t = 0; t < T; t++, row++) {
        const counter = ctx.counter[t]!;
        const h1 = mix32(noiseKey, counter);
        const h2 = mix32(h1, 0x68e31da4);
        const z = normalFromHash(h1);
        const zVoltage = normalFromHash(h2);
        e = t === 0 ? z : phi * e + innovation * z;

        const weatherFactor = 1 + cooling * ctx.coolingDegrees[t]! + heating * ctx.heatingDegrees[t]!;
        const expectedKw = baseKw * ctx.shape[shapeOffset + t]! * weatherFactor;
        let kw = saturate(expectedKw * Math.exp(sigma * e - sigmaCorrection), capacity);

        const h3 = mix32(eventKey, counter);
        const u = (h3 >>> 12) / 1048576;
        const pfJitter = (h3 & 0xfff) / 4096;
        let quality = Q_VALID;
        let event = 0;
        let voltage = 120 + vOffset - 1.1 * Math.min(kw / meanKw, 4) + 0.7 * zVoltage;

        const out = hasOutage && this.covered(ctx.utcMs[t]!);
        batch.meterIndex[row] = m;
        batch.tsUtcMs[row] = ctx.utcMs[t]!;
        batch.tsLocalMs[row] = ctx.localMs[t]!;
        batch.temperatureC[row] = ctx.temperature[t]!;
        batch.emissionPattern[row] = this.emissionCode;
        if (out) {
          batch.isOutage[row] = 1;
          batch.dataQuality[row] = Q_OUTAGE;
          batch.eventType[row] = previousOut ? E_OUTAGE : E_LAST_GASP;
          batch.usageKwh[row] = 0;
          batch.voltage[row] = 0;
          batch.powerFactor[row] = 0;
          previousOut = true;
          continue;
        }
        if (previousOut) {
          event = E_RESTORE;
        } else if (u < P_ESTIMATED) {
          quality = Q_ESTIMATED;
          event = E_ESTIMATED;
          kw = expectedKw;
        } else if (u < P_ESTIMATED + P_SPIKE) {
          quality = Q_ANOMALY;
          event = E_SPIKE;
          // A spike is an anomaly: it may exceed the normal saturation, but not 1.5 times the service capacity.
          kw = Math.min(1.5 * capacity, expectedKw * (3 + 3 * pfJitter));
        } else if (u < P_ESTIMATED + P_SPIKE + P_SAG) {
          quality = Q_ANOMALY;
          event = E_SAG;
          // Meters flag a sag when the voltage leaves ANSI Range A: a labelled sag is always below 114 V, even where
          // the transformer's tap runs high (a plain 9-15 V drop from 125 V would not be).
          voltage = Math.min(voltage - (9 + 6 * pfJitter), 113.5 - 3 * pfJitter);
        } else if (u < P_ESTIMATED + P_SPIKE + P_SAG + P_SWELL) {
          quality = Q_ANOMALY;
          event = E_SWELL;
          // Likewise a labelled swell is always above 126 V.
          voltage = Math.max(voltage + (7 + 4 * pfJitter), 126.5 + 2 * pfJitter);
        }
        previousOut = false;
        batch.usageKwh[row] = Math.round(kw * hours * 1000) / 1000;
        batch.voltage[row] = Math.round(voltage * 10) / 10;
        batch.powerFactor[row] = Math.round((pfBase + pfSpread * (pfJitter - 0.5)) * 1000) / 1000;
        batch.dataQuality[row] = quality;
        batch.eventType[row] = event;
      }
    }
    return batch;
  }

  private covered(tMs: number): boolean {
    const w = this.windows;
    const end = tMs + this.stepMs;
    for (let i = 0; i < w.length; i += 2) {
      if (w[i]! < end && w[i + 1]! > tMs) return true;
    }
    return false;
  }

  private dayContext(day: GenerationDay): DayContext {
    if (this.cached?.day.index === day.index && this.cached.day.firstUtcMs === day.firstUtcMs) return this.cached;
    const T = day.intervals;
    const utcMs = new Float64Array(T);
    const localMs = new Float64Array(T);
    const counter = new Uint32Array(T);
    const temperature = new Float64Array(T);
    const coolingDegrees = new Float64Array(T);
    const heatingDegrees = new Float64Array(T);
    const shape = new Float64Array(LOAD_SHAPES.length * T);
    let offsetMs = offsetMinutes(this.timeZone, day.firstUtcMs) * MINUTE_MS;
    let nextOffsetCheck = day.firstUtcMs;
    for (let t = 0; t < T; t++) {
      const utc = day.firstUtcMs + t * this.stepMs;
      // Offsets change at most twice a year, always on the hour: checking once an hour is exact.
      if (utc >= nextOffsetCheck) {
        offsetMs = offsetMinutes(this.timeZone, utc) * MINUTE_MS;
        nextOffsetCheck = Math.floor(utc / HOUR_MS) * HOUR_MS + HOUR_MS;
      }
      const local = utc + offsetMs;
      utcMs[t] = utc;
      localMs[t] = local;
      counter[t] = Math.floor(utc / this.stepMs) >>> 0;
      // Temperature at the middle of the interval: the interval's average, near enough.
      const temp = this.weather.temperatureAt(local + this.stepMs / 2);
      temperature[t] = Math.round(temp * 10) / 10;
      coolingDegrees[t] = Math.max(0, temp - COOLING_BALANCE_C);
      heatingDegrees[t] = Math.max(0, HEATING_BALANCE_C - temp);
      const localDay = Math.floor(local / DAY_MS);
      const dayOfWeek = (localDay + 4) % 7;
      const weekend = dayOfWeek === 0 || dayOfWeek === 6;
      const hour = ((local - localDay * DAY_MS) + this.stepMs / 2) / HOUR_MS;
      for (let s = 0; s < LOAD_SHAPES.length; s++) {
        const shapes = LOAD_SHAPES[s]!;
        shape[s * T + t] = shapeAt(weekend ? shapes.weekend : shapes.weekday, hour);
      }
    }
    this.cached = { day, utcMs, localMs, counter, temperature, coolingDegrees, heatingDegrees, shape };
    return this.cached;
  }
}
