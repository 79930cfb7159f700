import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_MIN_EV_HOMES, DEMO_MIN_PV_HOMES } from '../../src/fleet/demo-homes.js';
import { LABEL_TYPES, LabelCollector, type LabelType } from '../../src/generator/anomaly-labels.js';
import { generationDays } from '../../src/generator/calendar.js';
import { DEMO_PER_KIND, DEMO_WEEK_DAYS } from '../../src/generator/demo-events.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { eventCode } from '../../src/scenario/enums.js';
import { resolveScenario, scenarioToInput, type Scenario } from '../../src/scenario/scenario.js';
import { streamPlan } from '../../src/stream/stream-window.js';
import type { ScenarioInput } from '../../src/scenario/scenario-schema.js';
import { fleetMap } from '../../src/server/fleet-map.js';
import { ForgeError } from '../../src/util/forge-error.js';

const LAST_GASP = eventCode('LAST_GASP');
const RESTORE = eventCode('POWER_RESTORE');
const ANOMALY_LABELS: readonly LabelType[] = ['TAMPER', 'METER_FAULT', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL'];

interface Run {
  readonly windows: Record<LabelType, number>;
  /** Meters with a last gasp followed, later, by a power restore. */
  readonly gaspAndRestore: number;
  readonly events: number;
  readonly notValid: number;
  readonly outageRows: number;
  readonly pvHomes: number;
  readonly evHomes: number;
  /** A running FNV-style digest of the usage, voltage and event columns. */
  readonly digest: number;
}

/** Generates a whole scenario day by day, as a batch job does, and reads its labels and events. */
function run(scenario: Scenario): Run {
  const generator = new ReadingGenerator(scenario);
  const { fleet } = generator;
  const collector = new LabelCollector(scenario, fleet);
  const firstGasp = new Float64Array(fleet.size).fill(Number.NaN);
  const restoredAfterGasp = new Uint8Array(fleet.size);
  let events = 0;
  let notValid = 0;
  let outageRows = 0;
  let digest = 0x811c9dc5;
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, fleet.size);
    collector.add(batch);
    collector.endDay();
    for (let i = 0; i < batch.length; i++) {
      const e = batch.eventType[i]!;
      const m = batch.meterIndex[i]!;
      if (e !== 0) events++;
      if (batch.dataQuality[i] !== 0) notValid++;
      if (batch.isOutage[i]) outageRows++;
      if (e === LAST_GASP && Number.isNaN(firstGasp[m]!)) firstGasp[m] = batch.tsUtcMs[i]!;
      if (e === RESTORE && batch.tsUtcMs[i]! > firstGasp[m]!) restoredAfterGasp[m] = 1;
      digest = Math.imul(digest ^ Math.round(batch.usageKwh[i]! * 1000), 16777619) ^ Math.imul(Math.round(batch.voltage[i]! * 10), 31) ^ e;
    }
  }
  collector.finish();
  let pvHomes = 0;
  let evHomes = 0;
  for (let m = 0; m < fleet.size; m++) {
    if (fleet.segment[m] !== 0) continue;
    if (fleet.traits.pvKw[m]! > 0) pvHomes++;
    if (fleet.traits.evKw[m]! > 0) evHomes++;
  }
  return {
    windows: collector.windowsByType(),
    gaspAndRestore: restoredAfterGasp.reduce((s, v) => s + v, 0),
    events, notValid, outageRows, pvHomes, evHomes, digest,
  };
}

function expectDemo(r: Run, weeks: number): void {
  expect(r.windows.OUTAGE).toBeGreaterThanOrEqual(weeks);
  // A transformer outage takes its homes out together: each sends a last gasp, then a restore within the day.
  expect(r.gaspAndRestore).toBeGreaterThanOrEqual(2);
  for (const type of ANOMALY_LABELS) expect(r.windows[type], type).toBeGreaterThanOrEqual(DEMO_PER_KIND * weeks);
  expect(r.pvHomes).toBeGreaterThanOrEqual(DEMO_MIN_PV_HOMES);
  expect(r.evHomes).toBeGreaterThanOrEqual(DEMO_MIN_EV_HOMES);
}

describe('events: the demo presets show an outage and every kind of anomaly, for any seed', () => {
  it('the Quick Demo, with the default seed', () => {
    const s = resolveScenario({ preset: 'quick', start: '2026-10-28' });
    expect(s.events).toBe('demo');
    expectDemo(run(s), 1);
  });

  it('any seed, start date and interval (fast-check, seed 15, 16 runs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(5, 15, 30, 60),
        fc.constantFrom('TEXAS_GULF_COAST', 'CALIFORNIA_COASTAL', 'NORTHEAST_CORRIDOR', 'PACIFIC_NORTHWEST'),
        (seed, date, interval, area) => {
          const s = resolveScenario({ preset: 'quick', seed, start: date.toISOString().slice(0, 10), interval: interval as 15, area });
          expectDemo(run(s), 1);
        },
      ),
      { seed: 15, numRuns: 16 },
    );
  });

  it('every week of a longer demo (SE Demo for 3 weeks, 1,000 meters)', () => {
    const s = resolveScenario({ preset: 'se', days: 3 * DEMO_WEEK_DAYS, start: '2026-03-01', seed: 7 });
    expect(s.events).toBe('demo');
    expectDemo(run(s), 3);
  });

  it('a small fleet still gets its events (12 meters, 2 days)', () => {
    const s = resolveScenario({ preset: 'quick', meters: 12, days: 2, start: '2026-06-01', seed: 3 });
    const r = run(s);
    expect(r.gaspAndRestore).toBeGreaterThanOrEqual(1);
    for (const type of ANOMALY_LABELS) expect(r.windows[type], type).toBeGreaterThanOrEqual(1);
  });
});

describe('a demo day is a pure function of (scenario, meter, interval)', () => {
  it('any block of meters, generated alone, equals the same meters of the whole day (generated cuts)', () => {
    const s = resolveScenario({ preset: 'quick', start: '2026-10-28', seed: 11 });
    const whole = new ReadingGenerator(s);
    const days = generationDays(s);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: days.length - 1 }), fc.integer({ min: 1, max: s.meters - 1 }), (d, cut) => {
        const all = whole.generate(days[d]!, 0, s.meters);
        const alone = new ReadingGenerator(s);
        const second = alone.generate(days[d]!, cut, s.meters);
        const offset = cut * days[d]!.intervals;
        expect(Array.from(second.eventType)).toEqual(Array.from(all.eventType.subarray(offset)));
        expect(Array.from(second.usageKwh)).toEqual(Array.from(all.usageKwh.subarray(offset)));
        expect(Array.from(second.voltage)).toEqual(Array.from(all.voltage.subarray(offset)));
      }),
      { seed: 17, numRuns: 10 },
    );
  });
});

describe('events: none is a quiet fleet, natural the model alone', () => {
  it('a quiet fleet has no outage, anomaly or estimated read: every reading VALID with no event (generated seeds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom<ScenarioInput>({ events: 'none' }, { quietFleet: true }), (seed, quiet) => {
        const r = run(resolveScenario({ preset: 'quick', seed, start: '2026-10-28', ...quiet }));
        expect(r).toMatchObject({ events: 0, notValid: 0, outageRows: 0 });
        for (const type of LABEL_TYPES) expect(r.windows[type]).toBe(0);
      }),
      { seed: 16, numRuns: 6 },
    );
  });

  it('natural is what a scenario without a demo preset generates, byte for byte; demo and none differ from it', () => {
    const base = { meters: 100, days: 7, start: '2026-10-28', seed: 42 } as const;
    const plain = run(resolveScenario(base));
    expect(resolveScenario(base).events).toBe('natural');
    expect(run(resolveScenario({ ...base, preset: 'quick', events: 'natural' })).digest).toBe(plain.digest);
    expect(run(resolveScenario({ ...base, preset: 'quick' })).digest).not.toBe(plain.digest);
    expect(run(resolveScenario({ ...base, events: 'none' })).digest).not.toBe(plain.digest);
  });
});

describe('events in the scenario', () => {
  it('defaults to demo for quick and se, natural for enterprise, ml and sized scenarios', () => {
    expect(resolveScenario({}).events).toBe('demo');
    expect(resolveScenario({ preset: 'se' }).events).toBe('demo');
    expect(resolveScenario({ preset: 'enterprise' }).events).toBe('natural');
    expect(resolveScenario({ preset: 'ml' }).events).toBe('natural');
    expect(resolveScenario({ meters: 10 }).events).toBe('natural');
    expect(resolveScenario({ fleet: 'demo-1k' }).events).toBe('natural');
    expect(resolveScenario({ meters: 10, events: 'DEMO' }).events).toBe('demo');
    expect(resolveScenario({ preset: 'quick', quietFleet: 'true' }).events).toBe('none');
    expect(resolveScenario({ preset: 'quick', quietFleet: false }).events).toBe('demo');
  });

  it('survives a job record (scenarioToInput) and a stream plan, which drops the preset', () => {
    for (const input of [{ preset: 'quick' }, { preset: 'se', quietFleet: true }, { meters: 7, events: 'demo' }] as ScenarioInput[]) {
      const s = resolveScenario({ start: '2026-01-01', ...input });
      expect(resolveScenario(scenarioToInput(s))).toEqual(s);
      expect(streamPlan(s, Date.parse('2026-05-01T12:00:00Z'), null, true).scenario.events).toBe(s.events);
    }
  });

  it('refuses a quiet fleet with a storm or an anomaly rate, an unknown mode, and quietFleet against another mode', () => {
    const refused: [ScenarioInput, RegExp][] = [
      [{ events: 'none', storm: true }, /storm: a quiet fleet/],
      [{ quietFleet: true, anomalyRate: 'theft=0.01' }, /anomalyRate: a quiet fleet/],
      [{ events: 'loud' as 'none' }, /events: expected one of demo, natural, none/],
      [{ events: 'demo', quietFleet: true }, /quietFleet: .*events is demo/],
      [{ quietFleet: 'yes' as unknown as boolean }, /quietFleet: expected true or false/],
    ];
    for (const [input, message] of refused) {
      let error: unknown;
      try {
        resolveScenario({ meters: 5, ...input });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(input)).toBeInstanceOf(ForgeError);
      expect((error as ForgeError).code).toBe('FORGE_ERR_INVALID_CONFIG');
      expect((error as Error).message).toMatch(message);
    }
    // A zero rate is no anomaly: allowed with a quiet fleet.
    expect(resolveScenario({ events: 'none', anomalyRate: 0 }).events).toBe('none');
  });
});

describe("Generate's fleet map agrees with the events", () => {
  it('marks the demo outage\'s meters dark, and no meter of a quiet fleet', () => {
    const demo = fleetMap(resolveScenario({ preset: 'quick', start: '2026-10-28', seed: 4 }));
    const natural = fleetMap(resolveScenario({ preset: 'quick', start: '2026-10-28', seed: 4, events: 'natural' }));
    const dark = (m: { outage: number[] }): number => m.outage.reduce((s, v) => s + v, 0);
    // The demo's transformer serves three homes or more, on top of whatever the natural draws darken.
    expect(dark(demo)).toBeGreaterThanOrEqual(dark(natural) + 3);
    expect(dark(fleetMap(resolveScenario({ preset: 'quick', start: '2026-10-28', seed: 4, quietFleet: true })))).toBe(0);
  });
});
