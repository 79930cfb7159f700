import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runForge } from '../../support/run-forge.js';
import { withTempDir } from '../../support/fixtures.js';
import { xmllintErrors, xmllintGate } from '../../support/xmllint.js';

const gate = xmllintGate();
const SCENARIO = ['--meters', '10', '--days', '2', '--start', '2026-03-07', '--area', 'TEXAS_GULF_COAST', '--pv-share', '0.4', '--seed', '9'];

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith(`.${ext}`) && !f.split('/').some((p) => p.startsWith('.'))).map((f) => join(dir, f)).sort();
}

describe('forge generate --sink mdm-csv,greenbutton, then forge verify', () => {
  it(`writes both formats, each verifies against the regenerated scenario, and a changed value fails verify${gate.note}`, async () => {
    await withTempDir(async (cwd) => {
      const run = runForge(['generate', ...SCENARIO, '--sink', 'mdm-csv,greenbutton', '--out', 'mdm-csv=mdm', '--out', 'greenbutton=gb'], cwd);
      expect(run.code, run.stderr).toBe(0);
      const jobId = /job (job-\S+):/.exec(run.stdout)?.[1];
      expect(jobId, run.stdout).toBeDefined();
      if (gate.run) expect(xmllintErrors(await filesUnder(join(cwd, 'gb'), 'xml'))).toEqual([]);

      const verify = runForge(['verify', '--job', jobId!], cwd);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/Verify mdm-csv .*\n.*expected 1,920 {2}found 1,920 {2}missing 0 {2}duplicates 0 {2}differing 0 {2}unexpected 0/);
      expect(verify.stdout).toMatch(/Verify greenbutton .*\n.*expected 1,920 {2}found 1,920 {2}missing 0 {2}duplicates 0 {2}differing 0 {2}unexpected 0/);

      // One changed Wh in the Green Button feed: verify names the meter-day and the reading.
      const feed = (await filesUnder(join(cwd, 'gb'), 'xml'))[0]!;
      const xml = await readFile(feed, 'utf8');
      const at = xml.indexOf('<value>', xml.indexOf('<IntervalReading>'));
      await writeFile(feed, `${xml.slice(0, at)}<value>987654</value>${xml.slice(xml.indexOf('</value>', at) + '</value>'.length)}`);
      const broken = runForge(['verify', '--job', jobId!], cwd);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('FORGE_ERR_VERIFY_FAILED');
      expect(broken.stdout).toMatch(/greenbutton[\s\S]*1 differing[\s\S]*usage_kwh \S+ -> 987.654/);
    });
  });

  it("writes a fleet in shards into one directory, which then verifies whole; --append adds a second job's parts (verify counts the doubles)", async () => {
    await withTempDir(async (cwd) => {
      for (const shard of ['0/2', '1/2']) {
        const run = runForge(['generate', ...SCENARIO, '--shard', shard, '--sink', 'mdm-csv', '--out', 'mdm'], cwd);
        expect(run.code, run.stderr).toBe(0);
      }
      const names = await readdir(join(cwd, 'mdm', 'date=2026-03-08'));
      // (Names start with each job's id, so they sort by job, not by shard.)
      expect(names.map((n) => /_shard-(\d)-of-2\.csv$/.exec(n)?.[1]).sort()).toEqual(['0', '1']);
      const verify = runForge(['verify', ...SCENARIO, '--sink', 'mdm-csv', '--out', 'mdm'], cwd);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toContain('missing 0  duplicates 0  differing 0  unexpected 0');

      const appended = runForge(['generate', ...SCENARIO, '--sink', 'mdm-csv', '--out', 'mdm', '--append'], cwd);
      expect(appended.code, appended.stderr).toBe(0);
      // Appending the same scenario doubles every reading: verify says so rather than passing.
      const doubled = runForge(['verify', ...SCENARIO, '--sink', 'mdm-csv', '--out', 'mdm'], cwd);
      expect(doubled.code).toBe(1);
      expect(doubled.stdout).toContain('duplicates 1,920');
    });
  });
});
