import type { Command } from 'commander';
import { buildServer } from '../../server/build-server.js';
import { parseDuration } from '../../stream/stream-window.js';
import { stageStoreFromFlags } from './ingest-command.js';
import { ForgeError } from '../../util/forge-error.js';
import { commandSummary } from '../command-list.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK.has(h) || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Refuses to serve beyond loopback without a token: the API starts jobs that write wherever a body says. */
export function checkServeHost(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) throw new ForgeError('FORGE_ERR_API_TOKEN_REQUIRED', [host]);
}

/** `forge serve`: the HTTP API (jobs, catalog, health, metrics, OpenAPI docs) until SIGINT or SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(commandSummary('serve'))
    .option('--host <host>', 'address to listen on; other than loopback needs FORGE_API_TOKEN', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .option('--state-dir <dir>', 'where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs)')
    .option('--data-dir <dir>', 'every path an API call names must lie here; relative ones are taken under it (default: $FORGE_DATA_DIR or ./forge-data)')
    .option('--stage <url>', 'also run the pipeline: auto-ingest this stage (file:///dir or s3://bucket/prefix) into bronze, silver and gold')
    .option('--pipeline-out <file>', 'the pipeline database with --stage', 'forge-data/pipeline.duckdb')
    .option('--lag <duration>', 'the pipeline\'s target lag with --stage (e.g. 10s)', '10s')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint of an s3:// stage')
    .option('--s3-region <region>', 'region of an s3:// stage')
    .action(async (flags: Record<string, unknown>) => {
      const host = String(flags.host);
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`port "${String(flags.port)}" must be a whole number from 0 to 65535`]);
      const token = process.env.FORGE_API_TOKEN || undefined;
      checkServeHost(host, token);
      const pipeline =
        typeof flags.stage === 'string'
          ? { stage: stageStoreFromFlags(flags as { stage?: string; s3Endpoint?: string; s3Region?: string }), out: String(flags.pipelineOut), targetLagMs: parseDuration(String(flags.lag)) }
          : undefined;
      const server = await buildServer({
        host, port, ...(token ? { token } : {}), ...(typeof flags.stateDir === 'string' ? { stateDir: flags.stateDir } : {}), ...(typeof flags.dataDir === 'string' ? { dataDir: flags.dataDir } : {}), ...(pipeline ? { pipeline } : {}),
      });
      const address = await server.listen({ host, port });
      process.stdout.write(`forge: serving on ${address}: the web UI at ${address}/, API docs at ${address}/docs${token ? '; /api and /metrics need the bearer token' : ''}\n`);
      if (pipeline) process.stdout.write(`forge: ingesting ${String(flags.stage)} into ${pipeline.out} (target lag ${pipeline.targetLagMs / 1000} s); status at ${address}/api/pipeline/status\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write('forge: stopping running jobs and the server\n');
          // Closing stops running jobs gracefully (their sinks flush and close) before the server ends.
          void server.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
