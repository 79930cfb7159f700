import { z } from 'zod';
import { outputOptionsSchema } from '../jobs/output-options.js';
import { scenarioInputSchema } from '../scenario/scenario-schema.js';
import { emissionOverridesSchema } from '../stream/emission-settings.js';

const rate = z.union([z.number(), z.string()]).optional();

/** The body of `POST /api/jobs`; scenario and output are checked by their own schemas (resolveScenario, parseOutputOptions). */
export const jobRequestSchema = z.strictObject({
  kind: z.enum(['batch', 'stream']),
  scenario: z.record(z.string(), z.unknown()).default({}),
  output: z.record(z.string(), z.unknown()).default({}),
  stream: z
    .strictObject({
      from: z.string().optional().describe("an ISO 8601 instant with its zone, or 'now' (default)"),
      duration: z.string().optional().describe("'90m', '6h', '2d'; absent: until stopped"),
      speed: z.union([z.number(), z.string()]).optional().describe("simulated seconds per second, or 'max'; default 1 (real time)"),
      missingRate: rate,
      lateRate: rate,
      outOfOrderRate: rate,
      duplicateRate: rate,
      batchRows: z.int().min(1).max(1_000_000).optional(),
    })
    .optional(),
});

export type JobRequest = z.input<typeof jobRequestSchema>;

/**
 * The same body as the OpenAPI document shows it: each part described by the schema that checks it when the job is
 * planned (the scenario's, the output options' with whatever sinks they list, the emission rates'), so /docs shows
 * the real fields, enumerations and bounds. Documentation only: requests are validated by jobRequestSchema and then
 * part by part (job-request-plan.ts), which names the part in every message.
 */
export const documentedJobRequestSchema = jobRequestSchema.extend({
  scenario: scenarioInputSchema.optional().describe('the scenario, with the keys of a config file; every key optional'),
  output: outputOptionsSchema.optional().describe('where the job delivers: its sinks and their settings'),
  stream: jobRequestSchema.shape.stream.unwrap().extend(emissionOverridesSchema.shape).optional(),
});
