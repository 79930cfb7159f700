import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { buildServer } from '../../src/server/build-server.js';
import { ARTIFACTS, browserGate, ensureUiBuilt, launchChromium } from '../support/browser.js';
import { startJob, waitForJob } from '../support/server-jobs.js';

const gate = browserGate();
const dir = mkdtempSync(join(tmpdir(), 'forge-ui-fit-'));
/** A few of the screenshots go into the README (docs/screenshots); the rest stay CI artifacts. */
const DOCS_SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

let server: FastifyInstance;
let browser: Browser;
let base: string;
let duckJob: JobRecord;
let fileJob: JobRecord;
let streamJob: JobRecord;

const textOf = (locator: Locator) => (): Promise<string> => locator.first().textContent({ timeout: 5_000 }).then((t) => t ?? '', () => '');

/** A tab that records what must not happen on any page: console errors, uncaught exceptions and 404 answers. */
async function watchedTab(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() === 404) problems.push(`404: ${r.request().method()} ${r.url()}`);
  });
  return { page, problems };
}

/**
 * How far the page is wider than the window (0 or less: no horizontal scroll). Runs in the page: its document and
 * window, reached through globalThis in this Node-typed file.
 */
const overflow = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
    return document.documentElement.scrollWidth - innerWidth;
  });

beforeAll(async () => {
  if (!gate.run) return;
  ensureUiBuilt();
  browser = await launchChromium();
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  // Three finished jobs to show: a batch into DuckDB (something to validate), a batch into NDJSON files (nothing a
  // quality check reads), and a short stream (its checkpoint and latency).
  const scenario = { meters: 20, days: 1, start: '2024-07-01', area: 'TEXAS_GULF_COAST' };
  duckJob = await startJob(server, { kind: 'batch', scenario, output: { sink: ['duckdb'], out: 'fit-batch.duckdb' } });
  fileJob = await startJob(server, { kind: 'batch', scenario, output: { sink: ['ndjson'], out: 'fit-files' } });
  streamJob = await startJob(server, { kind: 'stream', scenario: { ...scenario, days: undefined }, output: { sink: ['duckdb'], out: 'fit-stream.duckdb' }, stream: { speed: 'max', duration: '2h', from: '2024-07-01T05:00:00Z' } });
  for (const job of [duckJob, fileJob, streamJob]) {
    const done = await waitForJob(server, job.jobId);
    expect(done.status, done.errors.join('; ')).toBe('completed');
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(gate.run)(`every page fits a phone and a desktop${gate.note}`, () => {
  const pages = [
    { name: 'generate', hash: '#/generate', ready: (p: Page) => p.getByTestId('preview-table').locator('tbody tr').count(), want: 8 },
    { name: 'monitor', hash: () => `#/monitor/${streamJob.jobId}`, ready: (p: Page) => p.getByTestId('sink-table').locator('tbody tr').count(), want: 1 },
    { name: 'validate', hash: '#/validate', ready: (p: Page) => p.getByLabel('Job').locator('option').count(), want: 4 },
    { name: 'history', hash: '#/history', ready: (p: Page) => p.getByTestId('history-row').count(), want: 3 },
  ];
  for (const viewport of VIEWPORTS) {
    for (const view of pages) {
      it(`${view.name} at ${viewport.width} x ${viewport.height}: no horizontal scroll, no console error, no 404`, async () => {
        const { page, problems } = await watchedTab(viewport);
        await page.goto(`${base}/${typeof view.hash === 'string' ? view.hash : view.hash()}`);
        await expect.poll(() => view.ready(page)).toBe(view.want);
        // Tables and charts lay out after their data arrives: measured once the page holds it.
        await expect.poll(() => overflow(page)).toBeLessThanOrEqual(0);
        // The navigation is on screen and each tab can be reached (looked up inside the navigation: Monitor's empty job
        // list also links to Generate until the jobs arrive).
        for (const title of ['Generate', 'Monitor', 'Validate', 'History']) {
          const box = await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title, exact: true }).boundingBox();
          expect(box, title).not.toBeNull();
          expect(box!.x + box!.width, title).toBeLessThanOrEqual(viewport.width);
        }
        const file = `${view.name}-${viewport.name}.png`;
        await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
        if (viewport.name === 'phone' || view.name === 'monitor') {
          mkdirSync(DOCS_SHOTS, { recursive: true });
          copyFileSync(join(ARTIFACTS, file), join(DOCS_SHOTS, file));
        }
        expect(problems).toEqual([]);
        await page.close();
      }, 60_000);
    }
  }
});

describe.runIf(gate.run)(`the small things users hit${gate.note}`, () => {
  it('Monitor shows one status badge, the checkpoint as simulated time, and keeps the latency chart of a finished stream', async () => {
    const { page, problems } = await watchedTab({ width: 1440, height: 900 });
    await page.goto(`${base}/#/monitor/${streamJob.jobId}`);
    await expect.poll(textOf(page.getByTestId('monitor-job'))).toBe(streamJob.jobId);
    await expect.poll(() => page.locator('.jobhead .badge').count()).toBe(1);
    expect(await textOf(page.locator('.jobhead .badge'))()).toBe('completed');
    // The window is 2024-07-01 05:00 to 07:00 UTC: the checkpoint is a simulated time in it, not a count of milliseconds.
    const checkpoint = await textOf(page.getByTestId('stat-checkpoint').locator('.stat-value'))();
    expect(checkpoint).toMatch(/^2024-07-01 0[5-7]:\d\d/);
    // A finished job's latency: its final percentiles, one point per figure.
    await expect.poll(async () => Number(await page.getByTestId('chart-latency').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('Validate says what it checks and why a button is disabled, and pre-fills no path when a job is chosen', async () => {
    const { page, problems } = await watchedTab({ width: 1440, height: 900 });
    await page.goto(`${base}/#/validate`);
    await expect.poll(textOf(page.getByTestId('validate-about'))).toContain('completeness');
    expect(await page.getByLabel('DuckDB file').inputValue()).toBe('');
    await expect.poll(textOf(page.getByTestId('checks-reason'))).toContain('Choose a job');
    expect(await page.getByRole('button', { name: 'Run checks' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Verify job against its sinks' }).isDisabled()).toBe(true);

    // A job with a DuckDB output: the checks read its file (shown, not typed into the field), and both buttons work.
    await page.getByLabel('Job').selectOption(duckJob.jobId);
    await expect.poll(textOf(page.getByTestId('checks-reason'))).toContain('fit-batch.duckdb');
    expect(await page.getByLabel('DuckDB file').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Run checks' }).click();
    await expect.poll(textOf(page.getByTestId('validation-report').locator('h2')), { timeout: 60_000 }).toContain('PASS');

    // A job that wrote only files: neither has anything to read, and each says why.
    await page.getByLabel('Job').selectOption(fileJob.jobId);
    await expect.poll(textOf(page.getByTestId('checks-reason'))).toContain('no DuckDB output');
    expect(await page.getByRole('button', { name: 'Run checks' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Verify job against its sinks' }).isDisabled()).toBe(true);
    expect(await textOf(page.getByTestId('verify-reason'))()).toContain('has none');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('History offers Validate only for jobs with a DuckDB output, and wraps long error text', async () => {
    const { page, problems } = await watchedTab({ width: 390, height: 844 });
    await page.goto(`${base}/#/history`);
    const row = (job: JobRecord) => page.locator(`[data-testid="history-row"][data-job="${job.jobId}"]`);
    await expect.poll(() => row(duckJob).count()).toBe(1);
    expect(await row(duckJob).getByRole('button', { name: 'Validate' }).count()).toBe(1);
    expect(await row(fileJob).getByRole('button', { name: 'Validate' }).count()).toBe(0);
    expect(await row(fileJob).getByRole('button', { name: 'Re-run' }).count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('Generate offers the scenario options the CLI has and shows the server\'s validation messages', async () => {
    const { page, problems } = await watchedTab({ width: 390, height: 844 });
    await page.goto(base);
    await expect.poll(() => page.getByTestId('preview-table').locator('tbody tr').count()).toBe(8);
    await page.getByText('More options').click();
    for (const label of ['Start date', 'Storm', 'Storm date', 'PV share', 'EV share', 'Segment mix (R/C/I %)']) {
      expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1);
    }
    // A share outside 0 to 1: the server refuses the scenario and the page shows its message.
    await page.getByLabel('PV share', { exact: true }).fill('1.5');
    await expect.poll(textOf(page.getByTestId('error')), { timeout: 30_000 }).toContain('pvShare');
    await page.getByLabel('PV share', { exact: true }).fill('0.3');
    await expect.poll(() => page.getByTestId('error').count()).toBe(0);
    // A storm on a date: the preview is computed for the scenario with it, and no request fails.
    await page.getByLabel('Start date', { exact: true }).fill('2024-07-01');
    await page.getByLabel('Storm', { exact: true }).check();
    await page.getByLabel('Storm date', { exact: true }).fill('2024-07-03');
    await expect.poll(() => page.getByTestId('preview-table').locator('tbody tr').count()).toBe(8);
    await expect.poll(textOf(page.getByTestId('preview-table'))).toContain('2024-07-01');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'generate-more-options-phone.png'), fullPage: true });
    // 400s are the server's validation answers (shown above); only 404s and script errors are faults.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.close();
  });

  it('the API documentation at /docs links back to the UI', async () => {
    const res = await fetch(`${base}/docs/json`);
    const doc = (await res.json()) as { info: { description: string } };
    expect(doc.info.description).toContain('](/)');
  });
});
