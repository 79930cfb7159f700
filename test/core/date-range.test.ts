import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { generationDays } from '../../src/generator/calendar.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { FIRST_DATE, LAST_DATE } from '../../src/scenario/scenario-schema.js';
import { SERVICE_AREA_NAMES } from '../../src/scenario/service-areas.js';
import { ForgeError } from '../../src/util/forge-error.js';
import { runForge } from '../support/run-forge.js';

const DAY_MS = 86_400_000;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const plusDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

describe('scenario dates: 1900-01-01 to 2199-12-31, last day included (issue 12, case 12)', () => {
  it('a scenario is accepted exactly when its first and last days are in range, and then covers exactly those days', () => {
    // Years across the whole four-digit range, weighted towards the edges where JavaScript's calendar misleads
    // (two-digit years read as 19xx) and the range ends.
    const year = fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1890, max: 1910 }), fc.integer({ min: 2190, max: 2210 }), fc.integer({ min: 0, max: 99 }));
    const input = fc.record({
      year,
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 28 }),
      days: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 400 }), fc.constant(3_660)),
      area: fc.constantFrom(...SERVICE_AREA_NAMES),
    });
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(input, ({ year: y, month, day, days, area }) => {
        const start = `${pad(y, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        const last = start >= '0100' ? plusDays(start, days - 1) : null;
        const inRange = start >= FIRST_DATE && last !== null && last <= LAST_DATE;
        let scenario;
        try {
          scenario = resolveScenario({ start, days, meters: 1, area });
        } catch (e) {
          expect(e).toBeInstanceOf(ForgeError);
          expect((e as ForgeError).code).toBe('FORGE_ERR_INVALID_CONFIG');
          expect((e as Error).message).toMatch(/^Invalid configuration: (start|days): /);
          expect(inRange, `${start} + ${days} days was refused: ${(e as Error).message}`).toBe(false);
          refused++;
          return;
        }
        expect(inRange, `${start} + ${days} days was accepted`).toBe(true);
        accepted++;
        const calendar = generationDays(scenario);
        expect(calendar[0]!.localDate).toBe(start);
        // The scenario runs days x 24 hours of real time from local midnight (scenario.ts): a spring-forward day in
        // the range moves the end one hour into the next local day.
        expect([last, plusDays(last!, 1)]).toContain(calendar.at(-1)!.localDate);
      }),
      { seed: 1205, numRuns: 250 },
    );
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  describe('from the CLI: exit 2 naming the field, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-dates-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const cases: [string, string[], RegExp][] = [
      ['a two-digit year', ['generate', '--meters', '2', '--days', '1', '--start', '0050-03-01'], /start: outside the supported dates 1900-01-01 to 2199-12-31/],
      ['the last day past 2199', ['generate', '--meters', '2', '--days', '2', '--start', '2199-12-31'], /days: 2 days from 2199-12-31 end on 2200-01-01/],
      ['year 9999', ['generate', '--meters', '2', '--days', '2', '--start', '9999-12-31'], /start: outside the supported dates/],
      ['a stream from year 50', ['stream', '--meters', '2', '--from', '0050-03-01T00:00:00Z', '--duration', '1h', '--speed', 'max'], /from "0050-03-01T00:00:00Z" is outside the supported dates/],
      ['a storm before 1900', ['generate', '--meters', '2', '--days', '1', '--start', '2026-01-01', '--storm', '1899-06-01'], /storm: outside the supported dates/],
    ];
    for (const [name, args, message] of cases) {
      it(name, () => {
        const out = join(dir, name.replace(/\W+/g, '-'));
        const run = runForge([...args, '--sink', args[0] === 'stream' ? 'duckdb' : 'parquet', '--out', out], dir);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(out)).toBe(false);
      });
    }
  });
});
