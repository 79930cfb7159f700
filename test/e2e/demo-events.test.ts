import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/build-server.js';
import { browserGate, ensureUiBuilt, launchChromium } from '../support/browser.js';

// A first run from the UI, as a new user makes it: Generate's defaults (the Quick Demo, a batch into DuckDB), Start,
// and Monitor shows the outage and every kind of anomaly the demo's first week holds (issue 15).

const gate = browserGate();
const dir = mkdtempSync(join(tmpdir(), 'forge-ui-demo-'));
let server: FastifyInstance;
let browser: Browser;
let page: Page;
let base: string;

const textOf = (locator: Locator) => (): Promise<string> => locator.first().textContent({ timeout: 5_000 }).then((t) => t ?? '', () => '');
const number = (text: string): number => Number(text.replace(/[^0-9.]/g, ''));

beforeAll(async () => {
  if (!gate.run) return;
  ensureUiBuilt();
  browser = await launchChromium();
  server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(gate.run)(`the Quick Demo's first run in headless Chromium${gate.note}`, () => {
  it('Start with the defaults: Monitor shows an outage and at least three windows of each anomaly type', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await expect.poll(() => page.getByRole('radio', { name: /Quick Demo/ }).getAttribute('aria-checked')).toBe('true');
    expect(await page.getByLabel('Events').inputValue()).toBe('demo');
    await page.getByRole('button', { name: /Start batch job/ }).click();
    await page.waitForURL(/#\/monitor\/.+/);
    await expect.poll(textOf(page.locator('.jobhead .badge')), { timeout: 120_000 }).toBe('completed');
    const panel = page.getByTestId('label-panel');
    await expect.poll(textOf(panel), { timeout: 30_000 }).toContain('outage');
    const windows = async (type: string): Promise<number> => number(await textOf(panel.getByTestId(`label-${type}`).locator('.stat-value'))());
    expect(await windows('OUTAGE')).toBeGreaterThanOrEqual(1);
    for (const type of ['TAMPER', 'METER_FAULT', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL']) {
      expect(await windows(type), type).toBeGreaterThanOrEqual(3);
    }
    expect(errors).toEqual([]);
  }, 240_000);
});
