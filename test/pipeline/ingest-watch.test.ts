import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerPipelineCommand } from '../../src/cli/commands/pipeline-command.js';
import type { PipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { readStatusFile } from '../../src/pipeline/status-file.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { byHour, engineReadings, putStageFiles } from '../support/pipeline.js';

const ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

async function status(db: string): Promise<PipelineStatus & { source: string }> {
  const program = new Command('forge').exitOverride();
  registerPipelineCommand(program);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => chunks.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'forge', 'pipeline', 'status', '--out', db, '--json']);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(chunks.join('')) as PipelineStatus & { source: string };
}

describe('forge ingest --watch (its own process)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-watch-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads files as they land, writes its status for pipeline status while it holds the database, and stops on SIGTERM (exit 130)', async () => {
    const readings = await engineReadings();
    const hours = byHour(readings);
    const stageDir = join(dir, 'stage');
    const stage = new LocalStageStore(stageDir);
    const db = join(dir, 'pipeline.duckdb');
    await putStageFiles(stage, hours.slice(0, 10));
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'ingest', '--stage', stageDir, '--out', db, '--watch', '--lag', '300ms'], {
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const waitFor = async (silver: number): Promise<void> => {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          if ((await readStatusFile(db).catch(() => null))?.rows.silver === silver) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`watcher did not reach ${silver} silver rows: ${stderr}`);
      };
      await waitFor(hours.slice(0, 10).flat().length);
      await putStageFiles(stage, hours.slice(10), 'test', 10);
      await waitFor(readings.length);

      const live = await status(db);
      expect(live.source).toContain('status.json');
      expect(live.files).toEqual({ landed: 24, loaded: 24, quarantined: 0, pending: 0, skipped: 0, changed: 0 });
      expect(live.rows.silver).toBe(readings.length);
      expect(live.rows.gold.gold_usage_hourly).toBe(20 * 24);

      child.kill('SIGTERM');
      // Watching ends only on a signal, and then as an interrupted job: 130, like a stream without --duration.
      expect(await exited).toBe(130);
      expect(stdout).toMatch(/Stopped after \d+ passes: 24 files loaded, 0 quarantined, 0 lines rejected, 1,920 readings into silver/);
      expect(stdout.match(/refresh \d+:/g)?.length).toBeGreaterThanOrEqual(2);

      const after = await status(db);
      expect(after.source).toBe(db);
      expect(after.rows.silver).toBe(readings.length);
      expect(after.files.loaded).toBe(24);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
