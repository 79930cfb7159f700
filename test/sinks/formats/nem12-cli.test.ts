import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNem12 } from '../../../src/sinks/formats/nem12/nem12-parse.js';
import { withTempDir } from '../../support/fixtures.js';
import { runForge } from '../../support/run-forge.js';

// Houston over the November change (a 25-hour local day), PV homes, the demo events: 12 meters x 49 hours x 4.
const SCENARIO = ['--meters', '12', '--days', '2', '--start', '2025-11-01', '--area', 'TEXAS_GULF_COAST', '--pv-share', '0.5', '--seed', '4', '--events', 'demo'];
const ROWS = '2,304';

async function csvFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith('.csv') && !f.split('/').some((p) => p.startsWith('.'))).map((f) => join(dir, f)).sort();
}

describe('forge generate --sink nem12, then forge verify', () => {
  it('writes NEM12 files per local date that parse under the MDFF rules and verify against the regenerated scenario; a changed interval value fails verify', async () => {
    await withTempDir(async (cwd) => {
      const run = runForge(['generate', ...SCENARIO, '--sink', 'nem12', '--out', 'nem12=nem', '--nem12-from', 'MDPX', '--nem12-to', 'RETY'], cwd);
      expect(run.code, run.stderr).toBe(0);
      const jobId = /job (job-\S+):/.exec(run.stdout)?.[1];
      expect(jobId, run.stdout).toBeDefined();
      const files = await csvFiles(join(cwd, 'nem'));
      expect(files.map((f) => f.split('/').slice(-2, -1)[0])).toEqual(['date=2025-11-01', 'date=2025-11-02']);
      for (const f of files) {
        const parsed = parseNem12(await readFile(f, 'utf8'), f);
        expect(parsed.header).toMatchObject({ fromParticipant: 'MDPX', toParticipant: 'RETY' });
        expect(parsed.dataStreams.some((s) => s.nmiSuffix === 'B1')).toBe(true);
      }

      const verify = runForge(['verify', '--job', jobId!], cwd);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(new RegExp(`Verify nem12 .*\\n.*expected ${ROWS} {2}found ${ROWS} {2}missing 0 {2}duplicates 0 {2}differing 0 {2}unexpected 0`));

      // One interval value of the first 300 record changed: verify finds the reading that differs.
      const text = await readFile(files[0]!, 'utf8');
      const lines = text.split('\r\n');
      const at = lines.findIndex((l) => l.startsWith('300,'));
      const fields = lines[at]!.split(',');
      const slot = fields.findIndex((v, i) => i >= 2 && v !== '0' && /^\d/.test(v));
      fields[slot] = '987.654';
      lines[at] = fields.join(',');
      await writeFile(files[0]!, lines.join('\r\n'));
      const broken = runForge(['verify', '--job', jobId!], cwd);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('FORGE_ERR_VERIFY_FAILED');
      expect(broken.stdout).toMatch(/nem12[\s\S]*1 differing[\s\S]*usage_kwh \S+ -> 987.654/);
    });
  }, 300_000);

  it('refuses a 60-minute scenario with a clear error naming the intervals NEM12 has, writing nothing', async () => {
    await withTempDir(async (cwd) => {
      const run = runForge(['generate', '--meters', '2', '--days', '1', '--interval', '60', '--sink', 'nem12', '--out', 'nem12=nem'], cwd);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('FORGE_ERR_INVALID_CONFIG');
      expect(run.stderr).toContain('5, 15, 30-minute intervals only, not 60');
      await expect(access(join(cwd, 'nem'))).rejects.toThrow();
    });
  }, 300_000);

  it('writes a fleet in two shards into one directory, which verifies whole; --append adds a job beside it (verify counts the doubles)', async () => {
    await withTempDir(async (cwd) => {
      for (const shard of ['0/2', '1/2']) {
        const run = runForge(['generate', ...SCENARIO, '--shard', shard, '--sink', 'nem12', '--out', 'nem12=nem'], cwd);
        expect(run.code, run.stderr).toBe(0);
      }
      // One file a shard (names sort by job id, whose random part decides the order of two jobs in the same second).
      const names = await readdir(join(cwd, 'nem', 'date=2025-11-01'));
      expect(names.map((n) => /_shard-(\d)-of-2\.csv$/.exec(n)?.[1]).sort()).toEqual(['0', '1']);
      const verify = runForge(['verify', ...SCENARIO, '--sink', 'nem12', '--out', 'nem'], cwd);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toContain(`expected ${ROWS}  found ${ROWS}  missing 0  duplicates 0  differing 0  unexpected 0`);

      // --append adds a second job's parts beside them (nothing overwritten): verify counts every reading twice.
      const appended = runForge(['generate', ...SCENARIO, '--sink', 'nem12', '--out', 'nem12=nem', '--append'], cwd);
      expect(appended.code, appended.stderr).toBe(0);
      expect((await readdir(join(cwd, 'nem', 'date=2025-11-01'))).filter((n) => n.endsWith('.csv')).length).toBe(3);
      const doubled = runForge(['verify', ...SCENARIO, '--sink', 'nem12', '--out', 'nem'], cwd);
      expect(doubled.code).toBe(1);
      expect(doubled.stdout).toContain(`duplicates ${ROWS}`);
    });
  }, 300_000);
});
