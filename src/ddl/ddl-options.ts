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
  /**
   * Dynamic tables' TARGET_LAG (Snowflake's minimum is 60 seconds). The default, 10 minutes, keeps an XSMALL warehouse
   * awake about 4.8 hours a day while data arrives; 1 minute keeps it awake all day (snowflakeWarehouseHours).
   */
  targetLag: z
    .string()
    .regex(/^\d{1,4} (second|seconds|minute|minutes|hour|hours|day|days)$/, 'expected e.g. "10 minutes"')
    .refine((lag) => lagMinutes(lag) >= 1, 'Snowflake\'s minimum TARGET_LAG is 60 seconds')
    .default('10 minutes'),
  /**
   * Print the storage integration, the external stage on the bucket and the auto-ingest pipes too: a separate part at
   * the end that needs ACCOUNTADMIN (the rest runs with a role that can create a database, warehouse and task).
   */
  withIntegration: z.boolean().default(false),
  /** The IAM role Snowflake assumes to read the bucket (with withIntegration), arn:aws:iam::<12 digits>:role/<name>. */
  awsRoleArn: z
    .string()
    .regex(/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/, 'expected arn:aws:iam::<account id>:role/<name>')
    .optional(),
}).superRefine((o, ctx) => {
  if (o.withIntegration && o.awsRoleArn === undefined) ctx.addIssue({ code: 'custom', path: ['awsRoleArn'], message: 'required with withIntegration (--with-integration --aws-role-arn arn:aws:iam::<account id>:role/<name>)' });
  if (!o.withIntegration && o.awsRoleArn !== undefined) ctx.addIssue({ code: 'custom', path: ['awsRoleArn'], message: 'applies only with withIntegration (--with-integration)' });
});

/** A TARGET_LAG text ("10 minutes") in minutes. */
export function lagMinutes(lag: string): number {
  const [count = '0', unit = ''] = lag.split(' ');
  const per: Record<string, number> = { second: 1 / 60, minute: 1, hour: 60, day: 1_440 };
  return Number(count) * (per[unit.replace(/s$/, '')] ?? 0);
}

export type DdlOptions = z.output<typeof ddlOptionsSchema>;

export function parseDdlOptions(input: unknown): DdlOptions {
  const parsed = ddlOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data;
}
