import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { JobStore } from '../jobs/job-store.js';
import { ForgeError } from '../util/forge-error.js';
import { apiError, apiErrorHandler } from './api-error.js';
import { registerCatalogRoutes } from './catalog-routes.js';
import { registerExploreRoutes } from './explore-routes.js';
import { registerHealthRoutes, registerMetricsRoute } from './health-routes.js';
import { JobManager } from './job-manager.js';
import { registerJobRoutes } from './job-routes.js';
import { ServerPipeline } from './server-pipeline.js';
import { DEFAULT_DATA_DIR } from './output-policy.js';
import { registerToolRoutes } from './tool-routes.js';
import { registerUiRoutes } from './ui-routes.js';
import type { StageStore } from '../stage/stage-store.js';

export interface ServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Bearer token every `/api/*` and `/metrics` call must carry; none = open (loopback only, see checkServeHost). */
  readonly token?: string;
  /** Where job records are kept (default: $FORGE_STATE_DIR or ./forge-data/jobs). */
  readonly stateDir?: string;
  /**
   * Every path a request names (job outputs, a local stage, files to validate or verify) must lie inside it; relative
   * paths are taken under it. Default $FORGE_DATA_DIR or ./forge-data.
   */
  readonly dataDir?: string;
  /** Fastify's logger (default off). */
  readonly logger?: boolean;
  /** Run the stage -> bronze -> silver -> gold pipeline in the server (`forge serve --stage`). */
  readonly pipeline?: { readonly stage: StageStore; readonly out: string; readonly targetLagMs: number };
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The HTTP API: health and metrics, the catalog, jobs (run in this process by a JobManager) and the OpenAPI document
 * at /docs/json with its UI at /docs. Closing the server stops its running jobs gracefully first.
 */
export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1_048_576 });
  const dataDir = options.dataDir ?? process.env.FORGE_DATA_DIR ?? DEFAULT_DATA_DIR;
  const manager = new JobManager({ store: new JobStore(options.stateDir), dataDir });
  app.decorate('jobManager', manager);
  const pipeline = options.pipeline ? await ServerPipeline.start(options.pipeline.stage, options.pipeline.out, options.pipeline.targetLagMs) : undefined;
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = apiError(new ForgeError('FORGE_ERR_NOT_FOUND', [`${request.method} ${request.url.split('?')[0]}`]));
    void reply.status(status).send(body);
  });

  await app.register(fastifySwagger, {
    openapi: {
      // The description is Markdown in the documentation page: a way back to the web UI served at /.
      info: { title: 'Flux Data Forge API', version: VERSION, description: 'Synthetic smart-meter data: batch and stream jobs into sinks. [Back to the web UI](/)' },
      ...(options.token ? { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] } : {}),
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerHealthRoutes(app, manager, VERSION, pipeline !== undefined);
  await registerUiRoutes(app);
  // Everything that shows or changes jobs sits behind the token (when the server has one).
  await app.register(async (api) => {
    if (options.token) api.addHook('onRequest', bearerCheck(options.token));
    registerMetricsRoute(api, manager);
    registerCatalogRoutes(api);
    registerJobRoutes(api, manager);
    registerToolRoutes(api, manager.store, manager.dataDir, pipeline);
    registerExploreRoutes(api, manager.store, manager.dataDir);
  });
  app.addHook('preClose', async () => {
    await manager.stopAll();
    await pipeline?.stop();
  });
  return app;
}

/** Compares digests, so neither the token's length nor its prefix leaks through timing. */
function bearerCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected)) return;
    const { status, body } = apiError(new ForgeError('FORGE_ERR_UNAUTHORIZED', [given === undefined ? 'send Authorization: Bearer <token>' : 'the token does not match']));
    await reply.status(status).header('www-authenticate', 'Bearer').send(body);
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    jobManager: JobManager;
  }
}
