import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/build-server.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { ARTIFACTS, browserGate, ensureUiBuilt, launchChromium } from '../support/browser.js';

const gate = browserGate();
const dir = mkdtempSync(join(tmpdir(), 'forge-ui-'));
let server: FastifyInstance;
let browser: Browser;
let page: Page;
let base: string;

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const number = (text: string | null): number => Number((text ?? '').replace(/[^0-9.]/g, ''));
/** The locator's text once it holds `wanted` (vitest's expect has no Playwright matchers: poll the page instead). */
const textOf = (locator: Locator) => (): Promise<string> => locator.first().textContent({ timeout: 5_000 }).then((t) => t ?? '', () => '');

// One browser for the file; each suite starts its own server.
beforeAll(async () => {
  if (!gate.run) return;
  ensureUiBuilt();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(gate.run)(`the web UI in headless Chromium${gate.note}`, () => {
  beforeAll(async () => {
    server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('runs a Quick Demo stream into DuckDB from Generate, watches it on Monitor, stops it, finds it in History and passes Validate', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // No request of normal use answers 404 (a server without a pipeline is not asked for its status).
    page.on('response', (r) => {
      if (r.status() === 404) errors.push(`404: ${r.request().method()} ${r.url()}`);
    });
    const out = join(dir, 'quick-stream.duckdb');

    // Generate: the guided flow.
    await page.goto(base);
    await page.getByRole('radio', { name: /Quick Demo/ }).click();
    await page.getByRole('radio', { name: 'Streaming fleet' }).click();
    // DuckDB is the sink chosen at first (a checkbox: more sinks make a dual write).
    await expect.poll(() => page.getByRole('checkbox', { name: /DuckDB table/ }).getAttribute('aria-checked')).toBe('true');
    await page.getByLabel('DuckDB table: file').fill(out);
    await page.getByLabel('Clock', { exact: true }).selectOption('3600');
    // A stream lasts until stopped unless a duration is chosen (at 3600x six simulated hours end in six seconds), and
    // the form says so; the Quick Demo's events are the demo's (an outage and anomalies of each kind every week).
    expect(await page.getByLabel('Duration (simulated)').inputValue()).toBe('');
    await expect.poll(textOf(page.getByTestId('stream-wall-clock'))).toContain('until you stop it');
    await page.getByLabel('Duration (simulated)').selectOption('6h');
    await expect.poll(textOf(page.getByTestId('stream-wall-clock'))).toContain('about 6 s of wall-clock time');
    await page.getByLabel('Duration (simulated)').selectOption({ label: 'Until stopped' });
    expect(await page.getByLabel('Events').inputValue()).toBe('demo');
    // Live fleet metrics for 100 meters at 15 minutes: 100 / 15 readings a minute, computed by the server.
    await expect.poll(() => page.getByTestId('metric-readings').locator('.stat-value').textContent()).toBe('7');
    await expect.poll(() => page.getByTestId('preview-table').locator('tbody tr').count()).toBe(8);
    await expect.poll(async () => Number(await page.getByTestId('fleet-map').getAttribute('data-points'))).toBe(100);
    await shot('generate');

    await page.getByRole('button', { name: 'Start streaming job' }).click();
    await page.waitForURL(/#\/monitor\/.+/);
    const jobId = decodeURIComponent(page.url().split('#/monitor/')[1]!);

    // Monitor: the charts gain points and the delivered count grows while the job runs.
    const points = async (): Promise<number> => Number(await page.getByTestId('chart-rows').getAttribute('data-points'));
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const delivered = async (): Promise<number> => number(await page.getByTestId('stat-delivered').locator('.stat-value').textContent());
    const first = await delivered();
    await expect.poll(delivered, { timeout: 60_000 }).toBeGreaterThan(first);
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(8);
    await expect.poll(textOf(page.getByTestId('job-health'))).toBe('healthy');
    await expect.poll(() => page.getByTestId('sink-table').locator('tbody tr').count()).toBe(1);
    await shot('monitor');

    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(textOf(page.locator('.jobhead .badge')), { timeout: 30_000 }).toBe('stopped');
    const stoppedAt = await delivered();
    expect(stoppedAt).toBeGreaterThan(0);

    // History: the job with its status and counts; its configuration opens as text.
    await page.getByRole('link', { name: 'History' }).click();
    const row = page.locator(`[data-testid="history-row"][data-job="${jobId}"]`);
    await expect.poll(textOf(row)).toContain('stopped');
    await expect.poll(textOf(row)).toContain(stoppedAt.toLocaleString('en-US'));
    await row.getByRole('button', { name: jobId }).click();
    await expect.poll(textOf(page.getByTestId('job-config'))).toContain('"meters": 100');
    await expect.poll(textOf(page.getByTestId('job-config'))).toContain('"events": "demo"');
    await shot('history');

    // Validate: from the job's row; the checks run on its DuckDB file (said, not typed into the file field) and pass,
    // and verify finds nothing missing.
    await row.getByRole('button', { name: 'Validate' }).click();
    await page.waitForURL(/#\/validate\/.+/);
    await expect.poll(textOf(page.getByTestId('checks-reason'))).toContain(out);
    expect(await page.getByLabel('DuckDB file').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Run checks' }).click();
    const report = page.getByTestId('validation-report');
    await expect.poll(textOf(report.locator('h2')), { timeout: 30_000 }).toContain('PASS');
    expect(await report.getByText('FAIL').count()).toBe(0);
    expect(await page.getByTestId('check-row').count()).toBeGreaterThan(5);
    await page.getByRole('button', { name: 'Verify job against its sinks' }).click();
    await expect.poll(textOf(page.getByTestId('verify-report').locator('h2')), { timeout: 60_000 }).toContain('COMPLETE');
    await shot('validate');

    // Re-run from History: a new job with the same configuration (a fresh DuckDB file beside the first).
    await page.getByRole('link', { name: 'History' }).click();
    await row.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/monitor/') && !url.hash.endsWith(encodeURIComponent(jobId)));
    await expect.poll(delivered, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('monitor-job').textContent()).not.toBe(jobId);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(textOf(page.locator('.jobhead .badge')), { timeout: 30_000 }).toBe('stopped');
    expect(errors).toEqual([]);
  }, 240_000);

  it('renders what the server sends as text, never as markup', async () => {
    await page.goto(`${base}/#/validate`);
    const hostile = '<img src=x onerror="window.__owned=1">.duckdb';
    await page.getByLabel('DuckDB file').fill(hostile);
    await page.getByRole('button', { name: 'Run checks' }).click();
    const error = page.getByTestId('error');
    await expect.poll(textOf(error)).toContain('<img src=x');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __owned?: number }).__owned)).toBeUndefined();
  }, 60_000);

  it('stays responsive with a fleet of 100,000 meters configured', async () => {
    await page.goto(base);
    await page.getByRole('radio', { name: /Custom/ }).click();
    const started = Date.now();
    await page.getByRole('spinbutton', { name: 'Meters' }).fill('100000');
    // The map shows an even sample; the metrics are the whole fleet's.
    await expect.poll(() => page.getByTestId('metric-readings').locator('.stat-value').textContent(), { timeout: 60_000 }).toBe('6,667');
    await expect.poll(async () => Number(await page.getByTestId('fleet-map').getAttribute('data-points')), { timeout: 60_000 }).toBe(10_000);
    // The page answers input while and after the fleet is measured: a long task would hold this evaluation up.
    // (Runs in the page: the browser's requestAnimationFrame, reached through globalThis in this Node-typed file.)
    const lag = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t = performance.now();
          (globalThis as unknown as { requestAnimationFrame: (f: () => void) => void }).requestAnimationFrame(() => resolve(performance.now() - t));
        }),
    );
    await page.getByLabel('Seed').fill('7');
    expect(await page.getByLabel('Seed').inputValue()).toBe('7');
    await shot('generate-100k');
    console.log(`100,000 meters: metrics and map in ${Date.now() - started} ms; next frame after ${lag.toFixed(0)} ms`);
  }, 120_000);
});

describe.runIf(gate.run)(`the web UI of a server with an API token${gate.note}`, () => {
  let tokenServer: FastifyInstance;
  let tokenBase: string;
  beforeAll(async () => {
    tokenServer = await buildServer({ dataDir: dir, stateDir: join(dir, 'token-jobs'), token: 'ui-test-token-7f3a' });
    tokenBase = await tokenServer.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await tokenServer?.close();
  });

  it('asks for the token, then every page works with it (and a wrong one is still refused)', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(tokenBase);
    const field = tab.getByLabel(/needs its API token/);
    await field.fill('wrong-token');
    await tab.getByRole('button', { name: 'Use token' }).click();
    await tab.waitForLoadState('load');
    // Still refused: the bar asks again and no figure is shown.
    await expect.poll(() => tab.getByLabel(/needs its API token/).count()).toBe(1);
    await tab.getByLabel(/needs its API token/).fill('ui-test-token-7f3a');
    await tab.getByRole('button', { name: 'Use token' }).click();
    await tab.waitForLoadState('load');
    await expect.poll(() => tab.getByTestId('metric-readings').locator('.stat-value').textContent(), { timeout: 30_000 }).toBe('7');
    expect(await tab.getByLabel(/needs its API token/).count()).toBe(0);
    await context.close();
  }, 60_000);
});

describe.runIf(gate.run)(`the web UI of a server running the medallion pipeline${gate.note}`, () => {
  let pipelineServer: FastifyInstance;
  let pipelineBase: string;
  const stage = join(dir, 'stage');
  beforeAll(async () => {
    pipelineServer = await buildServer({
      dataDir: dir,
      stateDir: join(dir, 'pipeline-jobs'),
      pipeline: { stage: new LocalStageStore(stage), out: join(dir, 'pipeline.duckdb'), targetLagMs: 2_000 },
    });
    pipelineBase = await pipelineServer.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await pipelineServer?.close();
  });

  it('lands a stream in the stage from Generate and shows bronze, silver and gold filling on Monitor', async () => {
    const tab = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const notFound: string[] = [];
    tab.on('response', (r) => {
      if (r.status() === 404) notFound.push(`${r.request().method()} ${r.url()}`);
    });
    await tab.goto(pipelineBase);
    await tab.getByRole('radio', { name: /Quick Demo/ }).click();
    await tab.getByRole('radio', { name: 'Streaming fleet' }).click();
    await tab.getByRole('checkbox', { name: /Stage landing/ }).click();
    await tab.getByRole('checkbox', { name: /DuckDB table/ }).click();
    await expect.poll(() => tab.getByRole('checkbox', { name: /DuckDB table/ }).getAttribute('aria-checked')).toBe('false');
    await tab.getByLabel('stage', { exact: true }).fill(stage);
    await tab.getByLabel('Clock', { exact: true }).selectOption('3600');
    await tab.getByLabel('Duration (simulated)').selectOption({ label: 'Until stopped' });
    await expect.poll(() => tab.getByTestId('preview-table').locator('tbody tr').count()).toBe(8);
    await tab.getByRole('button', { name: 'Start streaming job' }).click();
    await tab.waitForURL(/#\/monitor\/.+/);
    const layer = (label: string) => async (): Promise<number> =>
      number(await tab.getByTestId('pipeline-panel').locator('.stat', { hasText: label }).locator('.stat-value').first().textContent({ timeout: 2_000 }).catch(() => '0'));
    // The stage rolls a file every 10 s; the server's pipeline loads it into bronze and refreshes silver and gold.
    await expect.poll(layer('silver rows'), { timeout: 60_000, interval: 1_000 }).toBeGreaterThan(0);
    expect(await layer('bronze rows')()).toBeGreaterThan(0);
    await expect.poll(layer('gold_usage_hourly rows'), { timeout: 30_000 }).toBeGreaterThan(0);
    await tab.screenshot({ path: join(ARTIFACTS, 'monitor-pipeline.png'), fullPage: true });
    await tab.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(textOf(tab.locator('.jobhead .badge')), { timeout: 30_000 }).toBe('stopped');
    expect(notFound).toEqual([]);
    await tab.close();
  }, 120_000);
});
