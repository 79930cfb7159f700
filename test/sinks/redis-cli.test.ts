import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';
import { jobRecords, killAfter, settledStatus, startForge, waitFor } from '../support/faults.js';
import { REDIS_URL, brokerGate, redisServer, runId } from '../support/brokers.js';

/**
 * The Redis Streams sink as a user runs it: added through the registry only (its plugin), so `--sink redis` and its
 * flags, a dual write with DuckDB, bad input and a killed, resumed stream all work with no line elsewhere.
 */
const gate = brokerGate('Redis', REDIS_URL, await redisServer());

describe.skipIf(!gate.run)(`forge with --sink redis${gate.note}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'forge-redis-cli-'));
  const client = createClient({ url: REDIS_URL });
  const streams: string[] = [];
  const fresh = (): string => {
    const key = `forge-cli:${runId()}`;
    streams.push(key);
    return key;
  };
  const xlen = async (key: string): Promise<number> => Number(await client.sendCommand(['XLEN', key]));

  beforeAll(async () => {
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    for (const key of streams) await client.sendCommand(['DEL', key, `${key}:forge-checkpoints`]);
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a batch into a stream and DuckDB at once: every reading in each, the consumer group made', async () => {
    const stream = fresh();
    const run = runForge(
      ['generate', '--meters', '6', '--days', '2', '--start', '2026-03-01', '--sink', 'duckdb,redis', '--out', join(dir, 'dual.duckdb'), '--redis-url', REDIS_URL, '--redis-stream', stream, '--redis-maxlen', '0', '--redis-group', 'models', '--json'],
      dir,
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { rows: number; sinks: { sink: string; rows: number }[] };
    expect(summary.rows).toBe(6 * 2 * 96);
    expect(summary.sinks.map((s) => [s.sink, s.rows])).toEqual([['duckdb', summary.rows], ['redis', summary.rows]]);
    expect(await xlen(stream)).toBe(summary.rows);
    const groups = (await client.sendCommand(['XINFO', 'GROUPS', stream])) as unknown[][];
    expect(JSON.stringify(groups)).toContain('models');
  });

  it('refuses a bad stream key or URL before anything runs, naming the flag; and redis settings without the sink', () => {
    const bad = runForge(['generate', '--meters', '2', '--days', '1', '--sink', 'redis', '--redis-stream', 'has space'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/redisStream: expected 1 to 200 printable characters/);
    const url = runForge(['generate', '--meters', '2', '--days', '1', '--sink', 'redis', '--redis-url', 'http://cache:6379'], dir);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/redisUrl: /);
    const alone = runForge(['generate', '--meters', '2', '--days', '1', '--redis-stream', 'x'], dir);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/redisStream: --redis-stream applies to the redis sink only; add redis to --sink/);
  });

  it('a stream killed with SIGKILL mid-way and resumed holds every reading once', { timeout: 240_000 }, async () => {
    const stream = fresh();
    const state = join(dir, 'jobs-kill');
    const meters = 200;
    const expected = meters * 48; // 12 hours at 15 minutes, every meter reporting once (UNIFORM: no duplicates sent)
    const first = startForge(
      ['stream', '--meters', String(meters), '--seed', '5', '--from', '2026-03-01T00:00:00Z', '--duration', '12h', '--speed', '5400', '--emission-pattern', 'UNIFORM',
        '--batch-rows', '1000', '--sink', 'redis', '--redis-url', REDIS_URL, '--redis-stream', stream, '--redis-maxlen', '0', '--state-dir', state],
      dir,
    );
    const inFlight = waitFor(async () => (await jobRecords(state)).find((r) => (r.stats.checkpoint ?? -1) >= 0 && r.stats.delivered > 0));
    // 12 hours at 5,400x take 8 s: 300 ms after the first checkpoint the job is well inside its window.
    expect(await killAfter(first, inFlight, 300)).toBe(true);
    const [record] = await jobRecords(state);
    expect(await settledStatus(state, record!.jobId)).toBe('interrupted');
    expect(await xlen(stream)).toBeLessThan(expected);
    if (record!.status !== 'completed') {
      const resumed = runForge(['stream', '--resume', record!.jobId, '--state-dir', state, '--json'], dir);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    expect(await xlen(stream)).toBe(expected);
    const entries = (await client.sendCommand(['XRANGE', stream, '-', '+'])) as [string, string[]][];
    const ids = new Set(entries.map(([, fields]) => fields[fields.indexOf('message_id') + 1]));
    expect(ids.size).toBe(expected);
  });
});
