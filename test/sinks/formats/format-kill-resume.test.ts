import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../../src/jobs/job-store.js';
import { FAULT_SEED, forge, jobRecords, killAfter, seededRandom, startForge, verifyCounts, waitFor } from '../../support/faults.js';

/**
 * The exchange-format sinks killed outright mid-job (SIGKILL at seeded points of the job's checkpoint), then
 * `forge generate --resume`: verify finds every reading exactly once in both formats' files, and no temporary is
 * left. Two blocks of meters a local date, 17 dates: 34 batches to be killed among. Large enough (a job record is
 * saved about once a second) that the job is still writing when a kill lands after the record shows the checkpoint.
 */
const SCENARIO = ['--meters', '600', '--days', '16', '--start', '2026-03-05', '--area', 'TEXAS_GULF_COAST', '--pv-share', '0.3', '--seed', '4', '--batch-size', '28800'];
const UNITS = 34;

let dir: string;
let killedMidJob = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-format-resume-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mdm-csv and greenbutton after kill -9 and --resume', () => {
  const random = seededRandom(FAULT_SEED ^ 0x16);
  const cases = [0.25, 0.6].map((share) => ({ target: Math.floor(share * UNITS), delay: Math.floor(random() * 300) }));
  for (const { target, delay } of cases) {
    it(`holds the scenario exactly once (killed ${delay} ms after checkpoint ${target}, seed ${FAULT_SEED})`, async () => {
      const work = await mkdtemp(join(dir, 'run-'));
      const stateDir = join(work, 'jobs');
      const args = ['generate', ...SCENARIO, '--sink', 'mdm-csv,greenbutton', '--out', 'mdm-csv=mdm', '--out', 'greenbutton=gb', '--state-dir', stateDir];
      const run = startForge(args, work);
      const reached = waitFor(async () => {
        const record = (await jobRecords(stateDir))[0];
        return record && (record.status !== 'running' || (record.stats.checkpoint ?? -1) >= target) ? true : undefined;
      }, 120_000);
      if (await killAfter(run, reached, delay)) killedMidJob++;
      const jobId = (await jobRecords(stateDir))[0]!.jobId;
      const store = new JobStore(stateDir);
      const status = await waitFor(async () => {
        const s = (await store.load(jobId)).status;
        return s === 'running' ? undefined : s;
      }, 60_000);
      expect(['interrupted', 'completed']).toContain(status);
      if (status === 'interrupted') {
        const resumed = await forge(['generate', '--resume', jobId, '--state-dir', stateDir], work);
        expect(resumed.code, resumed.stderr).toBe(0);
      }
      const verify = await forge(['verify', '--job', jobId, '--state-dir', stateDir, '--json'], work);
      const counts = verifyCounts(verify.stdout);
      expect(counts.reports).toHaveLength(2);
      for (const r of counts.reports) expect({ missing: r.missing, duplicates: r.duplicates, differing: r.differing, unexpected: r.unexpected, found: r.found }).toEqual({ missing: 0, duplicates: 0, differing: 0, unexpected: 0, found: r.expected });
      expect(counts.ok).toBe(true);
      for (const out of ['mdm', 'gb']) {
        const left = (await readdir(join(work, out), { recursive: true })).map(String);
        expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      }
    }, 300_000);
  }
  it('killed at least one of them mid-job (not after it had finished)', () => {
    console.info(`format kill-resume: ${killedMidJob} of 2 killed mid-job`);
    expect(killedMidJob).toBeGreaterThan(0);
  });
});
