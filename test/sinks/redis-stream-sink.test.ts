import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { FLAT_COLUMNS } from '../../src/generator/reading-records.js';
import { expectedRows, resolveScenario } from '../../src/scenario/scenario.js';
import { checkRedisUrl, redisUrlProblem } from '../../src/sinks/redis/redis-options.js';
import { RedisStreamSink, type RedisStreamSinkOptions } from '../../src/sinks/redis/redis-stream-sink.js';
import { ForgeError } from '../../src/util/forge-error.js';
import { REDIS_URL, brokerGate, closedPort, redisServer, runId } from '../support/brokers.js';
import { testJob } from '../support/fixtures.js';

const status = await redisServer();
const gate = brokerGate('Redis', REDIS_URL, status);
const redis = createClient({ url: REDIS_URL });
const keys: string[] = [];

/** A fresh stream key per test; removed (with its checkpoints) after the suite. */
function streamKey(): string {
  const key = `forge-test:${runId()}`;
  keys.push(key, `${key}:forge-checkpoints`);
  return key;
}

/** Every entry of the stream as a field -> value map. */
async function entries(key: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  let from = '-';
  for (;;) {
    const page = (await redis.sendCommand(['XRANGE', key, from, '+', 'COUNT', '5000'])) as [string, string[]][];
    for (const [, fields] of page) {
      const entry: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
      out.push(entry);
    }
    if (page.length < 5000) return out;
    from = `(${page.at(-1)![0]}`;
  }
}

const sink = (options: RedisStreamSinkOptions): RedisStreamSink => new RedisStreamSink({ url: REDIS_URL, maxLen: 0, ...options });
const codeOf = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'resolved', (e: unknown) => (e instanceof ForgeError ? e.code : String(e)));

describe('Redis options', () => {
  it('checks the URL without quoting it, and shows it without its password', () => {
    expect(redisUrlProblem('redis://127.0.0.1:6379/0')).toBeUndefined();
    expect(redisUrlProblem('http://127.0.0.1:6379')).toMatch(/expected redis:\/\/, rediss:\/\//);
    expect(redisUrlProblem('redis://u:secret@127.0.0.1:6379/abc')).toMatch(/database number/);
    expect(redisUrlProblem('redis://u:secret@127.0.0.1:6379/abc')).not.toContain('secret');
    expect(checkRedisUrl('redis://u:secret@127.0.0.1:6379')).not.toContain('secret');
  });

  it('refuses bad stream keys and numbers with FORGE_ERR_INVALID_CONFIG', () => {
    for (const options of [{ stream: '' }, { stream: 'has space' }, { stream: 'x'.repeat(201) }, { maxLen: -1 }, { chunkRows: 0 }, { chunkRows: 1.5 }, { url: 'nats://x' }]) {
      expect(() => new RedisStreamSink(options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    }
  });
});

describe.skipIf(!gate.run)(`RedisStreamSink against Redis at ${REDIS_URL}${gate.note}`, () => {
  beforeAll(async () => {
    redis.on('error', () => undefined);
    await redis.connect();
  });
  afterAll(async () => {
    if (redis.isOpen) {
      if (keys.length > 0) await redis.sendCommand(['DEL', ...keys]);
      await redis.close();
    }
  });

  it.runIf(gate.required)(`is reachable at ${REDIS_URL} (required on CI)`, () => {
    expect(status.available, status.reason).toBe(true);
  });

  it('adds every reading once, as flat fields with its message id; close reports exactly the rows added', async () => {
    const job = testJob({ batchesPerDate: 3 });
    const key = streamKey();
    const s = sink({ stream: key, chunkRows: 37 });
    await s.open(job.context);
    for (const { batch, info } of job.batches) await s.write(batch, info);
    expect(await s.checkpoint(job.context.jobId)).toBe(job.batches.at(-1)!.info.sequence);
    const result = await s.close();
    expect(result.rows).toBe(job.rows);
    expect(result.outputs[0]).toContain(key);

    const found = await entries(key);
    expect(found).toHaveLength(job.rows);
    const ids = new Set(found.map((e) => e.message_id));
    expect(ids.size).toBe(job.rows);
    for (const entry of found) {
      const expected = job.expected.get(`${entry.meter_id} ${entry.reading_ts_utc}`)!;
      expect(expected, entry.meter_id).toBeDefined();
      for (const column of FLAT_COLUMNS) {
        const value = expected[column];
        expect(entry[column], column).toBe(value === null ? undefined : String(value));
      }
      expect(entry.job_id).toBe(job.context.jobId);
    }
  });

  it('the batch may be overwritten once write resolves: what Redis holds is what was written', async () => {
    const job = testJob();
    const key = streamKey();
    const s = sink({ stream: key });
    await s.open(job.context);
    for (const { batch, info } of job.batches) {
      await s.write(batch, info);
      batch.usageKwh.fill(-999);
      batch.meterIndex.fill(0);
    }
    await s.close();
    const found = await entries(key);
    expect(found.filter((e) => e.usage_kwh === '-999')).toHaveLength(0);
    expect(new Set(found.map((e) => e.message_id)).size).toBe(job.rows);
  });

  it('trims the stream to about maxLen entries, and creates the consumer group a consumer reads from', async () => {
    const job = testJob();
    const key = streamKey();
    const s = new RedisStreamSink({ url: REDIS_URL, stream: key, maxLen: 100, group: 'analytics' });
    await s.open(job.context);
    for (const { batch, info } of job.batches) await s.write(batch, info);
    await s.close();
    const length = Number(await redis.sendCommand(['XLEN', key]));
    expect(job.rows).toBeGreaterThan(300);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(job.rows);
    const read = (await redis.sendCommand(['XREADGROUP', 'GROUP', 'analytics', 'c1', 'COUNT', '5', 'STREAMS', key, '>'])) as unknown[];
    expect(JSON.stringify(read)).toContain('message_id');
  });

  it('refuses a key that is not a stream, and a second run of the same job, before writing', async () => {
    const key = streamKey();
    await redis.sendCommand(['SET', key, 'x']);
    const job = testJob();
    expect(await codeOf(sink({ stream: key }).open(job.context))).toBe('FORGE_ERR_STREAM_CONFLICT');

    const other = streamKey();
    const first = sink({ stream: other });
    await first.open(job.context);
    await first.write(job.batches[0]!.batch, job.batches[0]!.info);
    await first.close();
    expect(await codeOf(sink({ stream: other }).open(job.context))).toBe('FORGE_ERR_STREAM_CONFLICT');
    expect(Number(await redis.sendCommand(['XLEN', other]))).toBe(job.batches[0]!.batch.length);
  });

  it('misuse is FORGE_ERR_SINK_STATE, abort never throws, and an unreachable server fails open with FORGE_ERR_SINK_CONNECT', async () => {
    const job = testJob();
    const s = sink({ stream: streamKey() });
    expect(await codeOf(s.write(job.batches[0]!.batch, job.batches[0]!.info))).toBe('FORGE_ERR_SINK_STATE');
    await expect(s.abort(new Error('x'))).resolves.toBeUndefined();
    await expect(s.abort(new Error('again'))).resolves.toBeUndefined();
    expect(await codeOf(s.open(job.context))).toBe('FORGE_ERR_SINK_STATE');
    const closed = new RedisStreamSink({ url: `redis://u:secret@127.0.0.1:${await closedPort()}`, connectTimeoutMs: 2_000 });
    const error = await closed.open(job.context).then(() => null, (e: unknown) => e as ForgeError);
    expect(error?.code).toBe('FORGE_ERR_SINK_CONNECT');
    expect(error?.message).not.toContain('secret');
  });

  it('kill -9 anywhere, then resume: every reading exactly once (generated kill points)', async () => {
    const scenario = resolveScenario({ meters: 200, days: 2, start: '2026-03-07', seed: 3 });
    const expected = expectedRows(scenario);
    let killedMidway = 0;
    let killedInsideBatch = 0;
    await fc.assert(
      // Batches of 4,800 rows (4 a day) in chunks of 300 to 2,000: the time goes to the chunks' transactions, so a kill
      // lands inside a batch about as often as a batch has chunks, whatever the machine's load.
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 40 }), fc.constantFrom(300, 700, 2_000), async (afterBatches, delayMs, chunkRows) => {
        const key = streamKey();
        const jobId = `job-redis-${runId()}`;
        // The child is killed `delayMs` after it reports `afterBatches` batches: between or inside a batch's chunks.
        await killAfter(['--import', TSX, CHILD, REDIS_URL, key, jobId, '200', String(chunkRows), String(UNIT_ROWS)], afterBatches, delayMs);
        const before = Number(await redis.sendCommand(['XLEN', key]));
        if (before > 0 && before < expected) killedMidway++;
        // The job's progress (sequence:offset:total) says whether the kill cut a batch between two of its chunks.
        const [, offset, total] = String(await redis.sendCommand(['HGET', `${key}:forge-checkpoints`, jobId])).split(':');
        if (offset !== undefined && Number(offset) < Number(total)) killedInsideBatch++;

        const resumed = sink({ stream: key, chunkRows });
        await resumed.open({ scenario, fleet: buildFleet(scenario), jobId, resume: true });
        const checkpoint = (await resumed.checkpoint(jobId)) ?? -1;
        for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0, unitRows: UNIT_ROWS })) {
          if (unit.sequence > checkpoint) await resumed.write(batch, { localDate: unit.day.localDate, lastOfDate: unit.lastOfDay, sequence: unit.sequence });
          release();
        }
        const result = await resumed.close();
        const found = await entries(key);
        expect(found).toHaveLength(expected);
        expect(new Set(found.map((e) => e.message_id)).size).toBe(expected);
        expect(before + result.rows).toBe(expected);
      }),
      { seed: 4242, numRuns: 8, endOnFailure: true },
    );
    // The kills landed inside the job, not only before or after it.
    console.info(`redis kill -9: 8 runs, ${killedMidway} killed mid-job, ${killedInsideBatch} between two chunks of one batch`);
    expect(killedMidway).toBeGreaterThan(0);
    expect(killedInsideBatch).toBeGreaterThan(0);
  }, 180_000);
});

const UNIT_ROWS = 4_800;
const CHILD = fileURLToPath(new URL('../support/redis-writer-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Runs the child until it has reported `batches` batches (or ends), then kill -9 after `delayMs`. */
function killAfter(args: string[], batches: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      seen += (d.match(/^batch /gm) ?? []).length;
      if (seen >= batches && /^open$/m.test(d + (seen > 0 ? '\nopen' : ''))) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}
