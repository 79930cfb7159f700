import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { brokerGate, type BrokerGate } from './brokers.js';

/** Debian's Chromium (apt-get install -y chromium), or FORGE_CHROMIUM; never a browser a tool downloads. */
export const CHROMIUM = process.env.FORGE_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (a CI artifact). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

const UI_INDEX = fileURLToPath(new URL('../../dist/ui/index.html', import.meta.url));
const UI_SOURCES = fileURLToPath(new URL('../../ui/src/', import.meta.url));

/** Runs the browser suites when Chromium is installed; on CI its absence is a failure, as for the services. */
export function browserGate(): BrokerGate {
  const available = existsSync(CHROMIUM);
  return brokerGate('Chromium', CHROMIUM, { available, reason: available ? '' : 'not installed (apt-get install -y chromium)' });
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The newest modification time of the UI's sources (ui/src). */
function newestUiSource(dir = UI_SOURCES): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestUiSource(path) : statSync(path).mtimeMs);
  }, 0);
}

/**
 * The pages the server serves come from dist/ui: build them when a checkout has not (npm ci builds them) or when a
 * UI source changed since (a stale bundle would test yesterday's page).
 */
export function ensureUiBuilt(): void {
  if (existsSync(UI_INDEX) && statSync(UI_INDEX).mtimeMs >= newestUiSource()) return;
  const vite = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (vite.status !== 0) throw new Error('vite build of the UI failed');
}
