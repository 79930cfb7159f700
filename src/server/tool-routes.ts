import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ddlOptionsSchema, parseDdlOptions } from '../ddl/ddl-options.js';
import { relationalDdl } from '../ddl/relational-ddl.js';
import { snowflakeDdl } from '../ddl/snowflake-ddl.js';
import { DDL_TARGETS } from '../ddl/sql-identifier.js';
import { SHAPES } from '../generator/reading-records.js';
import type { JobStore } from '../jobs/job-store.js';
import { openPipelineReadOnly, pipelineStatus } from '../pipeline/pipeline-status.js';
import { resolveScenario, scenarioToInput } from '../scenario/scenario.js';
import { withServerFleetFile } from './fleet-file-request.js';
import { scenarioInputSchema } from '../scenario/scenario-schema.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { validateOutput } from '../validate/validation-checks.js';
import { jobVerifyPlan } from '../verify/job-verify-plan.js';
import { verifySink } from '../verify/verify-sink.js';
import { documentedRoute } from './documented-route.js';
import { confinedReadPath } from './output-policy.js';
import { ScenarioToolsThread } from './scenario-tools-thread.js';
import type { ServerPipeline } from './server-pipeline.js';

const parse = <T>(schema: z.ZodType<T>, input: unknown): T => {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data;
};

const previewBody = z.strictObject({
  scenario: z.record(z.string(), z.unknown()).default({}),
  n: z.int().min(1).max(1_000).default(5),
  shape: z.enum(SHAPES).default('flat'),
});
const scenarioBody = z.strictObject({ scenario: z.record(z.string(), z.unknown()).default({}) });
const pathBody = z.strictObject({ out: z.string().min(1) });
const verifyBody = z.strictObject({ jobId: z.string().min(1), pipeline: z.string().min(1).optional() });
const ddlQuery = z.strictObject({
  target: z.enum(DDL_TARGETS).default('snowflake'),
  database: z.string().optional(),
  schema: z.string().optional(),
  warehouse: z.string().optional(),
  stageUrl: z.string().optional(),
  integration: z.string().optional(),
  targetLag: z.string().optional(),
});
const statusQuery = z.strictObject({ out: z.string().min(1).optional() });

/**
 * For the OpenAPI document: a body's `scenario` as resolveScenario checks it, and the DDL's names as parseDdlOptions
 * checks them (with their defaults). Requests are validated by the schemas above, then by those.
 */
const withScenario = <S extends z.ZodObject>(body: S) => body.extend({ scenario: scenarioInputSchema.optional() });
const { database, schema, warehouse, stageUrl, integration, targetLag } = ddlOptionsSchema.shape;
const documentedDdlQuery = ddlQuery.extend({ database, schema, warehouse, stageUrl, integration, targetLag });

/**
 * What the Generate, Validate and pipeline views ask besides jobs: sample records, fleet metrics, validation checks
 * and verification of a sink, the pipeline's status, and the DDL of a target. Each calls the library function the
 * CLI calls, with the same schemas.
 */
export function registerToolRoutes(app: FastifyInstance, store: JobStore, dataDir: string, pipeline?: ServerPipeline): void {
  const tools = new ScenarioToolsThread();
  app.addHook('onClose', () => tools.close());
  // Each body is checked here (a bad one is a 400 at once); the work runs on the tools' thread.
  app.post('/api/preview', documentedRoute({ summary: 'Sample readings of a scenario (flat or nested)', tags: ['tools'], body: withScenario(previewBody) }), async (request) => {
    const body = parse(previewBody, request.body);
    return tools.ask({ tool: 'preview', scenario: scenarioToInput(resolveScenario(await withServerFleetFile(body.scenario, dataDir))), n: body.n, shape: body.shape });
  });

  app.post('/api/fleet-metrics', documentedRoute({ summary: 'What a fleet sends: readings and events a minute, rows an hour, MB an hour, GB a day', tags: ['tools'], body: withScenario(scenarioBody) }), async (request) =>
    tools.ask({ tool: 'metrics', scenario: scenarioToInput(resolveScenario(await withServerFleetFile(parse(scenarioBody, request.body).scenario, dataDir))) }),
  );

  app.post('/api/fleet-map', documentedRoute({ summary: "The fleet's meters on the map (an even sample of at most 10,000), by segment and by outage in the scenario's range", tags: ['tools'], body: withScenario(scenarioBody) }), async (request) =>
    tools.ask({ tool: 'map', scenario: scenarioToInput(resolveScenario(await withServerFleetFile(parse(scenarioBody, request.body).scenario, dataDir))) }),
  );

  app.post('/api/validate', documentedRoute({ summary: 'Quality checks of a DuckDB output', tags: ['tools'], body: pathBody }), async (request) =>
    validateOutput(confinedReadPath(parse(pathBody, request.body).out, 'out', dataDir)),
  );

  app.post('/api/verify', documentedRoute({ summary: 'Verify a recorded job against its sinks (and a pipeline)', tags: ['tools'], body: verifyBody }), async (request) => {
    const parsed = parse(verifyBody, request.body);
    const body = { ...parsed, ...(parsed.pipeline !== undefined ? { pipeline: confinedReadPath(parsed.pipeline, 'pipeline', dataDir) } : {}) };
    const plan = jobVerifyPlan(await store.load(body.jobId), { otherTargets: body.pipeline !== undefined });
    const targets = body.pipeline ? [...plan.targets, { kind: 'pipeline' as const, path: body.pipeline }] : plan.targets;
    const reports = [];
    for (const target of targets) reports.push(await verifySink({ scenario: plan.scenario, fromUtcMs: plan.fromUtcMs, toUtcMs: plan.toUtcMs, target }));
    return { ok: reports.every((r) => r.ok), reports };
  });

  app.get('/api/pipeline/status', documentedRoute({ summary: 'Files, rows per layer and lag of the server\'s pipeline, or of a pipeline database (?out=)', tags: ['tools'], querystring: statusQuery }), async (request) => {
    const query = parse(statusQuery, request.query);
    // The server's own pipeline database may lie anywhere (the operator chose it); any other is confined.
    const out = query.out === undefined || (pipeline && resolve(query.out) === pipeline.out) ? undefined : confinedReadPath(query.out, 'out', dataDir);
    if (out === undefined) {
      if (!pipeline) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', ['no pipeline runs in this server (forge serve --stage); give ?out=<pipeline database>']);
      return pipeline.status();
    }
    const warehouse = await openPipelineReadOnly(out);
    try {
      return await pipelineStatus(warehouse, null);
    } finally {
      warehouse.close();
    }
  });

  app.get('/api/ddl', documentedRoute({ summary: 'The medallion model\'s SQL for snowflake, postgres or duckdb', tags: ['tools'], querystring: documentedDdlQuery }), async (request, reply) => {
    const { target, ...names } = parse(ddlQuery, request.query);
    const options = parseDdlOptions(Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)));
    return reply.type('text/plain; charset=utf-8').send(target === 'snowflake' ? snowflakeDdl(options) : relationalDdl(target, options));
  });
}
