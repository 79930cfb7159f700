import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { emissionDaySource } from '../../src/stream/emission-day-source.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 3, meters: 40, seed: 2 });
const days = generationDays(scenario);
const options = {
  scenario,
  fleet: buildFleet(scenario),
  settings: resolveEmission('DEGRADED_NETWORK'),
  window: { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) },
  days,
};

describe('emission day source', () => {
  it('a day that cannot be made fails with FORGE_ERR_WORKER naming why, and so does every day after it', async () => {
    const source = emissionDaySource({ ...options, workers: 1 });
    try {
      // The first day is made on the calling thread; a broken later day fails in the worker.
      expect((await source.get(days[0]!)).readings).toBe(40 * 96);
      const broken = { ...days[1]!, index: 99, intervals: -1 };
      await expect(source.get(broken)).rejects.toMatchObject({ code: 'FORGE_ERR_WORKER', message: expect.stringMatching(/Invalid typed array length|RangeError/) });
      await expect(source.get(days[2]!)).rejects.toMatchObject({ code: 'FORGE_ERR_WORKER' });
    } finally {
      await source.close();
    }
  });

  it('makes the same days in a worker as on the calling thread, and none once closed', async () => {
    const here = emissionDaySource({ ...options, workers: 0 });
    const there = emissionDaySource({ ...options, workers: 1 });
    for (const day of days) {
      const [a, b] = [await here.get(day), await there.get(day)];
      expect(b.readings).toBe(a.readings);
      expect(Buffer.from(b.ordered.usageKwh.buffer).equals(Buffer.from(a.ordered.usageKwh.buffer))).toBe(true);
      expect(Buffer.from(b.ordered.emittedUtcMs.buffer).equals(Buffer.from(a.ordered.emittedUtcMs.buffer))).toBe(true);
      expect(Array.from(b.rows.eventType)).toEqual(Array.from(a.rows.eventType));
    }
    await Promise.all([here.close(), there.close()]);
    await expect(there.get(days[0]!)).rejects.toThrow(/closed/);
    await expect(here.get(days[0]!)).rejects.toThrow(/closed/);
  });

  it('an idle day worker does not keep the process alive: a process that never closes its source still exits', () => {
    const child = fileURLToPath(new URL('../support/day-source-child.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), child], { encoding: 'utf8', timeout: 30_000 });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect({ status: result.status, out: result.stdout.trim() }).toEqual({ status: 0, out: String(2 * 30 * 96) });
  });
});
