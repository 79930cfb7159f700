import { z } from 'zod';
import type { EmissionPattern } from '../scenario/enums.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';

/**
 * How a stream's readings reach the head end. Every reading is delivered; the rates decide how many arrive late,
 * twice or out of order, and how many are missing at their time and backfilled later.
 *
 * - `missingRate`: missing at its slot. PARTIAL_REPORTING backfills it 1 to 4 hours later (the head end's re-read);
 *   DEGRADED_NETWORK delivers it in the burst when the network comes back (every 2 hours); otherwise 1 to 4 hours later.
 * - `lateRate`: arrives 1 to 8 intervals after its slot.
 * - `outOfOrderRate`: held back just past the meter's next reading, which arrives first.
 * - `duplicateRate`: delivered a second time 1 to 60 seconds after the first copy.
 */
export interface EmissionSettings {
  readonly pattern: EmissionPattern;
  readonly missingRate: number;
  readonly lateRate: number;
  readonly outOfOrderRate: number;
  readonly duplicateRate: number;
}

/** The defaults of each pattern (about 2% missing for PARTIAL_REPORTING, about 15% missing or late in a storm). */
export const PATTERN_DEFAULTS: Readonly<Record<EmissionPattern, Omit<EmissionSettings, 'pattern'>>> = {
  UNIFORM: { missingRate: 0, lateRate: 0, outOfOrderRate: 0, duplicateRate: 0 },
  STAGGERED_REALISTIC: { missingRate: 0, lateRate: 0, outOfOrderRate: 0, duplicateRate: 0 },
  PARTIAL_REPORTING: { missingRate: 0.02, lateRate: 0, outOfOrderRate: 0, duplicateRate: 0 },
  DEGRADED_NETWORK: { missingRate: 0.1, lateRate: 0.05, outOfOrderRate: 0.01, duplicateRate: 0.005 },
};

const rate = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(0).max(0.5));

export const emissionOverridesSchema = z.strictObject({
  missingRate: rate.optional(),
  lateRate: rate.optional(),
  outOfOrderRate: rate.optional(),
  duplicateRate: rate.optional(),
});

export type EmissionOverrides = z.input<typeof emissionOverridesSchema>;

/** The pattern's defaults with the given rates over them; rates are shares in [0, 0.5] that add up to at most 0.5. */
export function resolveEmission(pattern: EmissionPattern, overrides: unknown = {}): EmissionSettings {
  const parsed = emissionOverridesSchema.safeParse(overrides ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  const settings: EmissionSettings = { pattern, ...PATTERN_DEFAULTS[pattern], ...defined };
  if (settings.missingRate + settings.lateRate + settings.outOfOrderRate > 0.5) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['missingRate + lateRate + outOfOrderRate must be at most 0.5']);
  }
  return settings;
}
