import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { DAY_MS, isoDate, localMidnightUtcMs, toWallClockMs } from '../util/time-zone.js';
import { ANOMALY_KINDS, type AnomalyRates } from './anomaly-rate.js';
import type { CalibrationProfile } from './calibration-profile.js';
import type { EmissionPattern, IntervalMinutes, Segment } from './enums.js';
import type { EventMode } from './event-mode.js';
import { FLEET_PRESETS, PRESETS, type PresetName } from './presets.js';
import { LAST_DATE, scenarioInputSchema, type ScenarioInput } from './scenario-schema.js';
import { SERVICE_AREAS, type ServiceArea, type ServiceAreaName } from './service-areas.js';
import { shardRange, shardText, type Shard } from './shard.js';

/**
 * A validated, fully defaulted and frozen scenario. Together with the code version it determines every reading
 * bit for bit (determinism invariant): it is what workers receive, what jobs persist and what verify regenerates.
 */
export interface Scenario {
  readonly preset: PresetName | null;
  readonly meters: number;
  readonly days: number;
  /** First local calendar day of the service area, YYYY-MM-DD. */
  readonly start: string;
  readonly intervalMinutes: IntervalMinutes;
  readonly area: ServiceAreaName;
  /** Only meters of this segment, or all segments. */
  readonly segment: Segment | null;
  /** Segment shares, summing to 1. */
  readonly mix: Readonly<Record<Segment, number>>;
  readonly seed: number;
  readonly idPrefix: string;
  readonly emissionPattern: EmissionPattern;
  readonly pvShare: number;
  readonly evShare: number;
  /** Local date of a forced major storm, or null (storms still occur at their natural rate). */
  readonly storm: string | null;
  /** The fleet's events (event-mode.ts): demo (natural plus scheduled), natural, or none (a quiet fleet). */
  readonly events: EventMode;
  /** Injected anomaly rates by kind, per meter-day (anomaly-rate.ts); absent: the model's own rates. */
  readonly anomalyRate?: AnomalyRates;
  /** The calibration profile applied (`forge calibrate`, `--profile`); absent: the model's own parameters, as before. */
  readonly profile?: CalibrationProfile;
  /**
   * The part of the fleet this process emits (shard.ts), or null for the whole fleet. `meters` stays the whole
   * fleet's size: the fleet and everything derived from it are built whole, only the meters emitted change.
   */
  readonly shard: Shard | null;
  /** An imported fleet's file (`forge fleet import`; its rows are the meters); absent: an invented fleet, as before. */
  readonly fleetFile?: string;
  /** SHA-256 of the fleet file the scenario was resolved with (warehouse/fleet-file.ts; a changed file is refused). */
  readonly fleetHash?: string;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_ID_PREFIX = 'MTR';
export const DEFAULT_AREA: ServiceAreaName = 'TEXAS_GULF_COAST';

/**
 * Meter ids have 7 digits (MTR-TGC-0000042). A segment-filtered fleet may walk at most this many meters of the whole
 * utility on average; the margin below 9,999,999 keeps the walk's random overshoot inside the ids.
 */
export const MAX_UTILITY_METERS = 9_000_000;

export interface ResolveOptions {
  /** "Today" for the default start (the given number of days ending yesterday, in the area's time zone). */
  readonly now?: Date;
}

/** Validates input (flags, config file, API body) and applies every default. Throws FORGE_ERR_INVALID_CONFIG. */
export function resolveScenario(input: unknown, options: ResolveOptions = {}): Scenario {
  const parsed = scenarioInputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  }
  const v = parsed.data;
  const preset = v.preset ? PRESETS[v.preset] : !v.fleet && v.meters === undefined && v.days === undefined ? PRESETS.quick : null;
  const area = v.area ?? DEFAULT_AREA;
  const meters = v.meters ?? (v.fleet ? FLEET_PRESETS[v.fleet].meters : undefined) ?? preset?.meters ?? PRESETS.quick.meters;
  const days = v.days ?? preset?.days ?? PRESETS.quick.days;
  const intervalMinutes = v.interval ?? 15;
  const start = v.start ?? defaultStart(area, days, options.now ?? new Date());
  const rawMix = v.mix ?? SERVICE_AREAS[area].mix;
  const total = rawMix.RESIDENTIAL + rawMix.COMMERCIAL + rawMix.INDUSTRIAL;
  // Shares that already sum to 1 (up to rounding) are kept as given: dividing by a total one ulp off 1 moved them by
  // an ulp each time, so scenarioToInput -> resolveScenario did not give back the same scenario.
  const normalised = Math.abs(total - 1) < 1e-9;
  const mix = Object.freeze({
    RESIDENTIAL: normalised ? rawMix.RESIDENTIAL : rawMix.RESIDENTIAL / total,
    COMMERCIAL: normalised ? rawMix.COMMERCIAL : rawMix.COMMERCIAL / total,
    INDUSTRIAL: normalised ? rawMix.INDUSTRIAL : rawMix.INDUSTRIAL / total,
  });
  const last = isoDate(Date.parse(`${start}T00:00:00Z`) + (days - 1) * DAY_MS);
  if (last > LAST_DATE) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`days: ${days} days from ${start} end on ${last}, after the last supported date ${LAST_DATE}`]);
  }
  if (typeof v.storm === 'string') {
    const offset = (Date.parse(`${v.storm}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS;
    if (offset < 0 || offset >= days) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`storm: ${v.storm} is outside the scenario's days (${days} from ${start})`]);
    }
  }
  if (v.segment && mix[v.segment] === 0) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`segment: ${v.segment} has a share of 0 in the mix, so no meter qualifies`]);
  }
  // A segment filter walks the whole utility (fleet.ts) to find its meters: about meters / share of them, each with a
  // 7-digit id. Past the ids, ids would grow a digit; with a tiny share the walk would exhaust memory first.
  if (v.segment && meters / mix[v.segment] > MAX_UTILITY_METERS) {
    const utility = Math.ceil(meters / mix[v.segment]).toLocaleString('en-US');
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
      `segment: ${meters} ${v.segment} meters at a ${+(mix[v.segment] * 100).toPrecision(3)}% share of the mix need a utility of about ${utility} meters; ` +
        `a segment filter may span at most ${MAX_UTILITY_METERS.toLocaleString('en-US')} (meter ids have 7 digits): ask for fewer meters or raise the ${v.segment} share with mix`,
    ]);
  }
  // An imported fleet is the file's meters and topology: its segments replace the filter and the mix, and its rows are
  // the meter count, known once the file is read (fleet-file.ts fills in meters and fleetHash before resolving).
  if (v.fleetFile !== undefined) {
    if (v.fleetHash === undefined || v.meters === undefined) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['fleetFile: the fleet file has not been read (its meter count and hash are missing)']);
    }
    if (v.segment) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['segment: an imported fleet (fleetFile) has its own segments; filter the inventory before importing it']);
  } else if (v.fleetHash !== undefined) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['fleetHash: given without fleetFile']);
  }
  const events = eventModeOf(v.events, v.quietFleet, preset?.events);
  if (events === 'none') {
    // A quiet fleet has no events at all: asking for some as well is a contradiction, not something to pick between.
    if (v.storm !== undefined && v.storm !== false) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['storm: a quiet fleet (events none, --quiet-fleet) has no storms; drop one of them']);
    if (v.anomalyRate && Object.values(v.anomalyRate).some((r) => r !== undefined && r > 0)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['anomalyRate: a quiet fleet (events none, --quiet-fleet) has no anomalies; drop one of them']);
    }
  }
  // 0/1 is the whole fleet: no shard, so its output is named and keyed like an unsharded job's.
  const shard = v.shard && v.shard.count > 1 ? Object.freeze({ ...v.shard }) : null;
  if (shard && shard.count > meters) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`shard: ${shard.count} shards for ${meters} meters would leave a shard without meters; use at most ${meters} shards`]);
  }
  return Object.freeze({
    preset: preset?.name ?? null,
    meters,
    days,
    start,
    intervalMinutes,
    area,
    segment: v.segment ?? null,
    mix,
    seed: v.seed ?? DEFAULT_SEED,
    idPrefix: v.idPrefix ?? DEFAULT_ID_PREFIX,
    emissionPattern: v.emissionPattern ?? 'UNIFORM',
    pvShare: v.pvShare ?? SERVICE_AREAS[area].pvShare,
    evShare: v.evShare ?? SERVICE_AREAS[area].evShare,
    events,
    storm: v.storm === true ? isoDate(Date.parse(`${start}T00:00:00Z`) + Math.floor(days / 2) * DAY_MS) : v.storm || null,
    shard,
    ...(v.profile ? { profile: deepFreeze(v.profile) } : {}),
    ...anomalyRateOf(v.anomalyRate),
    ...(v.fleetFile !== undefined ? { fleetFile: v.fleetFile, fleetHash: v.fleetHash! } : {}),
  });
}

/** `events`, else `quietFleet`, else the preset's, else natural; `quietFleet: true` with another mode is refused. */
function eventModeOf(events: EventMode | undefined, quietFleet: boolean | undefined, presetDefault: EventMode | undefined): EventMode {
  if (quietFleet === true && events !== undefined && events !== 'none') {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`quietFleet: a quiet fleet has no events, but events is ${events}; give one of them`]);
  }
  return events ?? (quietFleet === true ? 'none' : undefined) ?? presetDefault ?? 'natural';
}

/** Only the kinds given, in a fixed order; no key at all when none is, so such a scenario is the one it was before. */
function anomalyRateOf(given: Readonly<Partial<Record<string, number | undefined>>> | undefined): { anomalyRate?: AnomalyRates } {
  const kinds = ANOMALY_KINDS.filter((k) => given?.[k] !== undefined);
  return kinds.length === 0 ? {} : { anomalyRate: Object.freeze(Object.fromEntries(kinds.map((k) => [k, given![k]!]))) };
}

/** A profile is nested data: frozen throughout, like the rest of the scenario. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function defaultStart(area: ServiceAreaName, days: number, now: Date): string {
  const todayLocal = toWallClockMs(SERVICE_AREAS[area].timeZone, now.getTime());
  const todayMidnight = Math.floor(todayLocal / DAY_MS) * DAY_MS;
  return isoDate(todayMidnight - days * DAY_MS);
}

export function serviceAreaOf(scenario: Scenario): ServiceArea {
  return SERVICE_AREAS[scenario.area];
}

/**
 * The scenario covers `days` x 24 hours of real time from local midnight of `start`. Counting real time (not local
 * calendar days) keeps the row count exact (meters x days x intervals a day) whatever daylight-saving changes fall in
 * the range; the local calendar still shows them (a fall-back day has 25 hours of readings, a spring-forward day 23).
 */
export function scenarioStartUtcMs(scenario: Scenario): number {
  const [y, m, d] = scenario.start.split('-').map(Number) as [number, number, number];
  return localMidnightUtcMs(serviceAreaOf(scenario).timeZone, y, m, d);
}

export function scenarioEndUtcMs(scenario: Scenario): number {
  return scenarioStartUtcMs(scenario) + scenario.days * DAY_MS;
}

export function intervalsPerMeter(scenario: Scenario): number {
  return (scenario.days * 24 * 60) / scenario.intervalMinutes;
}

/** The fleet indexes [start, end) this scenario emits: its shard's meters, or the whole fleet. */
export function emittedMeters(scenario: Scenario): { readonly start: number; readonly end: number } {
  return shardRange(scenario.meters, scenario.shard);
}

/** Rows the scenario emits: its shard's meters (all meters without a shard) x intervals. */
export function expectedRows(scenario: Scenario): number {
  const { start, end } = emittedMeters(scenario);
  return (end - start) * intervalsPerMeter(scenario);
}

/** The input that reproduces this scenario exactly (for job records, API bodies and config files). */
export function scenarioToInput(scenario: Scenario): ScenarioInput {
  return {
    meters: scenario.meters,
    days: scenario.days,
    start: scenario.start,
    interval: scenario.intervalMinutes,
    area: scenario.area,
    ...(scenario.segment ? { segment: scenario.segment } : {}),
    mix: { ...scenario.mix },
    seed: scenario.seed,
    idPrefix: scenario.idPrefix,
    emissionPattern: scenario.emissionPattern,
    events: scenario.events,
    pvShare: scenario.pvShare,
    evShare: scenario.evShare,
    ...(scenario.storm ? { storm: scenario.storm } : {}),
    ...(scenario.preset ? { preset: scenario.preset } : {}),
    ...(scenario.shard ? { shard: shardText(scenario.shard) } : {}),
    ...(scenario.profile ? { profile: scenario.profile } : {}),
    ...(scenario.anomalyRate ? { anomalyRate: { ...scenario.anomalyRate } } : {}),
    ...(scenario.fleetFile ? { fleetFile: scenario.fleetFile, fleetHash: scenario.fleetHash! } : {}),
  };
}
