import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planJobRequest } from '../../src/server/job-request-plan.js';
import { ForgeError } from '../../src/util/forge-error.js';

const dataDir = mkdtempSync(join(tmpdir(), 'forge-plan-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const batch = (body: Record<string, unknown> = {}): Record<string, unknown> => ({ kind: 'batch', scenario: { meters: 2, days: 1, start: '2026-06-01' }, ...body });

async function refusal(body: unknown): Promise<ForgeError> {
  try {
    await planJobRequest(body, dataDir);
  } catch (e) {
    return e as ForgeError;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('planJobRequest (a POST /api/jobs body -> the job\'s first record)', () => {
  it('plans a batch job with its output defaults inside the data directory, writing nothing', async () => {
    const record = await planJobRequest(batch(), dataDir);
    expect(record).toMatchObject({ kind: 'batch', status: 'running', scenario: { meters: 2, days: 1, start: '2026-06-01' }, stream: null });
    expect(record.output).toMatchObject({ sink: ['duckdb'], out: join(dataDir, 'forge.duckdb') });
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('plans a stream job with its window, speed and emission rates', async () => {
    const record = await planJobRequest({ kind: 'stream', scenario: { meters: 2 }, output: { out: 'live.duckdb' }, stream: { from: '2026-06-01T00:00:00Z', duration: '1h', speed: 'max', duplicateRate: '0.01' } }, dataDir);
    expect(record.kind).toBe('stream');
    expect(record.stream).toMatchObject({ fromUtc: '2026-06-01T00:00:00.000Z', toUtc: '2026-06-01T01:00:00.000Z', speed: null });
    expect(record.emission).toMatchObject({ duplicateRate: 0.01 });
    expect(record.output.out).toBe(join(dataDir, 'live.duckdb'));
  });

  it.each([
    ['a body that is not an object', [batch()], /^Invalid configuration: \(input\): /],
    ['an unknown top-level key', { ...batch(), admin: true }, /unknown key "admin"/],
    ['a bad scenario field, named under scenario', batch({ scenario: { meters: 0 } }), /scenario\.meters: /],
    ['an unknown scenario key', batch({ scenario: { meterz: 2 } }), /scenario: unknown key "meterz"/],
    ['a bad output field, named under output', batch({ output: { batchSize: 1 } }), /output\.batchSize: /],
    ['a path outside the data directory', batch({ output: { out: '/etc/x.duckdb' } }), /output\.out: .* is outside the server's data directory/],
    ['stream settings on a batch job', batch({ stream: { speed: 'max' } }), /stream: applies to stream jobs only/],
    ['a shard without an explicit start', { kind: 'batch', scenario: { meters: 4, shard: '0/2' } }, /scenario\.start: a sharded job needs an explicit start/],
    ['a sink that cannot take a stream', { kind: 'stream', scenario: { meters: 2 }, output: { sink: ['parquet'] } }, /output\.sink: parquet cannot take a stream/],
    ['a stream batch size out of range', { kind: 'stream', scenario: { meters: 2 }, stream: { batchRows: 0 } }, /stream\.batchRows/],
  ])('refuses %s with FORGE_ERR_INVALID_CONFIG naming the field', async (_what, body, message) => {
    const error = await refusal(body);
    expect(error).toBeInstanceOf(ForgeError);
    expect(error.code).toBe('FORGE_ERR_INVALID_CONFIG');
    expect(error.message).toMatch(message);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
