import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { householdStatistics } from '../../src/validate/household-statistics.js';
import {
  loadReferenceHouseholds,
  REFERENCE_ENV,
  REFERENCE_FILE,
  referenceDataPath,
  repositoryRoot,
} from '../../src/validate/reference-households.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const csv = (text: string): string => {
  const path = join(dir, `households-${files++}.csv`);
  writeFileSync(path, text);
  return path;
};

describe('loadReferenceHouseholds', () => {
  it('reads the wide layout (CRLF) into one series per household, timestamps as wall-clock milliseconds', () => {
    const path = csv(
      [
        'timestamp,X1,X2,X3',
        '2009-03-01 00:00:00,0.086,0.042,1.121',
        '2009-03-01 00:30:00,0.086,0.05,0',
        '2009-03-01 01:00:00,0.1,12.345678901234,0.007',
        '',
      ].join('\r\n'),
    );
    const ref = loadReferenceHouseholds(path);
    expect(ref.path).toBe(path);
    expect(ref.names).toEqual(['X1', 'X2', 'X3']);
    expect(ref.intervalMinutes).toBe(30);
    expect(Array.from(ref.wallClockMs)).toEqual([Date.UTC(2009, 2, 1, 0, 0), Date.UTC(2009, 2, 1, 0, 30), Date.UTC(2009, 2, 1, 1, 0)]);
    expect(ref.households).toHaveLength(3);
    expect(Array.from(ref.households[0]!)).toEqual([0.086, 0.086, 0.1]);
    expect(Array.from(ref.households[1]!)).toEqual([0.042, 0.05, 12.345678901234]);
    expect(Array.from(ref.households[2]!)).toEqual([1.121, 0, 0.007]);
  });

  it('reads LF lines without a final newline, and numbers outside the plain-decimal fast path', () => {
    const ref = loadReferenceHouseholds(csv('timestamp,a,b\n2020-01-01T00:00,1e-3, 0.5\n2020-01-01T00:15,-0.25,1234567890123456'));
    expect(ref.intervalMinutes).toBe(15);
    expect(Array.from(ref.households[0]!)).toEqual([0.001, -0.25]);
    expect(Array.from(ref.households[1]!)).toEqual([0.5, 1234567890123456]);
  });

  it('parses every plain decimal exactly as Number() does', () => {
    // Deterministic spread of decimals with 1 to 15 significant digits (a small LCG, not Math.random).
    let state = 12345;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const cells: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const digits = String(next()) + String(next());
      const text = digits.slice(0, 1 + (i % 15));
      const dot = next() % (text.length + 1);
      cells.push(dot === text.length ? text : `${text.slice(0, dot) || '0'}.${text.slice(dot)}`);
    }
    const ref = loadReferenceHouseholds(csv(`timestamp,${cells.map((_, i) => `X${i + 1}`).join(',')}\n2009-03-01 00:00:00,${cells.join(',')}\n`));
    cells.forEach((text, i) => expect(ref.households[i]![0], text).toBe(Number(text)));
  });

  it('names the line and the household of a bad value, and rejects ragged lines and uneven timestamps', () => {
    const header = 'timestamp,X1,X2\n';
    expect(() => loadReferenceHouseholds(csv(`${header}2009-03-01 00:00:00,0.1,0.2\n2009-03-01 00:30:00,0.1,NA\n`))).toThrow(/:3: household X2 has no numeric value \("NA"\)/);
    expect(() => loadReferenceHouseholds(csv(`${header}2009-03-01 00:00:00,0.1,\n`))).toThrow(/:2: household X2 has no numeric value/);
    expect(() => loadReferenceHouseholds(csv(`${header}2009-03-01 00:00:00,0.1\n`))).toThrow(/:2: expected 3 values, found 2/);
    expect(() => loadReferenceHouseholds(csv(`${header}2009-03-01 00:00:00,0.1,0.2,0.3\n`))).toThrow(/:2: more values than the 3 columns/);
    expect(() => loadReferenceHouseholds(csv(`${header}01/03/2009 00:00,0.1,0.2\n`))).toThrow(/:2: unreadable timestamp/);
    expect(() =>
      loadReferenceHouseholds(csv(`${header}2009-03-01 00:00:00,0.1,0.2\n2009-03-01 00:30:00,0.1,0.2\n2009-03-01 01:30:00,0.1,0.2\n`)),
    ).toThrow(/:4: timestamps are not evenly spaced/);
    expect(() => loadReferenceHouseholds(csv('timestamp,X1\n'))).toThrow(/at least one line of readings/);
  });

  it('says where to put the file when it is missing', () => {
    expect(() => loadReferenceHouseholds(join(dir, 'absent.csv'))).toThrow(new RegExp(`reference data not found at .*absent\\.csv.*${REFERENCE_ENV}`));
  });
});

describe('referenceDataPath', () => {
  it('defaults to ../shared/reference-data beside the repository root', () => {
    const root = repositoryRoot();
    expect(existsSync(join(root, 'src', 'validate', 'reference-households.ts'))).toBe(true);
    expect(referenceDataPath({})).toBe(resolve(root, '..', 'shared', 'reference-data', REFERENCE_FILE));
  });

  it(`follows ${REFERENCE_ENV}: a file as given, a directory joined with the file name`, () => {
    expect(referenceDataPath({ [REFERENCE_ENV]: join(dir, 'mine.csv') })).toBe(join(dir, 'mine.csv'));
    expect(referenceDataPath({ [REFERENCE_ENV]: dir })).toBe(join(dir, REFERENCE_FILE));
  });
});

// The measured file lives outside the repository; without it this test is skipped, except on CI where it must exist.
const realPath = referenceDataPath();
const realPresent = existsSync(realPath);
const mustRun = realPresent || Boolean(process.env.CI);
if (!mustRun) console.warn(`EDRP reference test skipped: ${realPath} is absent (set ${REFERENCE_ENV}, or CI to make absence a failure)`);

describe('the EDRP reference file', () => {
  it.skipIf(!mustRun)(
    `reproduces the README's statistics within 2%${realPresent ? '' : mustRun ? ' (required on CI)' : ` (skipped: ${realPath} is absent; set ${REFERENCE_ENV}, or CI to require it)`}`,
    () => {
      const ref = loadReferenceHouseholds(realPath);
      expect(ref.households).toHaveLength(622);
      expect(ref.wallClockMs).toHaveLength(4416);
      expect(ref.intervalMinutes).toBe(30);
      const s = householdStatistics(ref);
      expect(s.skippedHouseholds).toBe(0);
      const readme: [keyof typeof s, number][] = [
        ['meanKwh', 0.219],
        ['medianToMean', 0.59],
        ['p95ToMean', 3.45],
        ['householdMeanCv', 0.55],
        ['lag1Autocorrelation', 0.49],
        ['lag48Autocorrelation', 0.28],
        ['maxToMean', 10.7],
        ['weekendToWeekday', 1.05],
        ['profilePeakToTrough', 3.76],
      ];
      for (const [key, value] of readme) {
        const computed = s[key] as number;
        expect(Math.abs(computed / value - 1), `${key}: computed ${computed}, README ${value}`).toBeLessThanOrEqual(0.02);
      }
      expect(s.profilePeakHour).toBe(20);
      expect(s.profileTroughHour).toBe(3);
    },
  );
});
