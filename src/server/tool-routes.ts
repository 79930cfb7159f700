import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseDdlOptions } from '../ddl/ddl-options.js';
import { relationalDdl } from '../ddl/relational-ddl.js';
import { snowflakeDdl } from '../ddl/snowflake-ddl.js';
import { DDL_TARGETS } from '../ddl/sql-identifier.js';
import { SHAPES } from '../generator/reading-records.js';
import type { JobStore } from '../jobs/job-store.js';
import { openPipelineReadOnly, pipelineStatus } from '../pipeline/pipeline-status.js';
import { resolveScenario, scenarioToInput } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { validateOutput } from '../validate/validation-checks.js';
import { jobVerifyPlan } from '../verify/job-verify-plan.js';
import { verifySink } from '../verify/verify-sink.js';
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
 * What the Generate, Validate and pipeline views ask besides jobs: sample records, fleet metrics, validation checks
 * and verification of a sink, the pipeline's status, and the DDL of a target. Each calls the library function the
 * CLI calls, with the same schemas.
 */
export function registerToolRoutes(app: FastifyInstance, store: JobStore, dataDir: string, pipeline?: ServerPipeline): void {
  const tools = new ScenarioToolsThread();
  app.addHook('onClose', () => tools.close());
  // Each body is checked here (a bad one is a 400 at once); the work runs on the tools' thread.
  app.post('/api/preview', { schema: { summary: 'Sample readings of a scenario (flat or nested)', tags: ['tools'] } }, async (request) => {
    const body = parse(previewBody, request.body);
    return tools.ask({ tool: 'preview', scenario: scenarioToInput(resolveScenario(body.scenario)), n: body.n, shape: body.shape });
  });

  app.post('/api/fleet-metrics', { schema: { summary: 'What a fleet sends: readings and events a minute, rows an hour, MB an hour, GB a day', tags: ['tools'] } }, async (request) =>
    tools.ask({ tool: 'metrics', scenario: scenarioToInput(resolveScenario(parse(scenarioBody, request.body).scenario)) }),
  );

  app.post('/api/fleet-map', { schema: { summary: "The fleet's meters on the map (an even sample of at most 10,000), by segment and by outage in the scenario's range", tags: ['tools'] } }, async (request) =>
    tools.ask({ tool: 'map', scenario: scenarioToInput(resolveScenario(parse(scenarioBody, request.body).scenario)) }),
  );

  app.post('/api/validate', { schema: { summary: 'Quality checks of a DuckDB output', tags: ['tools'] } }, async (request) =>
    validateOutput(confinedReadPath(parse(pathBody, request.body).out, 'out', dataDir)),
  );

  app.post('/api/verify', { schema: { summary: 'Verify a recorded job against its sinks (and a pipeline)', tags: ['tools'] } }, async (request) => {
    const parsed = parse(verifyBody, request.body);
    const body = { ...parsed, ...(parsed.pipeline !== undefined ? { pipeline: confinedReadPath(parsed.pipeline, 'pipeline', dataDir) } : {}) };
    const plan = jobVerifyPlan(await store.load(body.jobId), { otherTargets: body.pipeline !== undefined });
    const targets = body.pipeline ? [...plan.targets, { kind: 'pipeline' as const, path: body.pipeline }] : plan.targets;
    const reports = [];
    for (const target of targets) reports.push(await verifySink({ scenario: plan.scenario, fromUtcMs: plan.fromUtcMs, toUtcMs: plan.toUtcMs, target }));
    return { ok: reports.every((r) => r.ok), reports };
  });

  app.get('/api/pipeline/status', { schema: { summary: 'Files, rows per layer and lag of the server\'s pipeline, or of a pipeline database (?out=)', tags: ['tools'] } }, async (request) => {
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

  app.get('/api/ddl', { schema: { summary: 'The medallion model\'s SQL for snowflake, postgres or duckdb', tags: ['tools'] } }, async (request, reply) => {
    const { target, ...names } = parse(ddlQuery, request.query);
    const options = parseDdlOptions(Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)));
    return reply.type('text/plain; charset=utf-8').send(target === 'snowflake' ? snowflakeDdl(options) : relationalDdl(target, options));
  });
}
