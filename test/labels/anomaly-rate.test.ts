import { describe, expect, it } from 'vitest';
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { achievedRates, LabelCollector } from '../../src/generator/anomaly-labels.js';
import { ANOMALY_KINDS } from '../../src/scenario/anomaly-rate.js';
import { resolveScenario, scenarioToInput, type Scenario } from '../../src/scenario/scenario.js';
import { isForgeError } from '../../src/util/forge-error.js';

async function run(scenario: Scenario): Promise<{ rates: ReturnType<typeof achievedRates>; checksum: number }> {
  const collector = new LabelCollector(scenario, buildFleet(scenario));
  let checksum = 0;
  for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0 })) {
    collector.add(batch);
    for (let i = 0; i < batch.length; i++) checksum = (checksum * 31 + batch.usageKwh[i]! * 1000 + batch.eventType[i]! + batch.voltage[i]!) % 1_000_000_007;
    if (unit.lastOfDay) collector.endDay();
    release();
  }
  collector.finish();
  return { rates: achievedRates(collector.begunByType(), scenario.meters * scenario.days), checksum };
}

const base = { meters: 400, days: 30, start: '2025-05-01', interval: 30, seed: 3, mix: '100/0/0' } as const;

describe('anomalyRate', () => {
  it('takes one rate for every kind, kind=rate pairs or an object, and keeps only the kinds given', () => {
    expect(resolveScenario({ ...base, anomalyRate: '0.01' }).anomalyRate).toEqual(Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0.01])));
    expect(resolveScenario({ ...base, anomalyRate: 'theft=0.002, meter_fault=0.001' }).anomalyRate).toEqual({ theft: 0.002, meter_fault: 0.001 });
    expect(resolveScenario({ ...base, anomalyRate: { comm_gap: 0 } }).anomalyRate).toEqual({ comm_gap: 0 });
    // Absent: no key at all, so the scenario (and its record) is the one it was before the setting existed.
    expect('anomalyRate' in resolveScenario(base)).toBe(false);
    const s = resolveScenario({ ...base, anomalyRate: 'voltage_sag=0.1' });
    expect(resolveScenario(scenarioToInput(s))).toEqual(s);
  });

  it.each([
    ['theft=2', /at most 1/],
    ['theft=-0.1', /at least 0/],
    ['burglary=0.1', /burglary/],
    ['theft=lots', /anomalyRate/],
    ['theft', /anomalyRate/],
  ])('refuses %s with a clear error', (text, message) => {
    let caught: unknown;
    try {
      resolveScenario({ ...base, anomalyRate: text });
    } catch (e) {
      caught = e;
    }
    expect(isForgeError(caught) && caught.code === 'FORGE_ERR_INVALID_CONFIG').toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/anomalyRate/);
  });

  it('raises and lowers what is injected, and the achieved rate follows the rate asked for', async () => {
    const asked = { theft: 0.004, meter_fault: 0.01, comm_gap: 0.1, usage_spike: 0.05, voltage_sag: 0.02, voltage_swell: 0 };
    const { rates } = await run(resolveScenario({ ...base, anomalyRate: asked }));
    expect(rates.voltage_swell).toBe(0);
    // 12,000 meter-days: a rate of 0.01 or more is met within 30%. Per-reading kinds and gaps are one window an event.
    for (const kind of ['meter_fault', 'comm_gap', 'usage_spike', 'voltage_sag'] as const) {
      expect(rates[kind]).toBeGreaterThan(asked[kind] * 0.7);
      expect(rates[kind]).toBeLessThan(asked[kind] * 1.3);
    }
    // Theft episodes start once a 30-day block at most, and one under way hides another: within half and 1.3 times.
    expect(rates.theft).toBeGreaterThan(asked.theft * 0.5);
    expect(rates.theft).toBeLessThan(asked.theft * 1.3);
    const none = await run(resolveScenario({ ...base, anomalyRate: 0 }));
    for (const kind of ANOMALY_KINDS) expect(none.rates[kind]).toBe(0);
  });

  it('given as the model\'s own rates, changes nothing; any other rate changes the data', async () => {
    const plain = await run(resolveScenario(base));
    // The defaults per meter-day at 30 minutes: spikes 0.0002, sags 0.0003, swells 0.0001 a reading (48 a day).
    const same = await run(resolveScenario({ ...base, anomalyRate: { meter_fault: 0.0004, comm_gap: 0.03 } }));
    expect(same.checksum).toBe(plain.checksum);
    const more = await run(resolveScenario({ ...base, anomalyRate: { meter_fault: 0.01 } }));
    expect(more.checksum).not.toBe(plain.checksum);
    expect(more.rates.meter_fault).toBeGreaterThan(plain.rates.meter_fault * 5);
  });
});
