import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { expectedRows, resolveScenario } from '../../src/scenario/scenario.js';
import { checksumOf, generateAll } from '../support/core.js';
import { E } from '../support/realism.js';

// Three Los Angeles days with a forced storm on the middle one, PV on half the homes and EVs on half: every new
// source of randomness of the realistic model (storms, clouds, EV sessions, theft, faults, gaps, vacancies) in play.
// Hourly, to keep the checksums (hashing every row) quick.
const INPUT = { area: 'CALIFORNIA_COASTAL', start: '2025-08-14', days: 3, meters: 1_200, interval: 60, seed: 42, pvShare: 0.5, evShare: 0.5, storm: '2025-08-15' } as const;
const SCENARIO = resolveScenario(INPUT);

let referenceRun: ReturnType<typeof checksumOf> | undefined;
/** The checksum of SCENARIO generated on this thread, computed once. */
const reference = (): ReturnType<typeof checksumOf> => (referenceRun ??= checksumOf(SCENARIO, { workers: 0 }));

describe('determinism with storms, PV and EVs', () => {
  it('the scenario exercises what it claims to: storm outages, PV export and EV homes', () => {
    const fleet = buildFleet(SCENARIO);
    expect(Array.from(fleet.traits.pvKw).filter((kw) => kw > 0).length).toBeGreaterThan(200);
    expect(Array.from(fleet.traits.evKw).filter((kw) => kw > 0).length).toBeGreaterThan(200);
    let lastGasps = 0;
    let exports = 0;
    for (const batch of generateAll(SCENARIO)) {
      for (let r = 0; r < batch.length; r++) {
        if (batch.eventType[r] === E.LAST_GASP) lastGasps++;
        if (batch.usageKwh[r]! < 0) exports++;
      }
    }
    // The storm takes out whole feeders: hundreds of meters at once.
    expect(lastGasps).toBeGreaterThan(500);
    expect(exports).toBeGreaterThan(1_000);
  });

  it('gives identical checksums with 0 or 2 workers and any batch size', async () => {
    const { rows, duplicates, digest } = await reference();
    expect(rows).toBe(expectedRows(SCENARIO));
    expect(duplicates).toBe(0);
    for (const options of [
      { workers: 0, unitRows: 997 },
      { workers: 2, unitRows: 131_072 },
      { workers: 2, unitRows: 1_000, maxAhead: 1 },
    ]) {
      const run = await checksumOf(SCENARIO, options);
      expect(run.rows, JSON.stringify(options)).toBe(rows);
      expect(run.duplicates, JSON.stringify(options)).toBe(0);
      expect(run.digest, JSON.stringify(options)).toBe(digest);
    }
  }, 60_000);

  it('the options matter (each changes the checksum), and storm: true is the storm in the middle of the range', async () => {
    const { digest } = await reference();
    const { storm: _storm, ...noStorm } = INPUT;
    for (const variant of [noStorm, { ...INPUT, pvShare: 0 }, { ...INPUT, evShare: 0 }]) {
      expect((await checksumOf(resolveScenario(variant), { workers: 0 })).digest, JSON.stringify(variant)).not.toBe(digest);
    }
    const middle = resolveScenario({ ...INPUT, storm: true });
    expect(middle.storm).toBe('2025-08-15');
    expect((await checksumOf(middle, { workers: 0, unitRows: 5_000 })).digest).toBe(digest);
  });
});
