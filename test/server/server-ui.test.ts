import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server-jobs.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import type { FleetMap } from '../../src/server/fleet-map.js';
import { registerUiRoutes } from '../../src/server/ui-routes.js';
import { ensureUiBuilt } from '../support/browser.js';

const t = useTestServer('forge-server-ui-');
const { dir } = t;

beforeAll(() => {
  ensureUiBuilt();
});

describe('the UI pages', () => {
  it('are served at / with a content security policy that allows no inline or foreign script', async () => {
    const page = await t.server.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<div id="app">');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await t.server.inject({ url: `/${script}` });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('leave the API its JSON errors (an unknown /api route is not a page)', async () => {
    const res = await t.server.inject({ url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'FORGE_ERR_NOT_FOUND' });
  });

  it('answer 503 with how to build them when the UI is not built', async () => {
    const app = Fastify();
    await registerUiRoutes(app, join(dir, 'no-build'));
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
    // A build that appears later is served by a server started after it.
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    const built = Fastify();
    await registerUiRoutes(built, dir);
    expect((await built.inject({ url: '/' })).statusCode).toBe(200);
    await built.close();
  });
});

describe('POST /api/fleet-map', () => {
  it('places every meter of a small fleet, with segments, and flags exactly the meters whose readings show an outage', async () => {
    const input = { meters: 400, days: 3, start: '2026-07-07', area: 'ERCOT', seed: 11, storm: '2026-07-08' };
    const res = await t.server.inject({ method: 'POST', url: '/api/fleet-map', payload: { scenario: input } });
    expect(res.statusCode).toBe(200);
    const map = res.json<FleetMap>();
    expect(map).toMatchObject({ meters: 400, shown: 400, segments: ['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL'] });
    expect(map.latitude).toHaveLength(400);
    for (const lat of map.latitude) expect(Math.abs(lat - 29.76)).toBeLessThan(1);

    // The generator's own readings: a meter is flagged when any of its readings is in outage.
    const scenario = resolveScenario(input);
    const generator = new ReadingGenerator(scenario);
    const dark = new Set<number>();
    for (const day of generationDays(scenario)) {
      const batch = generator.generate(day, 0, scenario.meters);
      for (let m = 0; m < scenario.meters; m++) {
        for (let t = 0; t < day.intervals; t++) if (batch.isOutage[m * day.intervals + t]) dark.add(m);
      }
    }
    const flagged = new Set(map.outage.flatMap((o, m) => (o === 1 ? [m] : [])));
    expect(dark.size).toBeGreaterThan(0);
    expect(flagged).toEqual(dark);
  });

  it('shows an even sample of at most 10,000 meters of a 100,000-meter fleet', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/fleet-map', payload: { scenario: { meters: 100_000 } } });
    const map = res.json<FleetMap>();
    expect(map.meters).toBe(100_000);
    expect(map.shown).toBe(10_000);
    const counts = [0, 0, 0];
    for (const s of map.segment) counts[s]! += 1;
    // The sample keeps the fleet's mix (70/20/10 by default) within a couple of points.
    expect(counts[0]! / 10_000).toBeCloseTo(0.7, 1);
  });

  it('is computed off the main thread: /health answers while a 300,000-meter fleet is being built', async () => {
    let mapDone = false;
    const map = t.server.inject({ method: 'POST', url: '/api/fleet-map', payload: { scenario: { meters: 300_000, seed: 987_654 } } }).then((r) => {
      mapDone = true;
      return r;
    });
    // Let the map's handler start: on the main thread it would hold the event loop (and this timer) for seconds.
    await sleep(200);
    const health = await t.server.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(mapDone).toBe(false);
    const answer = await map;
    expect(answer.statusCode).toBe(200);
    expect(answer.json<FleetMap>().meters).toBe(300_000);
  });

  it('refuses a bad scenario with the field named and no map', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/api/fleet-map', payload: { scenario: { meters: -5 } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('meters');
  });
});
