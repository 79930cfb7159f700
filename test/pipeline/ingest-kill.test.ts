import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { runForge } from '../support/run-forge.js';
import { byHour, engineReadings, putStageFiles, usageSum, type EngineReading } from '../support/pipeline.js';

/**
 * `forge ingest` killed with SIGKILL at any point of a pass (downloading, inside a batch's transaction, between the
 * batches, during gold) and run again: every file loaded once, silver one row per reading, gold the readings' sums.
 * The stage has more files than one batch takes (256), so a pass commits bronze and silver twice before its gold.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const WRITERS = 12;

let readings: EngineReading[];
let dir: string;
let stageDir: string;
beforeAll(async () => {
  readings = await engineReadings();
  dir = await mkdtemp(join(tmpdir(), 'forge-ingest-kill-'));
  stageDir = join(dir, 'stage');
  // Every writer delivers every hour: 12 x 24 files, each reading 12 times.
  const stage = new LocalStageStore(stageDir);
  for (let w = 0; w < WRITERS; w++) await putStageFiles(stage, byHour(readings), `w${w}`);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `forge ingest`, waits until it has created its download directory and then `afterMs` more, and kills it. */
async function killDuringPass(db: string, root: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'ingest', '--stage', stageDir, '--out', db], {
    cwd: dir,
    env: { ...process.env, TMPDIR: root, FORCE_COLOR: '0' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if ((await readdir(root)).some((n) => n.startsWith('forge-stage-'))) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill('SIGKILL');
  await exited;
}

describe('forge ingest killed anywhere in a pass', () => {
  // Delays after the pass starts downloading, spread over its downloads, both batches and its gold (here a pass took
  // about 2.5 s, its first batch committed by 1.8 s; on any machine the promise holds wherever the kill lands).
  it.each([0, 700, 1_200, 1_500, 1_800, 2_100, 2_500, 4_000])(
    'killed %i ms into its pass, then run again: each file once, silver one row per reading, gold their sums',
    async (afterMs) => {
      const root = join(dir, `tmp-${afterMs}`);
      await mkdir(root);
      const db = join(dir, `pipeline-${afterMs}.duckdb`);
      await killDuringPass(db, root, afterMs);
      const again = runForge(['ingest', '--stage', stageDir, '--out', db, '--json'], dir);
      expect(again.code, again.stderr).toBe(0);

      const w = await Warehouse.open(db);
      try {
        expect(await w.number(`SELECT count(*) FROM stage_load_history WHERE status = 'LOADED'`)).toBe(WRITERS * 24);
        expect(await w.number(`SELECT count(*) FROM bronze_ami`)).toBe(WRITERS * readings.length);
        expect(await w.number(`SELECT count(DISTINCT (file_name, row_number)) FROM bronze_ami`)).toBe(WRITERS * readings.length);
        expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length);
        expect(await w.number(`SELECT count(DISTINCT (meter_id, reading_ts_utc)) FROM silver_ami`)).toBe(readings.length);
        expect(await w.number(`SELECT sum(readings) FROM gold_usage_hourly`)).toBe(readings.length);
        expect(await w.number(`SELECT sum(kwh) FROM gold_usage_hourly`)).toBeCloseTo(usageSum(readings), 6);
        expect(await w.number(`SELECT sum(kwh) FROM gold_usage_daily`)).toBeCloseTo(usageSum(readings), 6);
        // Every silver row's refresh has its history row (no silver left unpublished), and nothing is pending.
        expect(await w.number(`SELECT count(*) FROM silver_ami WHERE refresh_id NOT IN (SELECT refresh_id FROM pipeline_refresh_history)`)).toBe(0);
        expect((await pipelineStatus(w, null)).lagMs).toBe(0);
      } finally {
        w.close();
      }
    },
    180_000,
  );
});
