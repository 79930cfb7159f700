import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { buildServer } from '../../src/server/build-server.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { ARTIFACTS, browserGate, ensureUiBuilt, launchChromium } from '../support/browser.js';
import { startJob, waitForJob } from '../support/server-jobs.js';

const gate = browserGate();
const dir = mkdtempSync(join(tmpdir(), 'forge-explore-ui-'));
const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;
let server: FastifyInstance;
let browser: Browser;
let base: string;
let jobId: string;

/** The charts every real job's Explore page draws with data (PV/EV, outages and events too: the job asks for them). */
const CHARTS = ['profile-daytype-residential', 'meter-week', 'heatmap', 'annual', 'voltage-histogram', 'voltage-hour', 'pv-ev', 'outage-timeline', 'outage-map', 'events-type', 'events-day', 'realism'];

beforeAll(async () => {
  if (!gate.run) return;
  ensureUiBuilt();
  browser = await launchChromium();
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  // A real job through the API, with a storm, PV and EV homes so every panel has data.
  const job = await startJob(server, { kind: 'batch', scenario: { meters: 150, days: 10, start: '2026-07-01', storm: true, pvShare: 0.3, evShare: 0.3 }, output: { sink: ['duckdb'], out: 'explore.duckdb' } });
  jobId = job.jobId;
  const done = await waitForJob(server, jobId, undefined, 180_000);
  expect(done.status).toBe('completed');
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openExplore(width: number, height: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/#/explore/${jobId}`);
  return { page, errors };
}

/** How far the page scrolls sideways (0: it fits). Evaluated in the page, so written as text (no DOM types here). */
const OVERFLOW = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';

const points = (page: Page, testId: string) => (): Promise<number> => page.getByTestId(testId).getAttribute('data-points', { timeout: 5_000 }).then((v) => Number(v ?? 0), () => 0);

describe.runIf(gate.run)(`the Explore page in headless Chromium${gate.note}`, () => {
  for (const [name, width, height] of [['desktop', 1440, 900], ['phone', 390, 844]] as const) {
    it(`draws every chart from a real job with data points, without console errors or horizontal overflow (${width} x ${height})`, async () => {
      const { page, errors } = await openExplore(width, height);
      try {
        for (const id of CHARTS) await expect.poll(points(page, id), { timeout: 60_000, message: id }).toBeGreaterThan(0);
        // Chart.js drew into each canvas: a drawn canvas is not blank. It draws on an animation frame after its data
        // (data-points) is set, so the check waits for the drawing (CI once saw one canvas still blank right after).
        const blank = (): Promise<string[]> =>
          page.evaluate(`[...document.querySelectorAll('.explore canvas')].filter((c) => {
            const ctx = c.getContext('2d');
            if (!ctx || c.width === 0 || c.height === 0) return true;
            return !ctx.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0);
          }).map((c) => c.closest('[data-testid]')?.getAttribute('data-testid') ?? c.id)`);
        await expect.poll(blank, { timeout: 15_000, message: 'charts whose canvas stayed blank' }).toEqual([]);
        await expect.poll(() => page.getByTestId('reliability').textContent()).toMatch(/SAIFI \d/);
        // The outage map's county and state lines come from the bundled us-atlas, drawn around the meters.
        await expect.poll(() => page.getByTestId('outage-area-map').getAttribute('data-geography'), { timeout: 30_000 }).toBe('us-atlas');
        expect(await page.getByTestId('outage-area-map').locator('circle').count()).toBe(150);
        expect((await page.getByTestId('outage-area-map').locator('path').first().getAttribute('d'))!.length).toBeGreaterThan(100);
        expect(await page.getByTestId('events-table').locator('tbody tr').count()).toBeGreaterThan(0);
        const overflow = await page.evaluate(OVERFLOW);
        expect(overflow).toBeLessThanOrEqual(0);
        expect(errors).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `explore-${name}.png`), fullPage: true });
        mkdirSync(SCREENSHOTS, { recursive: true });
        copyFileSync(join(ARTIFACTS, `explore-${name}.png`), join(SCREENSHOTS, `explore${name === 'phone' ? '-phone' : ''}.png`));
      } finally {
        await page.close();
      }
    }, 120_000);
  }

  it("a meter in the events table opens that meter's week", async () => {
    const { page, errors } = await openExplore(1440, 900);
    try {
      const first = page.getByTestId('events-table').locator('tbody tr').first().getByRole('button');
      await first.waitFor({ timeout: 60_000 });
      const meter = (await first.textContent())!.trim();
      await first.click();
      await expect.poll(() => page.getByTestId('meter-week').locator('figcaption').textContent({ timeout: 5_000 }).catch(() => ''), { timeout: 60_000 }).toContain(meter);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('a pipeline database picked from the data directory: its medallion tables and its charts from silver_ami', async () => {
    // The same kind of job into a stage, then the pipeline's one pass (bronze, silver, gold) into a database beside it.
    const job = await startJob(server, { kind: 'batch', scenario: { meters: 30, days: 3, start: '2026-07-01', storm: true, pvShare: 0.3 }, output: { sink: ['stage'], stage: 'stage' } });
    expect((await waitForJob(server, job.jobId, undefined, 180_000)).status).toBe('completed');
    const w = await Warehouse.open(join(dir, 'pipeline.duckdb'));
    try {
      await runPipelineOnce(w, new LocalStageStore(join(dir, 'stage')));
    } finally {
      w.close();
    }
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await page.goto(`${base}/#/explore`);
      // The data directory's DuckDB files are offered to pick from.
      await expect.poll(() => page.locator('#explore-files option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)), { timeout: 30_000 }).toContain('pipeline.duckdb');
      await page.getByLabel('DuckDB file').fill('pipeline.duckdb');
      await page.getByRole('button', { name: 'Explore file' }).click();
      await expect.poll(() => page.getByTestId('pipeline-tables').textContent({ timeout: 5_000 }).catch(() => ''), { timeout: 60_000 }).toContain('silver_ami');
      await expect.poll(() => page.getByTestId('explore-summary').textContent(), { timeout: 60_000 }).toContain('8,640 readings of 30 meters');
      for (const id of ['profile-daytype-residential', 'heatmap', 'voltage-histogram', 'outage-map', 'realism']) await expect.poll(points(page, id), { timeout: 60_000, message: id }).toBeGreaterThan(0);
      expect(await page.evaluate(OVERFLOW)).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('the report link serves one self-contained HTML file whose charts are drawn, with nothing fetched', async () => {
    const { page } = await openExplore(1440, 900);
    const href = await page.getByTestId('report-link').getAttribute('href', { timeout: 30_000 });
    await page.close();
    const report = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const requests: string[] = [];
    report.on('request', (r) => requests.push(r.url()));
    try {
      await report.goto(`${base}${href!}`);
      expect(await report.locator('figure.chart svg').count()).toBeGreaterThan(10);
      expect(await report.locator('polyline.series').count()).toBeGreaterThan(5);
      expect(await report.locator('rect.cell').count()).toBe(10 * 24);
      expect(await report.locator('circle.meter').count()).toBe(150);
      // Only the document itself was requested.
      expect(requests).toEqual([`${base}${href!}`]);
      expect(await report.evaluate(OVERFLOW)).toBeLessThanOrEqual(0);
      await report.screenshot({ path: join(ARTIFACTS, 'report-phone.png'), fullPage: false });
    } finally {
      await report.close();
    }
  }, 120_000);
});
