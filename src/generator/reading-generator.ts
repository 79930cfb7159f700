import { buildFleet, type Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
import { seasonOfMonth, seasonShapeOf, segmentCalibration, type SegmentCalibration } from '../scenario/calibration-profile.js';
import { EMISSION_PATTERNS, SEGMENTS, eventCode } from '../scenario/enums.js';
import { serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { hash32, lognormal, mix32, normalFromHash } from '../util/random.js';
import { roundTo } from '../util/round-to.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, offsetMinutes } from '../util/time-zone.js';
import type { GenerationDay } from './calendar.js';
import { DegreeHours } from './degree-hours.js';
import { evSessions } from './ev-charging.js';
import { isHoliday } from './holidays.js';
import { ACTIVITY_SHAPES, shapeAt } from './load-shapes.js';
import { scenarioAnomalyModel, type DemoEvents } from './demo-events.js';
import { dayAnomalies, type AnomalyModel, type DayAnomalies } from './meter-anomalies.js';
import { FEEDER_OUTAGES, forcedStormUtcMs, TRANSFORMER_OUTAGES, outageWindows, stormOutage, storms, type Storm } from './outages.js';
import { allocateBatch, type ReadingBatch } from './reading-batch.js';
import { Solar } from './solar.js';
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
const E_TAMPER = eventCode('TAMPER');
const E_FAULT = eventCode('METER_FAULT');

/** Spread of the multiplicative behaviour noise by segment (homes are erratic, plants steady). */
const NOISE_SIGMA = [0.5, 0.12, 0.08];
/** Lag-1 correlation of the behaviour noise over 30 minutes. */
const NOISE_AR_30MIN = 0.8;
/** Mean size of an appliance spike relative to the home's non-weather mean demand (oven, dryer, kettle, shower). */
const SPIKE_SIZE = 4;
const SPIKE_CV = 0.8;
/** Mean length of an appliance cycle in 15-minute intervals. */
const SPIKE_MEAN_INTERVALS = 2;
const POWER_FACTOR_BASE = [0.955, 0.9, 0.86];
const POWER_FACTOR_SPREAD = [0.03, 0.05, 0.06];
/** Lower power factor while air conditioning (motor load) dominates. */
const POWER_FACTOR_AC_DROP = 0.03;
/**
 * Every power factor a reading can take, rounded to 3 decimals once: per segment, the jitter's 4,096 steps without and
 * then with the air-conditioning drop. A reading looks its value up instead of rounding per row.
 */
const PF_JITTER_STEPS = 4096;
const POWER_FACTOR_TABLES = POWER_FACTOR_BASE.map((base, seg) =>
  Float64Array.from({ length: 2 * PF_JITTER_STEPS }, (_, i) => {
    const drop = i >= PF_JITTER_STEPS ? POWER_FACTOR_AC_DROP : 0;
    const jitter = (i % PF_JITTER_STEPS) / PF_JITTER_STEPS;
    return roundTo(base - drop + POWER_FACTOR_SPREAD[seg]! * (jitter - 0.5), 1000);
  }),
);
/** Service capacity as a multiple of mean demand (C&I), and the residential bounds (a 200 A service). */
const CAPACITY_MULTIPLE = [8, 4, 2.5];
/**
 * Largest commercial service, kW: a building's demand saturates below it and an anomaly spike (at most 1.5 times the
 * capacity) stays under the 10 MW bound of a commercial reading (pipeline/reading-checks.ts, USAGE_BOUNDS_KW); only
 * the largest CBECS buildings (means near MAX_BUILDING_KW) reach it.
 */
const COMMERCIAL_SERVICE_KW = 6_500;
const RESIDENTIAL_CAPACITY_KW: readonly [number, number] = [8, 25];
/** Spread of a household's own hour-by-hour routine around its profile. */
const ROUTINE_SIGMA = 0.65;
/** Activity shapes are tabulated per five-minute slot; a household's routine shift moves it by whole slots. */
const SLOTS_PER_HOUR = 12;
const SLOTS_PER_DAY = 24 * SLOTS_PER_HOUR;
/** Residential night-time heating setback, degrees C. */
const NIGHT_SETBACK_C = 3;

/**
 * exp(sigma * e - sigma^2 / 2) for e in [-6, 6], tabulated per segment: the lognormal noise factor (mean 1) without
 * a Math.exp per reading. Linear interpolation on 4,096 steps is within 0.01% of the exact value.
 */
const NOISE_TABLE_RANGE = 6;
const NOISE_TABLE_STEPS = 4096;
const NOISE_TABLE_SCALE = NOISE_TABLE_STEPS / (2 * NOISE_TABLE_RANGE);
const noiseTable = (sigma: number): Float64Array =>
  Float64Array.from({ length: NOISE_TABLE_STEPS + 1 }, (_, i) => Math.exp(sigma * (i / NOISE_TABLE_SCALE - NOISE_TABLE_RANGE) - (sigma * sigma) / 2));
const NOISE_TABLES = NOISE_SIGMA.map(noiseTable);

/** Industrial meters draw no meter-level anomalies. */
const NO_ANOMALIES: Readonly<DayAnomalies> = { recordedShare: 1, vacant: false, faultStart: -1, faultEnd: -1, faultStuck: false, gapStart: -1, gapEnd: -1 };

/** Soft limit: unchanged below 80% of the capacity, then approaching the capacity asymptotically. */
function saturate(kw: number, capacity: number): number {
  const knee = 0.8 * capacity;
  if (kw <= knee) return kw;
  const room = capacity - knee;
  return knee + room * Math.tanh((kw - knee) / room);
}

/** Per-day values shared by every meter: computed once per day, not per row. */
interface DayContext {
  readonly day: GenerationDay;
  readonly utcMs: Float64Array;
  readonly localMs: Float64Array;
  readonly counter: Uint32Array;
  /** Outdoor temperature (unrounded, for load) and as reported (0.1 C). */
  readonly temperature: Float64Array;
  readonly temperatureReported: Float64Array;
  /** Local hour at the middle of each interval (0 to 24). */
  readonly hour: Float64Array;
  /** Whole local hour of the interval's middle (0 to 23). */
  readonly hourOfDay: Uint8Array;
  /** Five-minute slot of the day of the interval's middle (0 to 287). */
  readonly slot: Uint16Array;
  /** Each profile's activity shape for this day's type, at the middle of every five-minute slot. */
  readonly profileSlots: readonly Float64Array[];
  /** 0 weekday, 1 Saturday, 2 Sunday or holiday (index into each profile's shapes). */
  readonly dayType: Uint8Array;
  /** PV output per kW of capacity. */
  readonly solar: Float64Array;
  /** Relative loading of the distribution system (1 = average): lowers service voltage at peaks. */
  readonly systemLoad: Float64Array;
  readonly storms: readonly Storm[];
  /**
   * Per segment: the calibrated activity shape of this day (season and day type) at every five-minute slot, or null
   * where the scenario's profile does not cover the segment; and the season's level (1 without a profile).
   */
  readonly calibratedSlots: readonly (Float64Array | null)[];
  readonly seasonLevel: readonly number[];
}

/**
 * Computes readings: a pure function of (scenario, meter, interval). Generates whole local days for a block of
 * meters, so any block of any day can be produced alone, on any worker, with identical results. docs/REALISM.md
 * describes the model and the source of each parameter.
 *
 * A meter's demand in an interval is: always-on base + activity (its profile's shape at its own hour, times
 * AR(1) lognormal noise) + appliance spikes + heating and cooling (outdoor temperature against its balance points)
 * + EV charging - rooftop PV; then grid events and meter anomalies apply.
 */
export class ReadingGenerator {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  private readonly weather: Weather;
  private readonly solar: Solar;
  private readonly timeZone: string;
  private readonly stepMs: number;
  private readonly hours: number;
  private readonly phi: number;
  private readonly emissionCode: number;
  private readonly forcedStormUtcMs: number | null;
  private readonly anomalyModel: AnomalyModel;
  /** A quiet fleet (`events: none`): no outages or storms (and no anomalies: its model draws none). */
  private readonly quiet: boolean;
  /** A demo scenario's scheduled events (`events: demo`), or null. */
  private readonly demo: DemoEvents | null;
  /** A demo meter-day's scheduled one-reading events by interval (scheduleReadings); 300 covers a 25-hour day at 5 minutes. */
  private readonly forcedCodes = new Uint8Array(300);
  /** Per meter: always-on demand, activity demand at shape 1, mean spike size, capacity (kW). */
  private readonly baseKw: Float64Array;
  private readonly activityKw: Float64Array;
  private readonly spikeKw: Float64Array;
  private readonly capacityKw: Float64Array;
  private cached: DayContext | null = null;
  private readonly windows: number[] = [];
  private readonly sessions: number[] = [];
  private readonly routine = new Float64Array(24);
  private readonly anomalies: DayAnomalies = { recordedShare: 1, vacant: false, faultStart: -1, faultEnd: -1, faultStuck: false, gapStart: -1, gapEnd: -1 };
  /** Per segment: its calibration (null: the model's own parameters), noise table, noise correlation, routine spread and spike spread. */
  private readonly calibrations: readonly (SegmentCalibration | null)[];
  private readonly noiseTables: readonly Float64Array[];
  private readonly phiOf: readonly number[];
  private readonly routineSigma: readonly number[];
  private readonly spikeCv: readonly number[];
  /** Per segment: a calibrated vacancy rate, or undefined for the model's own. */
  private readonly vacancyRate: readonly (number | undefined)[];
  /** Per segment: a calibrated mean appliance-cycle length in quarter hours, or undefined for the model's 1 to 3. */
  private readonly spikeLength: readonly (number | undefined)[];

  constructor(scenario: Scenario, fleet: Fleet = buildFleet(scenario)) {
    this.scenario = scenario;
    this.fleet = fleet;
    const area = serviceAreaOf(scenario);
    this.weather = new Weather(area, scenario.seed);
    this.solar = new Solar(area, scenario.seed);
    this.timeZone = area.timeZone;
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    this.hours = scenario.intervalMinutes / 60;
    this.phi = Math.pow(NOISE_AR_30MIN, scenario.intervalMinutes / 30);
    this.calibrations = SEGMENTS.map((segment) => segmentCalibration(scenario.profile ?? null, segment));
    this.noiseTables = this.calibrations.map((c, seg) => (c ? noiseTable(c.noiseSigma) : NOISE_TABLES[seg]!));
    this.phiOf = this.calibrations.map((c) => (c ? Math.pow(c.noiseAutocorrelation, scenario.intervalMinutes / 30) : this.phi));
    this.routineSigma = this.calibrations.map((c) => c?.routineSigma ?? ROUTINE_SIGMA);
    this.spikeCv = this.calibrations.map((c) => c?.spikeCv ?? SPIKE_CV);
    this.vacancyRate = this.calibrations.map((c) => c?.vacancyRate);
    this.spikeLength = this.calibrations.map((c) => c?.spikeQuarterHours);
    this.emissionCode = EMISSION_PATTERNS.indexOf(scenario.emissionPattern);
    this.forcedStormUtcMs = forcedStormUtcMs(scenario.storm, this.timeZone);
    this.anomalyModel = scenarioAnomalyModel(scenario, fleet);
    this.quiet = scenario.events === 'none';
    this.demo = this.anomalyModel.demo ?? null;

    // Levels are annual means of consumption (EIA figures): the weather part is what heating and cooling add over a
    // climatological year at the meter's balance points, and the rest is behaviour (base, activity, spikes).
    const degrees = new DegreeHours(this.weather);
    const t = fleet.traits;
    const n = fleet.size;
    this.baseKw = new Float64Array(n);
    this.activityKw = new Float64Array(n);
    this.spikeKw = new Float64Array(n);
    this.capacityKw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const mean = t.meanKw[i]!;
      const seg = fleet.segment[i]!;
      // A calibrated level is already the sample's load without its weather part (fit-calibration.ts): heating and
      // cooling come on top of it.
      const weather = this.calibrations[seg]
        ? 0
        : t.coolingKwPerDegree[i]! * degrees.cooling(t.coolingBalanceC[i]!) + t.heatingKwPerDegree[i]! * degrees.heating(t.heatingBalanceC[i]!);
      const behaviour = Math.max(0.3 * mean, mean - weather);
      const spikeSize = this.calibrations[seg]?.spikeSize ?? SPIKE_SIZE;
      const spikeShare = Math.min(0.45, t.spikeRate[i]! * spikeSize * (this.calibrations[seg]?.spikeQuarterHours ?? SPIKE_MEAN_INTERVALS));
      const base = t.baseShare[i]!;
      this.baseKw[i] = behaviour * base;
      this.activityKw[i] = behaviour * Math.max(0.1, 1 - base - spikeShare);
      this.spikeKw[i] = behaviour * spikeSize;
      this.capacityKw[i] = seg === 0
        ? Math.min(RESIDENTIAL_CAPACITY_KW[1], Math.max(RESIDENTIAL_CAPACITY_KW[0], CAPACITY_MULTIPLE[0]! * mean))
        : seg === 1 ? Math.min(COMMERCIAL_SERVICE_KW, CAPACITY_MULTIPLE[1]! * mean) : CAPACITY_MULTIPLE[seg]! * mean;
    }
  }

  /**
   * Readings of meters [meterStart, meterEnd) for one day, meter-major (all intervals of a meter together).
   *
   * `into`, when it has exactly the rows needed, is overwritten (every element of every column) instead of allocating
   * a new batch: fresh buffers cost a page fault and zeroing per 4 KiB on first touch, measured as a third of the
   * generation time (212 against 138 ns a row on the 2-core machine).
   */
  generate(day: GenerationDay, meterStart: number, meterEnd: number, into?: ReadingBatch): ReadingBatch {
    const ctx = this.dayContext(day);
    const T = day.intervals;
    const rows = (meterEnd - meterStart) * T;
    const reuse = into !== undefined && into.length === rows && into.intervalMinutes === this.scenario.intervalMinutes;
    const batch = reuse ? into : allocateBatch(rows, this.scenario.intervalMinutes);
    const { fleet, hours, stepMs, windows, sessions } = this;
    const traits = fleet.traits;
    const seed = this.scenario.seed;
    const dayFrom = ctx.utcMs[0]! - stepMs;
    const dayTo = ctx.utcMs[T - 1]! + 2 * stepMs;
    const wallFrom = ctx.localMs[0]!;
    const wallTo = ctx.localMs[T - 1]! + stepMs;
    const spikeScale = this.scenario.intervalMinutes / 15;
    const model = this.anomalyModel;
    const pSpike = model.spike;
    const pSag = model.spike + model.sag;
    const pSwell = model.spike + model.sag + model.swell;
    const usageColumn = batch.usageKwh;
    const voltageColumn = batch.voltage;
    const powerFactorColumn = batch.powerFactor;
    const qualityColumn = batch.dataQuality;
    const eventColumn = batch.eventType;
    const isOutageColumn = batch.isOutage;
    batch.emissionPattern.fill(this.emissionCode);

    let row = 0;
    for (let m = meterStart; m < meterEnd; m++) {
      const number = fleet.meterNumber[m]!;
      const seg = fleet.segment[m]!;
      const calibratedDay = ctx.calibratedSlots[seg]!;
      const profileDay = calibratedDay ?? ctx.profileSlots[traits.profile[m]!]!;
      const shiftSlots = Math.round(traits.shiftHours[m]! * SLOTS_PER_HOUR);
      // A calibrated segment's season moves its whole behaviour; without a profile the level is 1 (an exact no-op).
      const seasonLevel = ctx.seasonLevel[seg]!;
      const baseKw = this.baseKw[m]! * seasonLevel;
      const activityKw = this.activityKw[m]! * seasonLevel;
      const spikeKw = this.spikeKw[m]! * seasonLevel;
      const phi = this.phiOf[seg]!;
      const innovation = Math.sqrt(1 - phi * phi);
      const usesRoutine = seg === 0 || calibratedDay !== null;
      const spikeCv = this.spikeCv[seg]!;
      const spikeLength = this.spikeLength[seg];
      const spikeRate = traits.spikeRate[m]! * spikeScale;
      const capacity = this.capacityKw[m]!;
      const coolKw = traits.coolingKwPerDegree[m]!;
      const coolAt = traits.coolingBalanceC[m]!;
      const heatKw = traits.heatingKwPerDegree[m]!;
      const heatAt = traits.heatingBalanceC[m]!;
      const pvKw = traits.pvKw[m]!;
      const evKw = traits.evKw[m]!;
      const xfmr = fleet.transformer[m]!;
      const feeder = fleet.feeder[m]!;
      const vOffset = fleet.transformerVoltageOffset[xfmr]!;
      const noiseTable = this.noiseTables[seg]!;
      const pfTable = POWER_FACTOR_TABLES[seg]!;
      const noiseKey = hash32(seed, STREAM.USAGE_NOISE, number, 0);
      const eventKey = hash32(seed, STREAM.READING_EVENTS, number, 0);
      const spikeKey = hash32(seed, STREAM.SPIKE, number, 0);
      if (usesRoutine) this.householdRoutine(number, this.routineSigma[seg]!);
      const routine = this.routine;

      windows.length = 0;
      if (!this.quiet) {
        outageWindows(seed, TRANSFORMER_OUTAGES, xfmr, dayFrom, dayTo, windows);
        outageWindows(seed, FEEDER_OUTAGES, feeder, dayFrom, dayTo, windows);
        for (const storm of ctx.storms) stormOutage(seed, storm, feeder, xfmr, dayFrom, dayTo, windows);
      }
      if (this.demo) this.demo.outageWindows(xfmr, dayFrom, dayTo, windows);
      const hasOutage = windows.length > 0;
      let previousOut = hasOutage && this.covered(ctx.utcMs[0]! - stepMs);
      const scheduled = this.demo !== null && this.scheduleReadings(this.demo, number, day.localDayNumber, ctx, hasOutage);
      const forcedCodes = this.forcedCodes;
      sessions.length = 0;
      if (evKw > 0) evSessions(seed, number, evKw, wallFrom, wallTo, sessions);
      const anomalies = seg === 2 ? NO_ANOMALIES : dayAnomalies(seed, number, day.localDayNumber, T, this.anomalies, model, this.vacancyRate[seg]);
      const recorded = anomalies.recordedShare;
      const { faultStart, faultEnd, gapStart, gapEnd, vacant, faultStuck } = anomalies;
      // NaN until the fault's first reading: a stuck register may hold any value, negative (PV export) included.
      let stuckKwh = Number.NaN;
      let spikeLeft = 0;
      let spikeAmount = 0;

      // Columns that depend on the interval only are copied whole.
      batch.meterIndex.fill(m, row, row + T);
      batch.tsUtcMs.set(ctx.utcMs, row);
      batch.tsLocalMs.set(ctx.localMs, row);
      batch.temperatureC.set(ctx.temperatureReported, row);

      // AR(1) noise restarts each local day from its stationary distribution: one day of history at most.
      let e = 0;
      for (let t = 0; t < T; t++, row++) {
        const counter = ctx.counter[t]!;
        const h1 = mix32(noiseKey, counter);
        const z = normalFromHash(h1);
        const zVoltage = normalFromHash(mix32(h1, 0x68e31da4));
        e = t === 0 ? z : phi * e + innovation * z;

        const slot = ctx.slot[t]! - shiftSlots;
        const wrapped = slot < 0 ? slot + SLOTS_PER_DAY : slot >= SLOTS_PER_DAY ? slot - SLOTS_PER_DAY : slot;
        const activity = profileDay[wrapped]! * (usesRoutine ? routine[ctx.hourOfDay[t]!]! : 1);
        const temp = ctx.temperature[t]!;
        // Homes set the heating back at night (23:00-06:00) by about 3 C.
        const heatBalance = seg === 0 && (ctx.hour[t]! >= 23 || ctx.hour[t]! < 6) ? heatAt - NIGHT_SETBACK_C : heatAt;
        const hvacKw = coolKw * (temp > coolAt ? temp - coolAt : 0) + heatKw * (temp < heatBalance ? heatBalance - temp : 0);
        // Homes run heating and cooling a little more when occupied, businesses much more during opening hours.
        const occupancy = seg === 0 ? 0.8 + 0.1 * Math.min(2, activity) : 0.4 + 0.3 * Math.min(2, activity);
        const expectedKw = baseKw + activityKw * activity + hvacKw * occupancy;
        const x = (e + NOISE_TABLE_RANGE) * NOISE_TABLE_SCALE;
        const xi = x <= 0 ? 0 : x >= NOISE_TABLE_STEPS ? NOISE_TABLE_STEPS - 1 : Math.floor(x);
        const noise = noiseTable[xi]! + (noiseTable[xi + 1]! - noiseTable[xi]!) * (x - xi);
        let kw = baseKw + activityKw * activity * noise + hvacKw * occupancy;
        // An appliance cycle lasts one to three quarter hours whatever the interval: `spikeLeft` counts the quarter
        // hours still to run, and an interval gets the share of its length the cycle covers (the same energy at 5,
        // 15, 30 or 60 minutes; at 15 minutes, a whole interval per quarter hour).
        if (spikeLeft > 1e-9) {
          kw += spikeAmount * Math.min(1, spikeLeft / spikeScale);
          spikeLeft -= spikeScale;
        } else {
          const h4 = mix32(spikeKey, counter);
          if ((h4 >>> 16) / 65536 < spikeRate * activity) {
            spikeAmount = lognormal(spikeKw, spikeCv, normalFromHash(mix32(h4, 0x2545f491)));
            const quarterHours = spikeLength === undefined ? 1 + Math.round(((h4 >>> 8) & 0xff) / 128) : spikeLength * (0.5 + ((h4 >>> 8) & 0xff) / 256);
            kw += spikeAmount * Math.min(1, quarterHours / spikeScale);
            spikeLeft = quarterHours - spikeScale;
          }
        }
        kw = saturate(kw, capacity);

        let evDraw = 0;
        if (sessions.length > 0) {
          const wall = ctx.localMs[t]!;
          for (let s = 0; s < sessions.length; s += 2) {
            const overlap = Math.min(sessions[s + 1]!, wall + stepMs) - Math.max(sessions[s]!, wall);
            if (overlap > 0) evDraw += (evKw * overlap) / stepMs;
          }
        }
        const pvDraw = pvKw * ctx.solar[t]!;

        const h3 = mix32(eventKey, counter);
        const u = (h3 >>> 12) / 1048576;
        const jitter = (h3 & 0xfff) / 4096;
        let quality = Q_VALID;
        let event = 0;

        if (hasOutage && this.covered(ctx.utcMs[t]!)) {
          isOutageColumn[row] = 1;
          qualityColumn[row] = Q_OUTAGE;
          eventColumn[row] = previousOut ? E_OUTAGE : E_LAST_GASP;
          usageColumn[row] = 0;
          voltageColumn[row] = 0;
          powerFactorColumn[row] = 0;
          previousOut = true;
          continue;
        }

        let consumption = kw + evDraw;
        let voltage = 120 + vOffset - 1.5 * (ctx.systemLoad[t]! - 1) - 0.2 * Math.min(kw + evDraw, 25) + 0.55 * zVoltage;
        // A demo's scheduled spike, sag or swell (0: none here) comes before the meter's drawn events.
        const forced = scheduled ? forcedCodes[t]! : 0;
        if (previousOut) {
          event = E_RESTORE;
        } else if (forced === 0 && t >= faultStart && t < faultEnd) {
          quality = Q_ANOMALY;
          event = E_FAULT;
        } else if (forced === 0 && t >= gapStart && t < gapEnd) {
          quality = Q_ESTIMATED;
          event = E_ESTIMATED;
          // The estimate is the expected demand, within the service like a measured one.
          consumption = Math.min(expectedKw, capacity) + evDraw;
        } else if (forced === 0 && recorded < 1) {
          quality = Q_ANOMALY;
          event = E_TAMPER;
        } else if (forced === E_SPIKE || (forced === 0 && u < pSpike)) {
          quality = Q_ANOMALY;
          event = E_SPIKE;
          // An unexplained spike: beyond normal saturation, but within 1.5 times the service capacity.
          consumption = Math.min(1.5 * capacity, Math.max(consumption, expectedKw) * (3 + 3 * jitter));
        } else if (forced === E_SAG || (forced === 0 && u < pSag)) {
          quality = Q_ANOMALY;
          event = E_SAG;
          // Meters flag a sag when the voltage leaves ANSI Range A: a labelled sag is always below 114 V.
          voltage = Math.min(voltage - (9 + 6 * jitter), 113.5 - 3 * jitter);
        } else if (forced === E_SWELL || (forced === 0 && u < pSwell)) {
          quality = Q_ANOMALY;
          event = E_SWELL;
          // Likewise a labelled swell is always above 126 V.
          voltage = Math.max(voltage + (7 + 4 * jitter), 126.5 + 2 * jitter);
        }
        previousOut = false;
        isOutageColumn[row] = 0;

        // Theft hides part of the consumption from the meter; PV export is still measured.
        let usage = roundTo((consumption * recorded - pvDraw) * hours, 1000);
        if (vacant && event === 0) usage = 0;
        if (event === E_FAULT) {
          if (Number.isNaN(stuckKwh)) stuckKwh = faultStuck ? usage : 0;
          usage = stuckKwh;
        }
        // Exporting PV raises the service voltage a little; not out of a labelled sag, which stays below 114 V.
        if (usage < 0 && event !== E_SAG) voltage += Math.min(3, (0.3 * -usage) / hours);
        usageColumn[row] = usage;
        voltageColumn[row] = roundTo(voltage, 10);
        powerFactorColumn[row] = pfTable[(hvacKw > kw * 0.5 ? PF_JITTER_STEPS : 0) + (h3 & (PF_JITTER_STEPS - 1))]!;
        qualityColumn[row] = quality;
        eventColumn[row] = event;
      }
    }
    return batch;
  }

  /**
   * A home's own routine: a persistent factor for each hour of the day (lognormal, spread ROUTINE_SIGMA, mean 1),
   * so each household has its own shape on top of its profile, day after day (measured households: lag-48
   * autocorrelation about 0.28).
   */
  private householdRoutine(meterNumber: number, sigma: number): void {
    const r = this.routine;
    let sum = 0;
    for (let h = 0; h < 24; h++) {
      r[h] = Math.exp(sigma * normalFromHash(hash32(this.scenario.seed, STREAM.ROUTINE, meterNumber, h)));
      sum += r[h]!;
    }
    for (let h = 0; h < 24; h++) r[h] = (r[h]! * 24) / sum;
  }

  /**
   * Each calibrated segment's activity shape for a day (its season by local month, weekday or weekend: Saturdays,
   * Sundays and holidays) at every five-minute slot, and the season's level. The profile's shape is the measured mean
   * by hour over the meters' mean; the always-on share is taken out so that base + activity x shape gives it back:
   * shape = (measured - base) / (1 - base).
   */
  private calibratedShapes(firstLocalMs: number, dayType: number): { slots: (Float64Array | null)[]; level: number[] } {
    const month = new Date(Math.floor(firstLocalMs / DAY_MS) * DAY_MS).getUTCMonth() + 1;
    const slots: (Float64Array | null)[] = [];
    const level: number[] = [];
    for (const c of this.calibrations) {
      if (!c) {
        slots.push(null);
        level.push(1);
        continue;
      }
      const season = seasonShapeOf(c, seasonOfMonth(month));
      const measured = dayType === 0 ? season.weekday : season.weekend;
      const base = c.baseShare;
      const week = Float64Array.from(measured, (v) => Math.max(0, (v - base) / (1 - base)));
      slots.push(Float64Array.from({ length: SLOTS_PER_DAY }, (_, i) => shapeAt(week, (i + 0.5) / SLOTS_PER_HOUR)));
      level.push(season.level);
    }
    return { slots, level };
  }

  /**
   * Places a demo's scheduled spikes, sags and swells of the meter's day in `forcedCodes` (an event code per interval,
   * 0 for none): each at its interval, moved on to the next one with supply (not out, not the restore) and not taken
   * by another. Returns false (and leaves the buffer alone) when the meter has none that day.
   */
  private scheduleReadings(demo: DemoEvents, meterNumber: number, localDay: number, ctx: DayContext, hasOutage: boolean): boolean {
    const list = demo.readingEvents(meterNumber, localDay);
    if (list.length === 0) return false;
    const T = ctx.day.intervals;
    const codes = this.forcedCodes;
    codes.fill(0, 0, T);
    for (const scheduled of list) {
      const code = scheduled.kind === 'usage_spike' ? E_SPIKE : scheduled.kind === 'voltage_sag' ? E_SAG : E_SWELL;
      const first = Math.min(T - 1, Math.floor(scheduled.at * T));
      for (let k = 0; k < T; k++) {
        const t = (first + k) % T;
        if (codes[t] !== 0) continue;
        if (hasOutage && (this.covered(ctx.utcMs[t]!) || this.covered(ctx.utcMs[t]! - this.stepMs))) continue;
        codes[t] = code;
        break;
      }
    }
    return true;
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
    const temperatureReported = new Float64Array(T);
    const hour = new Float64Array(T);
    const dayType = new Uint8Array(T);
    const solar = new Float64Array(T);
    const systemLoad = new Float64Array(T);
    const hourOfDay = new Uint8Array(T);
    const slot = new Uint16Array(T);
    const residential = ACTIVITY_SHAPES[0]!;
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
      temperature[t] = temp;
      temperatureReported[t] = roundTo(temp, 10);
      const localDay = Math.floor(local / DAY_MS);
      const dayOfWeek = (localDay + 4) % 7;
      dayType[t] = dayOfWeek === 0 || isHoliday(localDay) ? 2 : dayOfWeek === 6 ? 1 : 0;
      hour[t] = (local - localDay * DAY_MS + this.stepMs / 2) / HOUR_MS;
      hourOfDay[t] = Math.min(23, Math.floor(hour[t]!));
      slot[t] = Math.min(SLOTS_PER_DAY - 1, Math.floor(hour[t]! * SLOTS_PER_HOUR));
      solar[t] = this.solar.outputPerKw(utc + this.stepMs / 2, localDay);
      const weatherLoad = 0.04 * Math.max(0, temp - 22) + 0.02 * Math.max(0, 12 - temp);
      systemLoad[t] = (0.5 + 0.5 * shapeAt(residential[dayType[t]!]!, hour[t]!)) * (1 + weatherLoad);
    }
    const stormList = this.quiet ? [] : storms(this.scenario.seed, this.forcedStormUtcMs, utcMs[0]! - this.stepMs, utcMs[T - 1]! + 2 * this.stepMs);
    // A local day has one day type (the first interval's); a fall-back or spring-forward day keeps its date.
    const profileSlots = ACTIVITY_SHAPES.map((shapes) => {
      const week = shapes[dayType[0]!]!;
      return Float64Array.from({ length: SLOTS_PER_DAY }, (_, i) => shapeAt(week, (i + 0.5) / SLOTS_PER_HOUR));
    });
    const calibrated = this.calibratedShapes(localMs[0]!, dayType[0]!);
    this.cached = {
      day, utcMs, localMs, counter, temperature, temperatureReported, hour, hourOfDay, slot, profileSlots, dayType, solar, systemLoad,
      storms: stormList, calibratedSlots: calibrated.slots, seasonLevel: calibrated.level,
    };
    return this.cached;
  }
}
