import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server-jobs.js';

/**
 * Bad API bodies, query strings and oversized requests (DESIGN.md invariant 5): each is answered 4xx with
 * `{ code, message }` (the field named, no stack trace), and nothing is written: no job record, no output file.
 * test/server/server-jobs.test.ts has a first few job bodies; this is the table over every route that takes input.
 */

const t = useTestServer('forge-bad-api-');
const { dir, stateDir } = t;
const out = join(dir, 'out.duckdb');


const job = (body: Record<string, unknown>): Record<string, unknown> => ({ kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01' }, output: { sink: ['duckdb'], out }, ...body });
const stream = (settings: Record<string, unknown>, output: Record<string, unknown> = { sink: ['duckdb'], out }): Record<string, unknown> => ({
  kind: 'stream', scenario: { meters: 2 }, output, stream: { from: '2026-06-01T00:00:00Z', duration: '1h', speed: 'max', ...settings },
});

type Case = [what: string, method: 'POST' | 'GET', url: string, body: unknown, status: number, message: RegExp];

const cases: Case[] = [
  // Wrong types, negatives, zero, huge values, unknown keys.
  ['meters as text', 'POST', '/api/jobs', job({ scenario: { meters: 'many' } }), 400, /scenario\.meters/],
  ['negative meters', 'POST', '/api/jobs', job({ scenario: { meters: -1 } }), 400, /scenario\.meters/],
  ['zero days', 'POST', '/api/jobs', job({ scenario: { meters: 2, days: 0 } }), 400, /scenario\.days/],
  ['huge meters', 'POST', '/api/jobs', job({ scenario: { meters: 1e15 } }), 400, /scenario\.meters/],
  ['meters as an object', 'POST', '/api/jobs', job({ scenario: { meters: { $gt: 1 } } }), 400, /scenario\.meters/],
  ['a seed past 32 bits', 'POST', '/api/jobs', job({ scenario: { meters: 2, seed: 2 ** 40 } }), 400, /scenario\.seed/],
  ['an unknown scenario key', 'POST', '/api/jobs', job({ scenario: { meters: 2, meterz: 3 } }), 400, /scenario: unknown key "meterz"/],
  ['an unknown output key', 'POST', '/api/jobs', job({ output: { sink: ['duckdb'], out, truncate: true } }), 400, /output: unknown key "truncate"/],
  ['an unknown top-level key', 'POST', '/api/jobs', { ...job({}), admin: true }, 400, /unknown key "admin"/],
  ['__proto__ in the scenario', 'POST', '/api/jobs', '{"kind":"batch","scenario":{"__proto__":{"meters":5}}}', 400, /__proto__|Invalid configuration/],
  ['a kind that does not exist', 'POST', '/api/jobs', job({ kind: 'shell' }), 400, /kind/],
  ['a body that is an array', 'POST', '/api/jobs', [job({})], 400, /Invalid configuration/],
  ['a body that is a string', 'POST', '/api/jobs', '"batch"', 400, /Invalid configuration/],
  ['workers below zero', 'POST', '/api/jobs', job({ output: { sink: ['duckdb'], out, workers: -1 } }), 400, /output\.workers/],
  ['a zero batch size', 'POST', '/api/jobs', job({ output: { sink: ['duckdb'], out, batchSize: 0 } }), 400, /output\.batchSize/],
  ['a sink twice', 'POST', '/api/jobs', job({ output: { sink: ['duckdb', 'duckdb'], out } }), 400, /output\.sink: a sink is listed twice/],
  ['an unknown sink', 'POST', '/api/jobs', job({ output: { sink: ['kafka'] } }), 400, /output\.sink/],
  ['zero speed', 'POST', '/api/jobs', stream({ speed: 0 }), 400, /speed/],
  ['negative duration', 'POST', '/api/jobs', stream({ duration: '-1h' }), 400, /duration/],
  ['huge batch rows', 'POST', '/api/jobs', stream({ batchRows: 1e9 }), 400, /batchRows/],
  ['a rate over 1', 'POST', '/api/jobs', stream({ duplicateRate: 5 }), 400, /duplicateRate/],
  ['a stream key on a batch job', 'POST', '/api/jobs', job({ stream: { speed: 'max' } }), 400, /stream: applies to stream jobs only/],
  // Malformed JSON.
  ['truncated JSON', 'POST', '/api/jobs', '{"kind":"batch","scenario":{', 400, /Invalid configuration/],
  ['JSON with a trailing comma', 'POST', '/api/jobs', '{"kind":"batch",}', 400, /Invalid configuration/],
  // Bad dates and time zones.
  ['a start not on the calendar', 'POST', '/api/jobs', job({ scenario: { meters: 2, days: 1, start: '2026-02-30' } }), 400, /scenario\.start/],
  ['a start with a time', 'POST', '/api/jobs', job({ scenario: { meters: 2, days: 1, start: '2026-06-01T00:00:00Z' } }), 400, /scenario\.start/],
  ['a stream from a date not on the calendar', 'POST', '/api/jobs', stream({ from: '2026-02-30T00:00:00Z' }), 400, /from "2026-02-30T00:00:00Z" is not a calendar date/],
  ['a stream from a time without a zone', 'POST', '/api/jobs', stream({ from: '2026-06-01T00:00:00' }), 400, /has no time zone/],
  ['a stream from an impossible offset', 'POST', '/api/jobs', stream({ from: '2026-06-01T00:00:00+25:00' }), 400, /from/],
  ['an unknown area (time zone)', 'POST', '/api/jobs', job({ scenario: { meters: 2, area: 'Europe/Atlantis' } }), 400, /scenario\.area/],
  // Identifiers with quotes, semicolons and SQL.
  ['a pg table with SQL', 'POST', '/api/jobs', job({ output: { sink: ['postgres'], pgTable: 'x; DROP TABLE y' } }), 400, /output\.pgTable: Invalid identifier/],
  ['a pg table with a quote', 'POST', '/api/jobs', job({ output: { sink: ['postgres'], pgTable: 'a"b' } }), 400, /output\.pgTable: Invalid identifier/],
  ['a pg schema with a comment', 'POST', '/api/jobs', job({ output: { sink: ['postgres'], pgTable: "s--.t" } }), 400, /output\.pgTable/],
  ['a snowflake schema with SQL', 'POST', '/api/jobs', job({ output: { sink: ['snowflake'], snowflakeSchema: 'AMI"; DROP SCHEMA X; --' } }), 400, /output\.snowflakeSchema/],
  ['a meter id prefix with SQL', 'POST', '/api/jobs', job({ scenario: { meters: 2, idPrefix: "M';--" } }), 400, /scenario\.idPrefix/],
  ['a DDL schema with a semicolon', 'GET', '/api/ddl?target=postgres&schema=ami%3B%20DROP%20TABLE%20x', undefined, 400, /schema/],
  ['a DDL database with a quote', 'GET', '/api/ddl?database=A%22B', undefined, 400, /database/],
  ['a DDL target lag with SQL', 'GET', `/api/ddl?targetLag=${encodeURIComponent("1 minute'; DROP TABLE X;--")}`, undefined, 400, /targetLag/],
  ['an unknown DDL parameter', 'GET', '/api/ddl?owner=x', undefined, 400, /unknown key "owner"/],
  // Path traversal in stage prefixes (output paths: test/security/api-path-confinement.test.ts).
  ['an s3 stage prefix with ..', 'POST', '/api/jobs', stream({}, { sink: ['stage'], stage: 's3://bucket-a/../etc' }), 400, /output\.stage/],
  ['an s3 stage bucket with ..', 'POST', '/api/jobs', stream({}, { sink: ['stage'], stage: 's3://a..b/x' }), 400, /output\.stage/],
  ['a stage of another scheme', 'POST', '/api/jobs', stream({}, { sink: ['stage'], stage: 'ftp://host/x' }), 400, /output\.stage/],
  ['a job id with ..', 'GET', '/api/jobs/..%2F..%2Fetc%2Fpasswd', undefined, 400, /job id/],
  ['a job id to stop with ..', 'POST', '/api/jobs/..%2Fx/stop', undefined, 400, /job id/],
  ['verify of a job id with ..', 'POST', '/api/verify', { jobId: '../../etc/passwd' }, 400, /job id/],
  // Other routes.
  ['preview of a negative n', 'POST', '/api/preview', { n: -1 }, 400, /n/],
  ['preview of a huge n', 'POST', '/api/preview', { n: 1e9 }, 400, /n/],
  ['preview of an unknown shape', 'POST', '/api/preview', { shape: 'square' }, 400, /shape/],
  ['fleet metrics of zero meters', 'POST', '/api/fleet-metrics', { scenario: { meters: 0 } }, 400, /meters/],
  ['validate with an empty path', 'POST', '/api/validate', { out: '' }, 400, /out/],
  ['validate with a path that is a number', 'POST', '/api/validate', { out: 5 }, 400, /out/],
  ['verify with an unknown key', 'POST', '/api/verify', { jobId: 'job-x', sql: 'drop' }, 400, /unknown key "sql"/],
];

const records = (): string[] => (existsSync(stateDir) ? readdirSync(stateDir).filter((n) => n.endsWith('.json')) : []);

describe('bad API input: 4xx { code, message } naming the field, no stack trace, nothing written', () => {
  it.each(cases)('%s', async (_what, method, url, body, status, message) => {
    const res = await t.server.inject({
      method,
      url,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    expect(res.statusCode, res.body).toBe(status);
    const answer = res.json<Record<string, unknown>>();
    expect(Object.keys(answer).sort()).toEqual(['code', 'message']);
    expect(answer.code).toMatch(/^FORGE_ERR_(INVALID_CONFIG|INVALID_IDENTIFIER|UNKNOWN_SINK)$/);
    expect(answer.message).toMatch(message);
    expect(res.body).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
    expect(records()).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('answers a body over 1 MiB 413 with a JSON error, before parsing it', async () => {
    const padding = 'x'.repeat(1_100_000);
    const res = await t.server.inject({ method: 'POST', url: '/api/jobs', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...job({}), padding }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/too large/i) });
    expect(records()).toEqual([]);
    const preview = await t.server.inject({ method: 'POST', url: '/api/preview', headers: { 'content-type': 'application/json' }, payload: `{"n":1,"p":"${padding}"}` });
    expect(preview.statusCode).toBe(413);
  });

  it('answers a body that is not JSON 415 or 400 with a JSON error', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/jobs', headers: { 'content-type': 'application/x-yaml' }, payload: 'kind: batch\n' });
    expect([400, 415]).toContain(res.statusCode);
    expect(res.json()).toMatchObject({ code: expect.stringMatching(/^FORGE_ERR_/), message: expect.any(String) });
    expect(records()).toEqual([]);
  });
});
