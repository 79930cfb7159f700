import { describe, expect, it } from 'vitest';
import { PRESETS, FLEET_PRESETS } from '../../src/scenario/presets.js';
import { expectedRows, intervalsPerMeter, resolveScenario, scenarioToInput, type Scenario } from '../../src/scenario/scenario.js';
import { SERVICE_AREA_NAMES, SERVICE_AREAS } from '../../src/scenario/service-areas.js';
import { ForgeError } from '../../src/util/forge-error.js';

/** Runs resolveScenario expecting a config error; returns it. */
function configError(input: unknown): ForgeError {
  try {
    resolveScenario(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ForgeError);
    const e = error as ForgeError;
    expect(e.code).toBe('FORGE_ERR_INVALID_CONFIG');
    expect(e.exitCode).toBe(2);
    expect(e.status).toBe(400);
    return e;
  }
  throw new Error(`resolveScenario accepted ${JSON.stringify(input)}`);
}

describe('resolveScenario: presets', () => {
  const cases = [
    ['quick', 67_200],
    ['se', 8_640_000],
    ['enterprise', 86_400_000],
    ['ml', 350_400_000],
  ] as const;

  for (const [preset, rows] of cases) {
    it(`${preset} gives exactly ${rows.toLocaleString('en-US')} rows whatever the start date`, () => {
      // Starts chosen to put spring-forward, fall-back, a leap day and nothing special in the range.
      for (const start of ['2026-03-01', '2026-10-20', '2024-02-01', '2023-06-15', '2025-12-31']) {
        const s = resolveScenario({ preset, start });
        expect(s.preset).toBe(preset);
        expect(s.meters).toBe(PRESETS[preset].meters);
        expect(s.days).toBe(PRESETS[preset].days);
        expect(s.intervalMinutes).toBe(15);
        expect(expectedRows(s)).toBe(rows);
      }
    });
  }

  it('uses the quick preset when nothing sizes the job', () => {
    const s = resolveScenario({}, { now: new Date('2026-05-05T12:00:00Z') });
    expect(s.preset).toBe('quick');
    expect(expectedRows(s)).toBe(67_200);
    expect(resolveScenario(undefined, { now: new Date('2026-05-05T12:00:00Z') })).toEqual(s);
  });

  it('fleet presets set the number of meters', () => {
    for (const [name, fleet] of Object.entries(FLEET_PRESETS)) {
      const s = resolveScenario({ fleet: name, start: '2026-01-01' });
      expect(s.meters).toBe(fleet.meters);
      expect(s.preset).toBeNull();
      expect(s.days).toBe(PRESETS.quick.days);
    }
    expect(resolveScenario({ fleet: 'substation-10k', start: '2026-01-01' }).meters).toBe(10_000);
  });

  it('explicit values override the preset and the fleet preset', () => {
    const s = resolveScenario({ preset: 'se', meters: 50, start: '2026-01-01' });
    expect(s.meters).toBe(50);
    expect(s.days).toBe(90);
    expect(expectedRows(s)).toBe(50 * 90 * 96);

    const t = resolveScenario({ preset: 'ml', days: 2, interval: 60, start: '2026-01-01' });
    expect(t.meters).toBe(10_000);
    expect(t.days).toBe(2);
    expect(intervalsPerMeter(t)).toBe(48);
    expect(expectedRows(t)).toBe(480_000);

    expect(resolveScenario({ fleet: 'demo-1k', meters: 7, start: '2026-01-01' }).meters).toBe(7);
    expect(resolveScenario({ meters: 3, start: '2026-01-01' }).days).toBe(PRESETS.quick.days);
  });

  it('applies every default and freezes the result', () => {
    const s = resolveScenario({ start: '2026-01-01' });
    expect(s).toMatchObject({ area: 'TEXAS_GULF_COAST', seed: 42, idPrefix: 'MTR', segment: null, emissionPattern: 'UNIFORM', intervalMinutes: 15 });
    for (const k of ['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL'] as const) expect(s.mix[k]).toBeCloseTo(SERVICE_AREAS.TEXAS_GULF_COAST.mix[k], 12);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.mix)).toBe(true);
  });

  it('accepts numbers given as text (CLI flags)', () => {
    const s = resolveScenario({ meters: '12', days: '3', interval: '5', seed: '7', start: '2026-01-01' });
    expect([s.meters, s.days, s.intervalMinutes, s.seed]).toEqual([12, 3, 5, 7]);
  });

  it('scenarioToInput reproduces the scenario exactly, the mix included, however often it is re-resolved', () => {
    for (const area of SERVICE_AREA_NAMES) {
      for (const mix of [undefined, '88/11/1', '1/1/1', '70/20/10', '0.1/0.2/0.3', '7/0/13', '50/50/0']) {
        const first = resolveScenario({ area, start: '2026-01-01', ...(mix ? { mix } : {}) });
        let s = first;
        for (let round = 0; round < 3; round++) {
          const again = resolveScenario(scenarioToInput(s));
          expect(again, `${area} ${mix} round ${round}`).toEqual(first);
          s = again;
        }
      }
    }
  });

  it('round-trips through scenarioToInput', () => {
    const s = resolveScenario({ preset: 'se', area: 'CAISO', segment: 'commercial', mix: '50/40/10', seed: 9, idPrefix: 'ACME', start: '2026-04-01', interval: 30 });
    expect(resolveScenario(scenarioToInput(s))).toEqual(s);
  });
});

describe('resolveScenario: default start', () => {
  it('is the given number of days ending yesterday in the area time zone', () => {
    // 03:00 UTC on 10 June is still 9 June in Houston (UTC-5): yesterday there is 8 June.
    const now = new Date('2026-06-10T03:00:00Z');
    expect(resolveScenario({ days: 7 }, { now }).start).toBe('2026-06-02');
    expect(resolveScenario({ days: 1 }, { now }).start).toBe('2026-06-08');
    // Same instant in New York (UTC-4): 23:00 on 9 June, so yesterday is 8 June there too.
    expect(resolveScenario({ days: 1, area: 'NORTHEAST_CORRIDOR' }, { now }).start).toBe('2026-06-08');
    // 04:30 UTC: 00:30 on 10 June in New York, 23:30 on 9 June in Houston: the two areas disagree about yesterday.
    const later = new Date('2026-06-10T04:30:00Z');
    expect(resolveScenario({ days: 1, area: 'NORTHEAST_CORRIDOR' }, { now: later }).start).toBe('2026-06-09');
    expect(resolveScenario({ days: 1, area: 'TEXAS_GULF_COAST' }, { now: later }).start).toBe('2026-06-08');
  });

  it('uses the preset day count, across a year boundary', () => {
    const now = new Date('2026-01-05T18:00:00Z');
    const s = resolveScenario({ preset: 'se' }, { now });
    expect(s.start).toBe('2025-10-07');
    // 90 days from 7 October end on 4 January, yesterday.
    const end = new Date(`${s.start}T00:00:00Z`).getTime() + 90 * 86_400_000;
    expect(new Date(end).toISOString().slice(0, 10)).toBe('2026-01-05');
  });

  it('an explicit start wins over now', () => {
    expect(resolveScenario({ start: '2020-02-29' }, { now: new Date('2026-01-01T00:00:00Z') }).start).toBe('2020-02-29');
  });
});

describe('resolveScenario: areas, segments, mix', () => {
  it('accepts areas by name and by ISO, case-insensitively', () => {
    for (const name of SERVICE_AREA_NAMES) {
      const area = SERVICE_AREAS[name];
      expect(resolveScenario({ area: name, start: '2026-01-01' }).area).toBe(name);
      expect(resolveScenario({ area: area.iso, start: '2026-01-01' }).area).toBe(name);
      expect(resolveScenario({ area: area.iso.toLowerCase(), start: '2026-01-01' }).area).toBe(name);
      expect(resolveScenario({ area: ` ${name.toLowerCase()} `, start: '2026-01-01' }).area).toBe(name);
    }
    expect(resolveScenario({ area: 'ERCOT', start: '2026-01-01' }).area).toBe('TEXAS_GULF_COAST');
    expect(resolveScenario({ area: 'CAISO', start: '2026-01-01' }).area).toBe('CALIFORNIA_COASTAL');
    expect(resolveScenario({ area: 'NYISO', start: '2026-01-01' }).area).toBe('NORTHEAST_CORRIDOR');
    expect(resolveScenario({ area: 'MISO', start: '2026-01-01' }).area).toBe('MIDWEST_GREAT_LAKES');
    expect(resolveScenario({ area: 'SERC', start: '2026-01-01' }).area).toBe('SOUTHEAST_SUNBELT');
    expect(resolveScenario({ area: 'BPA', start: '2026-01-01' }).area).toBe('PACIFIC_NORTHWEST');
  });

  it('uses the area mix by default, normalised to sum to 1', () => {
    for (const name of SERVICE_AREA_NAMES) {
      const s = resolveScenario({ area: name, start: '2026-01-01' });
      expect(s.mix.RESIDENTIAL + s.mix.COMMERCIAL + s.mix.INDUSTRIAL).toBeCloseTo(1, 12);
      expect(s.mix.RESIDENTIAL).toBeCloseTo(SERVICE_AREAS[name].mix.RESIDENTIAL, 12);
    }
  });

  it('normalises --mix given as percent, as fractions or as an object', () => {
    const expected = { RESIDENTIAL: 0.88, COMMERCIAL: 0.11, INDUSTRIAL: 0.01 };
    const check = (s: Scenario): void => {
      expect(s.mix.RESIDENTIAL).toBeCloseTo(expected.RESIDENTIAL, 12);
      expect(s.mix.COMMERCIAL).toBeCloseTo(expected.COMMERCIAL, 12);
      expect(s.mix.INDUSTRIAL).toBeCloseTo(expected.INDUSTRIAL, 12);
    };
    check(resolveScenario({ mix: '88/11/1', start: '2026-01-01' }));
    check(resolveScenario({ mix: ' 88 / 11 / 1 ', start: '2026-01-01' }));
    check(resolveScenario({ mix: '0.88/0.11/0.01', start: '2026-01-01' }));
    check(resolveScenario({ mix: { RESIDENTIAL: 88, COMMERCIAL: 11, INDUSTRIAL: 1 }, start: '2026-01-01' }));
    check(resolveScenario({ mix: '44/5.5/0.5', start: '2026-01-01' }));
  });

  it('accepts a segment in any case', () => {
    expect(resolveScenario({ segment: 'commercial', start: '2026-01-01' }).segment).toBe('COMMERCIAL');
    expect(resolveScenario({ segment: 'Industrial', start: '2026-01-01' }).segment).toBe('INDUSTRIAL');
  });
});

describe('resolveScenario: bad input', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { meterz: 10 }, /unknown key "meterz"/],
    ['meters 0', { meters: 0 }, /meters: .*>=\s*1/],
    ['meters 1,000,001', { meters: 1_000_001 }, /meters: .*<=\s*1000000/],
    ['meters not an integer', { meters: 2.5 }, /meters: /],
    ['meters as junk text', { meters: 'many' }, /meters: /],
    ['days 0', { days: 0 }, /days: /],
    ['days too many', { days: 3_661 }, /days: /],
    ['interval 10', { interval: 10 }, /interval: expected one of 5, 15, 30, 60/],
    ['bad date 2026-02-30', { start: '2026-02-30' }, /start: not a calendar date/],
    ['date in the wrong format', { start: '01/02/2026' }, /start: expected a date as YYYY-MM-DD/],
    ['unknown area', { area: 'ATLANTIS' }, /area: unknown service area "ATLANTIS"/],
    ['bad segment', { segment: 'FARM' }, /segment: .*RESIDENTIAL/],
    ['mix with two parts', { mix: '88/12' }, /mix: /],
    ['mix with junk', { mix: 'lots/some/few' }, /mix: /],
    ['mix negative', { mix: '-1/50/51' }, /mix\.RESIDENTIAL: /],
    ['mix all zero', { mix: '0/0/0' }, /mix: shares must not all be zero/],
    ['mix object missing a key', { mix: { RESIDENTIAL: 1, COMMERCIAL: 1 } }, /mix/],
    ['mix object with an extra key', { mix: { RESIDENTIAL: 1, COMMERCIAL: 1, INDUSTRIAL: 1, AGRICULTURAL: 1 } }, /mix/],
    ['segment with a zero share', { segment: 'INDUSTRIAL', mix: '90/10/0' }, /segment: INDUSTRIAL has a share of 0/],
    ['seed negative', { seed: -1 }, /seed: /],
    ['seed too big', { seed: 2 ** 32 }, /seed: /],
    ['seed fractional', { seed: 1.5 }, /seed: /],
    ['seed as a word', { seed: 'lucky' }, /seed: /],
    ['lower-case id prefix', { idPrefix: 'mtr' }, /idPrefix: /],
    ['unknown preset', { preset: 'huge' }, /preset: /],
    ['unknown fleet preset', { fleet: 'city-1m' }, /fleet: /],
    ['unknown emission pattern', { emissionPattern: 'BURSTY' }, /emissionPattern: /],
    ['not an object', 'quick', /\(input\)/],
  ];

  for (const [what, input, message] of cases) {
    it(`rejects ${what} with a message naming the field`, () => {
      expect(configError(input).message).toMatch(message);
    });
  }

  it('says what a bad --mix should look like', () => {
    // An empty part is a typo, not a zero share.
    for (const mix of ['88/12', 'lots/some/few', '88-11-1', '88//12', '88/11/']) {
      expect(configError({ mix }).message).toMatch(/mix: .*88\/11\/1/);
    }
  });

  it('rejects a segment filter that needs more meter ids than exist (ids have 7 digits)', () => {
    // 1,000,000 industrial meters at California's 7% share walk about 14.3 million meters of the whole utility:
    // ids would grow an eighth digit, and a tiny share (0.1%) would walk a billion meters and exhaust memory.
    expect(configError({ meters: 1_000_000, segment: 'INDUSTRIAL', area: 'CAISO' }).message).toMatch(/segment: .*INDUSTRIAL/);
    expect(configError({ meters: 20_000, segment: 'INDUSTRIAL', mix: '99/0.9/0.1' }).message).toMatch(/segment: .*mix/);
    // Within the ids: 500,000 industrial meters at 10% need about 5 million.
    expect(resolveScenario({ meters: 500_000, segment: 'INDUSTRIAL', start: '2026-01-01' }).meters).toBe(500_000);
    expect(resolveScenario({ meters: 1_000_000, segment: 'RESIDENTIAL', start: '2026-01-01' }).meters).toBe(1_000_000);
  });

  it('reports every bad field at once', () => {
    const message = configError({ meters: 0, interval: 10, area: 'ATLANTIS' }).message;
    expect(message).toMatch(/meters: /);
    expect(message).toMatch(/interval: /);
    expect(message).toMatch(/area: /);
  });
});
