import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { DAY_MS, isoDate, localMidnightUtcMs, toWallClockMs } from '../util/time-zone.js';
import type { EmissionPattern, IntervalMinutes, Segment } from './enums.js';
import { FLEET_PRESETS, PRESETS, type PresetName } from './presets.js';
import { scenarioInputSchema, type ScenarioInput } from './scenario-schema.js';
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
  /**
   * The part of the fleet this process emits (shard.ts), or null for the whole fleet. `meters` stays the whole
   * fleet's size: the fleet and everything derived from it are built whole, only the meters emitted change.
   */
  readonly shard: Shard | null;
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
    storm: v.storm === true ? isoDate(Date.parse(`${start}T00:00:00Z`) + Math.floor(days / 2) * DAY_MS) : v.storm || null,
    shard,
  });
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
    pvShare: scenario.pvShare,
    evShare: scenario.evShare,
    ...(scenario.storm ? { storm: scenario.storm } : {}),
    ...(scenario.preset ? { preset: scenario.preset } : {}),
    ...(scenario.shard ? { shard: shardText(scenario.shard) } : {}),
  };
}
