import { z } from 'zod';
import { calibrationProfileSchema } from './calibration-profile.js';
import { anomalyRateSchema } from './anomaly-rate.js';
import { EMISSION_PATTERNS, INTERVALS, SEGMENTS } from './enums.js';
import { EVENT_MODES } from './event-mode.js';
import { FLEET_PRESET_NAMES, PRESET_NAMES } from './presets.js';
import { resolveServiceAreaName } from './service-areas.js';
import { shardSchema } from './shard.js';

/**
 * The one schema for a scenario, whatever it comes from: CLI flags, a config file (JSON or YAML) or an API body.
 * Every field is optional; defaults are applied in one place, `resolveScenario`. Unknown keys are rejected.
 */

export const MAX_METERS = 1_000_000;
export const MAX_DAYS = 3_660;
/**
 * The dates a scenario may cover, first and last day included. Outside them the calendar is not trustworthy:
 * JavaScript reads years 0-99 as 1900-1999 (Date.UTC), IANA time-zone rules before 1900 are local mean time, and
 * past 2199 there are no published holiday or DST rules worth modelling. A scenario's last day must be in range too.
 */
export const FIRST_DATE = '1900-01-01';
export const LAST_DATE = '2199-12-31';

const numberFromText = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
const upper = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toUpperCase() : v);
const lower = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const booleanFromText = (v: unknown): unknown => (v === 'true' ? true : v === 'false' ? false : v);

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a calendar date')
  .refine((s) => s >= FIRST_DATE && s <= LAST_DATE, `outside the supported dates ${FIRST_DATE} to ${LAST_DATE}`);

// A plain object schema with its own type error, not a union with a failing string branch: Zod reports a union none
// of whose branches matches as a bare "Invalid input", which hid the hint below.
const mixObject = z.strictObject(
  {
    RESIDENTIAL: z.number().min(0).max(100),
    COMMERCIAL: z.number().min(0).max(100),
    INDUSTRIAL: z.number().min(0).max(100),
  },
  { error: 'expected three shares like 88/11/1 (residential/commercial/industrial) or an object keyed by segment' },
);

/** "88/11/1" (percent or fractions, residential/commercial/industrial) or an object keyed by segment. */
const mix = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const parts = v.split('/').map((p) => (p.trim() === '' ? Number.NaN : Number(p.trim())));
  if (parts.length !== 3 || parts.some((p) => Number.isNaN(p))) return v;
  return { RESIDENTIAL: parts[0], COMMERCIAL: parts[1], INDUSTRIAL: parts[2] };
}, mixObject)
  .refine((m) => m.RESIDENTIAL + m.COMMERCIAL + m.INDUSTRIAL > 0, 'shares must not all be zero');

export const scenarioInputSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES).optional(),
  fleet: z.enum(FLEET_PRESET_NAMES).optional(),
  meters: z.preprocess(numberFromText, z.int().min(1).max(MAX_METERS)).optional(),
  days: z.preprocess(numberFromText, z.int().min(1).max(MAX_DAYS)).optional(),
  start: isoDate.optional(),
  interval: z.preprocess(numberFromText, z.union(INTERVALS.map((i) => z.literal(i)) as [z.ZodLiteral<5>, z.ZodLiteral<15>, z.ZodLiteral<30>, z.ZodLiteral<60>], {
    error: `expected one of ${INTERVALS.join(', ')} (minutes)`,
  })).optional(),
  area: z
    .string()
    .transform((s, ctx) => {
      const name = resolveServiceAreaName(s);
      if (!name) {
        ctx.addIssue({ code: 'custom', message: `unknown service area "${s}"` });
        return z.NEVER;
      }
      return name;
    })
    .optional(),
  segment: z.preprocess(upper, z.enum(SEGMENTS)).optional(),
  mix: mix.optional(),
  seed: z.preprocess(numberFromText, z.int().min(0).max(0xffffffff)).optional(),
  idPrefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{0,7}$/, 'expected 1-8 upper-case letters or digits, starting with a letter')
    .optional(),
  emissionPattern: z.preprocess(upper, z.enum(EMISSION_PATTERNS)).optional(),
  /** Share of homes with rooftop PV, 0 to 1 (default: the area's). */
  pvShare: z.preprocess(numberFromText, z.number().min(0).max(1)).optional(),
  /** Share of homes with an EV, 0 to 1 (default: the area's). */
  evShare: z.preprocess(numberFromText, z.number().min(0).max(1)).optional(),
  /** A major storm: true for one in the middle of the range, or the local date it strikes (YYYY-MM-DD). */
  storm: z.union([z.boolean(), isoDate]).optional(),
  /**
   * The fleet's events (event-mode.ts): `demo` (natural rates plus a scheduled outage and anomalies of each kind every
   * week), `natural`, or `none` (a quiet fleet). Default: the preset's (`demo` for quick and se), else `natural`.
   */
  events: z.preprocess(lower, z.enum(EVENT_MODES, { error: `expected one of ${EVENT_MODES.join(', ')}` })).optional(),
  /** `--quiet-fleet`: the same as `events: none` (a file may say either). */
  quietFleet: z.preprocess(booleanFromText, z.boolean({ error: 'expected true or false' })).optional(),
  /** Injected anomalies per meter-day by kind (anomaly-rate.ts): `0.01`, `theft=0.002,meter_fault=0.001` or an object. */
  anomalyRate: anomalyRateSchema.optional(),
  /** A calibration profile fitted by `forge calibrate` (calibration-profile.ts), inline; absent: the model's own parameters. */
  profile: calibrationProfileSchema.optional(),
  /**
   * Emit only this part of the fleet: `i/N` or `{ index, count }` (shard.ts). Not part of what a reading is: the
   * fleet, weather and outages are the whole scenario's, so N shards together emit exactly the unsharded rows.
   */
  shard: shardSchema.optional(),
  /**
   * A utility's own fleet (`forge fleet import`): the fleet file's path. The meters are the file's rows; `fleetHash`
   * (its SHA-256) is filled in when the file is read (warehouse/fleet-file.ts), so a job record names the exact file.
   */
  fleetFile: z.string().trim().min(1, 'expected the path of a fleet file').max(4096).optional(),
  fleetHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the fleet file (64 hex digits)').optional(),
});

export type ScenarioInput = z.input<typeof scenarioInputSchema>;
export type ParsedScenarioInput = z.output<typeof scenarioInputSchema>;
