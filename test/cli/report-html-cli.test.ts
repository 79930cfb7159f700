import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForge } from '../support/run-forge.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'forge-report-html-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('forge report html', () => {
  it('writes one self-contained HTML file of a DuckDB output, by file or by job, and is what `forge report` does alone', () => {
    const db = join(dir, 'out.duckdb');
    const state = join(dir, 'jobs');
    const generated = runForge(['generate', '--meters', '30', '--days', '3', '--storm', '--out', db, '--state-dir', state], dir);
    expect(generated.code, generated.stderr).toBe(0);

    const byFile = runForge(['report', 'html', '--db', db, '--out', join(dir, 'a.html')], dir);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.stdout).toMatch(/report of 8,640 readings/);
    const html = readFileSync(join(dir, 'a.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|src=|href=/i);
    expect(html.match(/<svg/g)!.length).toBeGreaterThan(10);
    // The panels' answers are kept beside the job records (the server's Explore cache), and a second report of the
    // unchanged file reads them back: the same document but for when it was written.
    // Nine panels, and the reference households' statistics where the reference file is at hand.
    expect(readdirSync(join(dir, 'forge-data', 'jobs', 'explore-cache')).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(9);
    const again = runForge(['report', 'html', '--db', db, '--out', join(dir, 'a2.html')], dir);
    expect(again.code, again.stderr).toBe(0);
    const unstamped = (text: string): string => text.replace(/Written [^<]*\./, '');
    expect(unstamped(readFileSync(join(dir, 'a2.html'), 'utf8'))).toBe(unstamped(html));

    // No subcommand: the HTML report; the job's DuckDB output found from its record.
    const jobId = /job (job-[\w-]+)/.exec(generated.stdout + generated.stderr)?.[1];
    expect(jobId).toBeDefined();
    const byJob = runForge(['report', '--job', jobId!, '--state-dir', state, '--out', join(dir, 'b.html')], dir);
    expect(byJob.code, byJob.stderr).toBe(0);
    expect(readFileSync(join(dir, 'b.html'), 'utf8')).toContain(db);
  }, 180_000);

  it('refuses a missing file, and --job with --db, writing nothing', () => {
    const missing = runForge(['report', 'html', '--db', join(dir, 'absent.duckdb'), '--out', join(dir, 'c.html')], dir);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/FORGE_ERR_OUTPUT_NOT_FOUND/);
    const both = runForge(['report', '--job', 'x', '--db', 'y', '--out', join(dir, 'd.html')], dir);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--job or --db/);
    expect(existsSync(join(dir, 'c.html')) || existsSync(join(dir, 'd.html'))).toBe(false);
  }, 60_000);
});
