import type { Command } from 'commander';
import { parseDdlOptions } from '../../ddl/ddl-options.js';
import { relationalDdl } from '../../ddl/relational-ddl.js';
import { snowflakeDdl } from '../../ddl/snowflake-ddl.js';
import { DDL_TARGETS, type DdlTarget } from '../../ddl/sql-identifier.js';
import { parseDuration } from '../../stream/stream-window.js';
import { ForgeError } from '../../util/forge-error.js';
import { commandSummary } from '../command-list.js';

/** `forge ddl --target snowflake|postgres|duckdb`: prints the medallion model's SQL for the target. */
export function registerDdlCommand(program: Command): void {
  program
    .command('ddl')
    .description(commandSummary('ddl'))
    .option('--target <target>', 'snowflake, postgres or duckdb', 'snowflake')
    .option('--database <name>', 'Snowflake database (default FORGE)')
    .option('--schema <name>', 'schema (default AMI)')
    .option('--warehouse <name>', 'Snowflake warehouse for dynamic tables and the task (default FORGE_WH)')
    .option('--stage-url <url>', 'the external stage\'s landing bucket and prefix, s3://bucket/prefix (default s3://forge-stage/landing)')
    .option('--integration <name>', 'Snowflake storage integration (default FORGE_S3_INTEGRATION)')
    .option('--target-lag <lag>', 'dynamic tables\' TARGET_LAG, e.g. "30 minutes" (default 10 minutes; Snowflake\'s minimum is 1 minute); the script says what it costs')
    .option('--lag <duration>', 'the same as a duration: 90s, 10m, 1h')
    .option('--with-integration', 'also print part 2 (needs ACCOUNTADMIN): storage integration, external stage on --stage-url, auto-ingest pipes')
    .option('--aws-role-arn <arn>', 'with --with-integration: the IAM role Snowflake assumes to read the bucket')
    .action((flags: Record<string, unknown>) => {
      const target = String(flags.target).toLowerCase();
      if (!DDL_TARGETS.includes(target as DdlTarget)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`target "${String(flags.target)}" is not one of ${DDL_TARGETS.join(', ')}`]);
      const input: Record<string, unknown> = {};
      for (const key of ['database', 'schema', 'warehouse', 'stageUrl', 'integration', 'targetLag', 'withIntegration', 'awsRoleArn']) if (flags[key] !== undefined) input[key] = flags[key];
      if (flags.lag !== undefined) {
        if (flags.targetLag !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['lag: give --lag or --target-lag, not both']);
        const seconds = parseDuration(String(flags.lag)) / 1000;
        if (!Number.isInteger(seconds) || seconds < 60) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`lag: "${String(flags.lag)}" is under Snowflake's minimum TARGET_LAG of 60 seconds, or not whole seconds`]);
        input.targetLag = seconds % 3_600 === 0 ? `${seconds / 3_600} hours` : seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;
      }
      const options = parseDdlOptions(input);
      process.stdout.write(target === 'snowflake' ? snowflakeDdl(options) : relationalDdl(target as 'postgres' | 'duckdb', options));
    });
}
