import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlatReading } from '../../src/generator/reading-records.js';
import { JobStore, type JobRecord } from '../../src/jobs/job-store.js';
import { duckReadings, readEvents, startJob, useTestServer, waitForJob } from '../support/server-jobs.js';
import { JobManager, type RecentReadingsView } from '../../src/server/job-manager.js';

const t = useTestServer('forge-server-worker-');
const { dir, stateDir } = t;
let base: string;

beforeAll(async () => {
  base = await t.server.listen({ host: '127.0.0.1', port: 0 });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('jobs run in worker threads', () => {
  it('a --speed max stream runs in its own thread: /health answers and the event loop stays mostly idle while rows are delivered', async () => {
    const out = join(dir, 'max.duckdb');
    const { jobId } = await startJob(t.server, {
      kind: 'stream',
      scenario: { meters: 2000 },
      output: { sink: ['duckdb'], out },
      stream: { from: '2026-02-01T00:00:00Z', duration: '30d', speed: 'max' },
    });
    const first = (await waitForJob(t.server, jobId, (r) => r.stats.delivered > 0)).stats.delivered;
    expect(first).toBeGreaterThan(0);

    // While the job delivers, the API answers every call; the main thread's event loop is idle most of the time
    // (utilization is a share of time, not a duration: about 1 if generation and encoding ran on this thread).
    const elu = performance.eventLoopUtilization();
    let answered = 0;
    let delivered = first;
    for (let i = 0; i < 200 && delivered < first * 2 + 1; i++) {
      const health = await t.server.inject({ url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'ok', runningJobs: 1 });
      answered += 1;
      delivered = (await t.server.inject({ url: `/api/jobs/${jobId}` })).json<JobRecord>().stats.delivered;
      await sleep(50);
    }
    const utilization = performance.eventLoopUtilization(elu).utilization;
    expect(delivered).toBeGreaterThan(first);
    expect(answered).toBeGreaterThan(1);
    expect(utilization).toBeLessThan(0.5);

    // The thread that reports the job's stats is a worker, not this one.
    const recent = (await t.server.inject({ url: `/api/jobs/${jobId}/recent` })).json<RecentReadingsView>();
    expect(recent.status).toBe('running');
    expect(recent.threadId).not.toBeNull();
    expect(recent.threadId).not.toBe(threadId);

    const stop = await t.server.inject({ method: 'POST', url: `/api/jobs/${jobId}/stop` });
    expect(stop.statusCode).toBe(200);
    const record = stop.json<JobRecord>();
    expect(record.status).toBe('stopped');
    expect(record.stats.sinks[0]!.committed).toBe(record.stats.delivered);
    expect((await duckReadings(out)).rows).toBe(record.stats.delivered);
    expect((await t.server.inject({ url: '/health' })).json()).toMatchObject({ runningJobs: 0 });
  });

  it('a running job shows its last readings as flat records (GET /recent and SSE), never written to its record', async () => {
    const out = join(dir, 'recent.duckdb');
    const { jobId } = await startJob(t.server, {
      kind: 'stream',
      scenario: { meters: 30 },
      output: { sink: ['duckdb'], out },
      stream: { from: '2026-02-01T00:00:00Z', duration: '6h', speed: 1800 },
    });
    const eventsDone = readEvents(`${base}/api/jobs/${jobId}/events`);
    let view: RecentReadingsView | undefined;
    for (let i = 0; i < 300; i++) {
      view = (await t.server.inject({ url: `/api/jobs/${jobId}/recent` })).json<RecentReadingsView>();
      if (view.readings.length > 0 || view.status !== 'running') break;
      await sleep(100);
    }
    expect(view!.status).toBe('running');
    expect(view!.readings.length).toBeGreaterThan(0);
    expect(view!.readings.length).toBeLessThanOrEqual(20);
    const preview = (await t.server.inject({ method: 'POST', url: '/api/preview', payload: { scenario: { meters: 1 }, n: 1 } })).json<{ records: FlatReading[] }>();
    for (const reading of view!.readings) {
      expect(Object.keys(reading)).toEqual(Object.keys(preview.records[0]!));
      expect(reading.meter_id).toMatch(/^MTR-/);
      expect(reading.service_area).toBe(preview.records[0]!.service_area);
      expect(Date.parse(reading.reading_ts_utc)).toBeGreaterThanOrEqual(Date.parse('2026-02-01T00:00:00Z'));
      expect(Date.parse(reading.reading_ts_utc)).toBeLessThan(Date.parse('2026-02-01T06:00:00Z'));
    }
    // Nothing of the sample in the record on disk, nor in the API's record.
    const onDisk = JSON.parse(readFileSync(join(stateDir, `${jobId}.json`), 'utf8')) as JobRecord;
    expect(onDisk.stats.delivered).toBeGreaterThan(0);
    expect(Object.keys(onDisk)).not.toContain('recent');
    expect(Object.keys(onDisk.stats)).not.toContain('recent');
    expect(JSON.stringify(onDisk)).not.toContain('meter_id');
    expect((await t.server.inject({ url: `/api/jobs/${jobId}` })).body).not.toMatch(/meter_id/);

    const events = await eventsDone;
    expect(events.at(-1)!.event).toBe('end');
    const recentEvents = events.filter((e) => e.event === 'recent').map((e) => e.data as { readings: FlatReading[] });
    expect(recentEvents.length).toBeGreaterThan(0);
    expect(recentEvents[0]!.readings.length).toBeGreaterThan(0);
    expect(recentEvents[0]!.readings[0]).toHaveProperty('usage_kwh');
    // Stats events stay the job's stats.
    expect(events.find((e) => e.event === 'stats')!.data).toHaveProperty('delivered');

    const ended = (await t.server.inject({ url: `/api/jobs/${jobId}/recent` })).json<RecentReadingsView>();
    expect(ended).toEqual({ jobId, status: 'completed', threadId: null, readings: [] });
    expect((await duckReadings(out)).rows).toBe(30 * 24);
    expect((await t.server.inject({ url: '/api/jobs/job-nope/recent' })).statusCode).toBe(404);
  });

  it('a job that cannot reach its sink fails with a clear message, and the server keeps answering', async () => {
    // A real failure path: Postgres on a closed port (the sink gives up after its connect timeout and retries).
    const { jobId } = await startJob(t.server, { kind: 'batch', scenario: { meters: 1, days: 1 }, output: { sink: ['postgres'], pgUrl: 'postgres://forge:secret@127.0.0.1:1/none' } });
    const record = await waitForJob(t.server, jobId, (r) => r.status !== 'running');
    expect(record.status).toBe('failed');
    expect(record.errors.join(' ')).toMatch(/ECONNREFUSED|connect/i);
    expect(JSON.stringify(record)).not.toContain('secret');
    expect(record.errors.join(' ')).not.toMatch(/\n\s+at /);
    expect((await t.server.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('a worker that dies', () => {
  it('leaves its job failed (never running) with the reason, and the server runs on', async () => {
    const store = new JobStore(join(dir, 'crash-jobs'));
    // Each job worker gets a small heap: a fleet of a million meters does not fit, so the worker dies out of memory
    // (ERR_WORKER_OUT_OF_MEMORY) without reporting an end.
    const manager = new JobManager({ store, dataDir: dir, workerLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
    const started = await manager.start({
      kind: 'stream',
      scenario: { meters: 1_000_000 },
      output: { sink: ['duckdb'], out: join(dir, 'crash.duckdb') },
      stream: { from: '2026-02-01T00:00:00Z', duration: '1h', speed: 'max' },
    });
    expect(started.status).toBe('running');
    const live = manager.events(started.jobId)!;
    const ended = await new Promise<JobRecord>((resolve) => live.events.once('end', resolve));
    expect(ended.status).toBe('failed');
    expect(ended.errors.join(' ')).toMatch(/job worker crashed: .*memory/i);
    await manager.stopAll();
    expect(manager.runningCount()).toBe(0);
    expect((await store.load(started.jobId)).status).toBe('failed');
    expect((await t.server.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

