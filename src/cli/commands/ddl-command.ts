import type { Command } from 'commander';
import { parseDdlOptions } from '../../ddl/ddl-options.js';
import { relationalDdl } from '../../ddl/relational-ddl.js';
import { snowflakeDdl } from '../../ddl/snowflake-ddl.js';
import { DDL_TARGETS, type DdlTarget } from '../../ddl/sql-identifier.js';
import { ForgeError } from '../../util/forge-error.js';

/** `forge ddl --target snowflake|postgres|duckdb`: prints the medallion model's SQL for the target. */
export function registerDdlCommand(program: Command): void {
  program
    .command('ddl')
    .description('print the SQL of the medallion model (readings, bronze, silver, gold) for Snowflake, Postgres or DuckDB')
    .option('--target <target>', 'snowflake, postgres or duckdb', 'snowflake')
    .option('--database <name>', 'Snowflake database (default FORGE)')
    .option('--schema <name>', 'schema (default AMI)')
    .option('--warehouse <name>', 'Snowflake warehouse for dynamic tables and the task (default FORGE_WH)')
    .option('--stage-url <url>', 'the external stage\'s landing bucket and prefix, s3://bucket/prefix (default s3://forge-stage/landing)')
    .option('--integration <name>', 'Snowflake storage integration (default FORGE_S3_INTEGRATION)')
    .option('--target-lag <lag>', 'dynamic tables\' TARGET_LAG, e.g. "1 minute" (Snowflake\'s minimum)')
    .action((flags: Record<string, unknown>) => {
      const target = String(flags.target).toLowerCase();
      if (!DDL_TARGETS.includes(target as DdlTarget)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`target "${String(flags.target)}" is not one of ${DDL_TARGETS.join(', ')}`]);
      const input: Record<string, unknown> = {};
      for (const key of ['database', 'schema', 'warehouse', 'stageUrl', 'integration', 'targetLag']) if (flags[key] !== undefined) input[key] = flags[key];
      const options = parseDdlOptions(input);
      process.stdout.write(target === 'snowflake' ? snowflakeDdl(options) : relationalDdl(target as 'postgres' | 'duckdb', options));
    });
}
