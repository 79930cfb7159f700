import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../../support/fixtures.js';
import { runForge } from '../../support/run-forge.js';

// Los Angeles over the March change (a 23-hour local day), PV homes, the demo events: 10 meters x 48 hours x 4.
const SCENARIO = ['--meters', '10', '--days', '2', '--start', '2026-03-07', '--area', 'CALIFORNIA_COASTAL', '--pv-share', '0.5', '--seed', '8', '--events', 'demo'];
const ROWS = '1,920';

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith(`.${ext}`) && !f.split('/').some((p) => p.startsWith('.'))).map((f) => join(dir, f)).sort();
}

describe('forge generate --sink cim, then forge verify', () => {
  it('writes JSON (the default) and, with --cim-format xml, XML; both verify against the regenerated scenario, and a changed value fails verify', async () => {
    await withTempDir(async (cwd) => {
      const json = runForge(['generate', ...SCENARIO, '--sink', 'cim', '--out', 'cim=cim-json'], cwd);
      expect(json.code, json.stderr).toBe(0);
      const jsonJob = /job (job-\S+):/.exec(json.stdout)?.[1];
      const xml = runForge(['generate', ...SCENARIO, '--sink', 'cim', '--cim-format', 'xml', '--out', 'cim=cim-xml'], cwd);
      expect(xml.code, xml.stderr).toBe(0);
      const xmlJob = /job (job-\S+):/.exec(xml.stdout)?.[1];
      expect((await filesUnder(join(cwd, 'cim-json'), 'json')).length).toBe(3);
      const xmlFiles = await filesUnder(join(cwd, 'cim-xml'), 'xml');
      expect(xmlFiles.length).toBe(3);
      // Well-formed for a tool this project did not write (when xmllint is installed; read-back parses it anyway).
      const lint = spawnSync('xmllint', ['--noout', ...xmlFiles], { encoding: 'utf8' });
      if (!lint.error) expect(lint.status, lint.stderr).toBe(0);

      for (const job of [jsonJob, xmlJob]) {
        const verify = runForge(['verify', '--job', job!], cwd);
        expect(verify.code, verify.stdout + verify.stderr).toBe(0);
        expect(verify.stdout).toMatch(new RegExp(`Verify cim .*\\n.*expected ${ROWS} {2}found ${ROWS} {2}missing 0 {2}duplicates 0 {2}differing 0 {2}unexpected 0`));
      }

      // One voltage changed in the XML: verify finds the reading that differs.
      const file = xmlFiles[0]!;
      const text = await readFile(file, 'utf8');
      const block = text.indexOf('<ReadingType ref="0.2.2.6.');
      const start = text.lastIndexOf('<IntervalBlocks>', block);
      const at = text.indexOf('<value>', start);
      await writeFile(file, `${text.slice(0, at)}<value>321.5</value>${text.slice(text.indexOf('</value>', at) + '</value>'.length)}`);
      const broken = runForge(['verify', '--job', xmlJob!], cwd);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('FORGE_ERR_VERIFY_FAILED');
      expect(broken.stdout).toMatch(/cim[\s\S]*1 differing[\s\S]*voltage \S+ -> 321.5/);
    });
  }, 300_000);

  it('refuses an unknown --cim-format before anything runs', async () => {
    await withTempDir(async (cwd) => {
      const run = runForge(['generate', '--meters', '2', '--days', '1', '--sink', 'cim', '--cim-format', 'csv'], cwd);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cimFormat');
    });
  }, 300_000);
});
