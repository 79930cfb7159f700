import { z } from 'zod';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { parseStageLocation } from '../stage/stage-location.js';
import { checkIdentifier } from './sql-identifier.js';

const identifier = (what: string) =>
  z.string().superRefine((name, ctx) => {
    try {
      checkIdentifier(name, what);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

/** What `forge ddl` is told; the same names for every target. */
export const ddlOptionsSchema = z.strictObject({
  database: identifier('database').default('FORGE'),
  schema: identifier('schema').default('AMI'),
  warehouse: identifier('warehouse').default('FORGE_WH'),
  /** The external stage's bucket and prefix (Snowflake), as for --stage: s3://bucket/prefix. */
  stageUrl: z
    .string()
    .superRefine((url, ctx) => {
      try {
        if (parseStageLocation(url).kind !== 's3') ctx.addIssue({ code: 'custom', message: 'expected s3://bucket/prefix' });
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    })
    .default('s3://forge-stage/landing'),
  integration: identifier('storage integration').default('FORGE_S3_INTEGRATION'),
  /** Dynamic tables' TARGET_LAG (Snowflake's minimum is 1 minute). */
  targetLag: z.string().regex(/^\d{1,4} (second|seconds|minute|minutes|hour|hours)$/, 'expected e.g. "1 minute"').default('1 minute'),
});

export type DdlOptions = z.output<typeof ddlOptionsSchema>;

export function parseDdlOptions(input: unknown): DdlOptions {
  const parsed = ddlOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data;
}
