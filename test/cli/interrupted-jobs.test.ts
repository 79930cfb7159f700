import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { duckFactCounts, jobRecords, startForge, waitFor, type ForgeChild } from '../support/faults.js';

/**
 * A job stopped by SIGINT (Ctrl-C) or SIGTERM (`forge stop`, an orchestrator) stops gracefully and says so: exit 130
 * for either signal, never 0 (a script must not take it for a finished job) and not a death by the signal (the process
 * flushed and exited by itself); the record reads `stopped`; what it delivered stays in the sink and equals its count.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-interrupted-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The job's record once it shows readings delivered (the sinks are open and writing); an error if forge ends first. */
async function delivering(run: ForgeChild, stateDir: string): Promise<JobRecord> {
  const ended = run.done.then((r) => new Error(`forge ended (${r.code ?? r.signal}) before delivering: ${r.stderr}`));
  const record = await Promise.race([waitFor(async () => (await jobRecords(stateDir)).find((r) => r.status === 'running' && r.stats.delivered > 0), 90_000), ended]);
  if (record instanceof Error) throw record;
  if (!record) throw new Error(`no job delivered readings in ${stateDir} within 90 s`);
  return record;
}

async function interrupt(run: ForgeChild, stateDir: string, signal: NodeJS.Signals): Promise<{ record: JobRecord; code: number | null; exitSignal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  try {
    const { jobId } = await delivering(run, stateDir);
    run.child.kill(signal);
    const { code, signal: exitSignal, stdout, stderr } = await run.done;
    const record = (await jobRecords(stateDir)).find((r) => r.jobId === jobId)!;
    return { record, code, exitSignal, stdout, stderr };
  } finally {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  }
}

/** Interrupts the run with `signal` and checks it stopped as a stop should: exit 130 by itself, not killed, no error. */
async function stoppedCleanly(run: ForgeChild, stateDir: string, signal: NodeJS.Signals): ReturnType<typeof interrupt> {
  const result = await interrupt(run, stateDir, signal);
  const { record, code, exitSignal, stdout, stderr } = result;
  expect(exitSignal, stderr).toBeNull();
  expect(code, stderr).toBe(130);
  expect(stdout).toMatch(/^Stopped after [\d,]+ readings/);
  // A stop is not an error: nothing coded on stderr.
  expect(stderr).not.toMatch(/FORGE_ERR_/);
  expect(record.status).toBe('stopped');
  return result;
}

describe.each(['SIGINT', 'SIGTERM'] as const)('a job stopped with %s', (signal) => {
  it('forge generate exits 130, its record stopped, the readings it counted kept in DuckDB', async () => {
    const work = join(dir, `generate-${signal}`);
    const out = join(work, 'forge.duckdb');
    const stateDir = join(work, 'jobs');
    // Far more than it can write before the signal: 20,000 meters x 30 days.
    const expected = 20_000 * 30 * 96;
    const run = startForge(['generate', '--meters', '20000', '--days', '30', '--start', '2026-06-01', '--seed', '7', '--out', out, '--state-dir', stateDir], dir);
    const { record } = await stoppedCleanly(run, stateDir, signal);
    const held = await duckFactCounts(out);
    expect(held.rows).toBeGreaterThan(0);
    expect(held.rows).toBeLessThan(expected);
    expect(held.keys).toBe(held.rows);
    expect(record.stats.delivered).toBe(held.rows);
    expect(record.stats.sinks).toEqual([expect.objectContaining({ sink: 'duckdb', committed: held.rows })]);
  }, 180_000);

  it('forge stream exits 130, its record stopped, the readings it committed kept in DuckDB', async () => {
    const work = join(dir, `stream-${signal}`);
    const out = join(work, 'forge.duckdb');
    const stateDir = join(work, 'jobs');
    // 30 simulated days at 600 s a second: over an hour of streaming, so only the signal ends it.
    const run = startForge(['stream', '--meters', '50', '--from', '2026-06-01T00:00:00Z', '--duration', '30d', '--speed', '600', '--out', out, '--state-dir', stateDir], dir);
    const { record } = await stoppedCleanly(run, stateDir, signal);
    const held = await duckFactCounts(out);
    expect(held.rows).toBeGreaterThan(0);
    expect(held.rows).toBeLessThan(50 * 96 * 30);
    expect(record.stats.sinks).toEqual([expect.objectContaining({ sink: 'duckdb', committed: held.rows })]);
  }, 180_000);
});
