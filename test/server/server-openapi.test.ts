import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SINK_NAMES } from '../../src/jobs/output-options.js';
import { MAX_METERS } from '../../src/scenario/scenario-schema.js';
import { startJob, useTestServer, waitForJob } from '../support/server-jobs.js';

/**
 * The OpenAPI document at /docs/json shows the bodies and query strings the routes' zod schemas accept (documented-route.ts),
 * and those JSON Schemas only document: the handlers' zod schemas still decide what is accepted and say what is wrong.
 */

const t = useTestServer('forge-openapi-');

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  required?: string[];
  additionalProperties?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}
interface Operation {
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  parameters?: { in: string; name: string; schema: JsonSchema }[];
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}
type Paths = Record<string, Record<string, Operation>>;

let paths: Paths;
beforeAll(async () => {
  const res = await t.server.inject({ url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  paths = res.json<{ paths: Paths }>().paths;
});

const bodyOf = (path: string): JsonSchema => paths[path]!.post!.requestBody!.content['application/json']!.schema;

describe('the OpenAPI document shows the zod schemas', () => {
  it('POST /api/jobs: the kind, the scenario with its bounds, the output with every sink, the stream rates', () => {
    const body = bodyOf('/api/jobs');
    expect(body.required).toEqual(['kind']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties!.kind).toMatchObject({ type: 'string', enum: ['batch', 'stream'] });
    const scenario = body.properties!.scenario!;
    expect(scenario.properties!.meters).toMatchObject({ type: 'integer', minimum: 1, maximum: MAX_METERS });
    expect(scenario.properties!.segment!.enum).toEqual(['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL']);
    expect(scenario.additionalProperties).toBe(false);
    const output = body.properties!.output!;
    expect(output.properties!.sink!.items!.enum).toEqual([...SINK_NAMES]);
    expect(output.properties!.append).toMatchObject({ type: 'boolean', default: false });
    expect(output.properties!.shape).toMatchObject({ enum: ['flat', 'nested'], default: 'flat' });
    const stream = body.properties!.stream!;
    expect(stream.properties!.duplicateRate).toMatchObject({ type: 'number', minimum: 0, maximum: 0.5 });
    expect(stream.properties!.batchRows).toMatchObject({ type: 'integer', minimum: 1, maximum: 1_000_000 });
  });

  it('job records as the replies of the jobs routes', () => {
    const created = paths['/api/jobs']!.post!.responses['201']!.content!['application/json']!.schema;
    expect(created.properties!.status!.enum).toEqual(['running', 'completed', 'stopped', 'failed', 'interrupted']);
    expect(created.required).toEqual(expect.arrayContaining(['jobId', 'kind', 'status', 'stats']));
    expect(paths['/api/jobs']!.get!.responses['200']!.content!['application/json']!.schema).toMatchObject({ type: 'array', items: { type: 'object' } });
    expect(paths['/api/jobs/{id}/stop']!.post!.responses['200']!.content!['application/json']!.schema.properties!.jobId).toBeDefined();
  });

  it('the tools: preview and fleet bodies with the scenario, the DDL query with its defaults', () => {
    const preview = bodyOf('/api/preview');
    expect(preview.properties!.n).toMatchObject({ type: 'integer', minimum: 1, maximum: 1_000, default: 5 });
    expect(preview.properties!.scenario!.properties!.days).toMatchObject({ minimum: 1 });
    expect(bodyOf('/api/fleet-map').properties!.scenario!.properties!.meters).toMatchObject({ maximum: MAX_METERS });
    expect(bodyOf('/api/verify').required).toEqual(['jobId']);
    const query = Object.fromEntries(paths['/api/ddl']!.get!.parameters!.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
    expect(query.target).toMatchObject({ enum: ['snowflake', 'postgres', 'duckdb'], default: 'snowflake' });
    expect(query.schema).toMatchObject({ type: 'string', default: 'AMI' });
    expect(query.targetLag).toMatchObject({ default: '10 minutes' });
  });
});

describe('the documented schemas do not validate: zod does', () => {
  it('accepts a job body the JSON Schema would refuse (a mix as text, a sink list as text) and runs it', async () => {
    const out = join(t.dir, 'mix-as-text.duckdb');
    const record = await startJob(t.server, { kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01', mix: '80/15/5' }, output: { sink: 'duckdb', out } });
    expect(record.scenario.mix).toEqual({ RESIDENTIAL: 0.8, COMMERCIAL: 0.15, INDUSTRIAL: 0.05 });
    expect(record.output.sink).toEqual(['duckdb']);
    expect((await waitForJob(t.server, record.jobId)).status).toBe('completed');
  });

  it('refuses a bad body with the zod message naming the field, not a JSON Schema text', async () => {
    const kind = await t.server.inject({ method: 'POST', url: '/api/jobs', payload: { kind: 'shell' } });
    expect(kind.statusCode).toBe(400);
    expect(kind.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: 'Invalid configuration: kind: Invalid option: expected one of "batch"|"stream"' });
    // A number as text is not coerced on the way in (zod's preview schema takes numbers only).
    const n = await t.server.inject({ method: 'POST', url: '/api/preview', payload: { n: '3' } });
    expect(n.statusCode).toBe(400);
    expect(n.json<{ message: string }>().message).toMatch(/^Invalid configuration: n: Invalid input: expected number, received string$/);
  });

  it('reports a query key the document does not list, instead of dropping it', async () => {
    const res = await t.server.inject({ url: '/api/ddl?target=duckdb&owner=x' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: 'Invalid configuration: unknown key "owner"' });
  });
});
