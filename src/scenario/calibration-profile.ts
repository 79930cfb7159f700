import { z } from 'zod';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { SEGMENTS, type Segment } from './enums.js';

/**
 * A calibration profile: the model's parameters fitted to a utility's own interval readings by `forge calibrate`
 * (src/calibrate/), applied to any scenario with `--profile` (scenario key `profile`). It holds aggregate parameters
 * only, per segment: no reading, no meter id, no timestamp of the sample (see docs/REALISM.md, "Calibration from real
 * readings"). The schema is versioned; a profile is validated wherever it enters (file, config, API body).
 */
export const CALIBRATION_PROFILE_VERSION = 1;

export const SEASONS = ['WINTER', 'SPRING', 'SUMMER', 'AUTUMN'] as const;
export type Season = (typeof SEASONS)[number];

/** Meteorological season of a month 1-12 (northern hemisphere: December to February is winter). */
export const seasonOfMonth = (month: number): Season => SEASONS[Math.floor((month % 12) / 3)]!;

const HOURS = 24;
const hourly = z
  .array(z.number().finite().min(0).max(50))
  .length(HOURS, `expected ${HOURS} hourly values (00:00 to 23:00)`);

const seasonShape = z.strictObject({
  /** Mean load by local hour on weekdays and on weekends (and holidays), over the season's mean: the shape and the weekend effect. */
  weekday: hourly,
  weekend: hourly,
  /** The season's mean load over the sample's mean: the seasonal level. */
  level: z.number().finite().positive().max(20),
});

export const segmentCalibrationSchema = z.strictObject({
  /** Meters of the sample the parameters were fitted on (a count, not an id). */
  meters: z.int().min(1),
  /** Mean demand of a meter, kW (the level's centre: the sample's mean of meter means). */
  meanKw: z.number().finite().positive().max(100_000),
  /** Spread of meter means: the coefficient of variation of a lognormal. */
  meanCv: z.number().finite().min(0).max(5),
  /** Always-on share of a meter's load (its mean), the part the daily shape does not move. */
  baseShare: z.number().finite().min(0).max(0.95),
  /** Volatility: spread of the multiplicative lognormal noise on the activity part. */
  noiseSigma: z.number().finite().min(0).max(3),
  /** Autocorrelation: lag-1 correlation of that noise over 30 minutes. */
  noiseAutocorrelation: z.number().finite().min(0).max(0.995),
  /** Spread of a meter's own persistent hour-of-day routine (lognormal), which carries its day-to-day correlation. */
  routineSigma: z.number().finite().min(0).max(3),
  /** Appliance spikes: chance per 15 minutes at average activity, mean size over the meter's mean, spread of sizes (CV). */
  spikeRate: z.number().finite().min(0).max(0.5),
  spikeSize: z.number().finite().min(0).max(50),
  spikeCv: z.number().finite().min(0).max(5),
  /**
   * Mean length of an appliance cycle in quarter hours (lengths spread evenly from half to one and a half times it).
   * Absent (profiles written before it): the model's own 1 to 3 quarter hours.
   */
  spikeQuarterHours: z.number().finite().min(0.5).max(16).optional(),
  /**
   * Chance that a meter starts a vacancy (supply off, zero readings, 3 to 20 days) in a 30-day block: fitted to the
   * sample's share of zero readings. Absent (profiles written before it): the model's own 0.02.
   */
  vacancyRate: z.number().finite().min(0).max(1).optional(),
  /** Mean load on weekend days over weekdays (also carried by the shapes; kept as the summary figure). */
  weekendEffect: z.number().finite().positive().max(10),
  /** Shapes per season present in the sample; other seasons use the nearest one present. */
  seasons: z
    .partialRecord(z.enum(SEASONS), seasonShape)
    .refine((s) => Object.keys(s).length > 0, 'at least one season'),
  /**
   * Temperature sensitivity, as a share of the meter's mean per degree C below the heating balance point and above the
   * cooling one; null when the sample had no temperature (the shapes then carry the season and weather does not move
   * the load).
   */
  temperature: z
    .strictObject({
      heatingBalanceC: z.number().finite().min(-30).max(40),
      heatingPerDegree: z.number().finite().min(0).max(1),
      coolingBalanceC: z.number().finite().min(-30).max(45),
      coolingPerDegree: z.number().finite().min(0).max(1),
    })
    .nullable(),
});

export const calibrationProfileSchema = z.strictObject({
  version: z.literal(CALIBRATION_PROFILE_VERSION, { error: `expected version ${CALIBRATION_PROFILE_VERSION} (this forge reads calibration profiles of version ${CALIBRATION_PROFILE_VERSION})` }),
  /** What the sample was, in words and counts only (interval, days, meters): never ids or readings. */
  source: z.strictObject({
    intervalMinutes: z.union([z.literal(15), z.literal(30), z.literal(60)]),
    days: z.int().min(1),
    meters: z.int().min(1),
  }),
  segments: z
    .partialRecord(z.enum(SEGMENTS), segmentCalibrationSchema)
    .refine((s) => Object.keys(s).length > 0, 'at least one segment'),
});

export type CalibrationProfile = z.output<typeof calibrationProfileSchema>;
export type SegmentCalibration = z.output<typeof segmentCalibrationSchema>;

/** Validates a profile from any source; throws FORGE_ERR_INVALID_PROFILE naming every bad field. */
export function parseCalibrationProfile(value: unknown, source: string): CalibrationProfile {
  const parsed = calibrationProfileSchema.safeParse(value);
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_PROFILE', [source, formatIssues(parsed.error.issues as never)]);
  return parsed.data;
}

/** The segment's calibration, if the profile has one. */
export function segmentCalibration(profile: CalibrationProfile | null, segment: Segment): SegmentCalibration | null {
  return profile?.segments[segment] ?? null;
}

/** The shape of a season: the season itself, else the nearest present one (the earlier of two equally near). */
export function seasonShapeOf(calibration: SegmentCalibration, season: Season): z.output<typeof seasonShape> {
  const i = SEASONS.indexOf(season);
  for (const step of [0, -1, 1, -2, 2]) {
    const shape = calibration.seasons[SEASONS[(i + step + 4) % 4]!];
    if (shape) return shape;
  }
  throw new Error('a calibration has at least one season');
}
