import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../../src/fleet/fleet.js';
import { DATA_QUALITIES, EVENT_TYPES } from '../../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../../src/scenario/scenario.js';
import { formatFiles, readFormatDir } from '../../../src/sinks/formats/format-files.js';
import { kwhText, wattHours, wattHoursOf } from '../../../src/sinks/formats/format-values.js';
import { MDM_COLUMNS, mdmCsvFormat, readMdmCsv } from '../../../src/sinks/formats/mdm-csv/mdm-csv-format.js';
import { withTempDir } from '../../support/fixtures.js';
import { realBatches, runFormatJob } from '../../support/format-job.js';

const fall = resolveScenario({ meters: 8, days: 3, start: '2026-10-31', seed: 5, area: 'NORTHEAST_CORRIDOR', pvShare: 0.5 });
const spring = resolveScenario({ meters: 8, days: 3, start: '2026-03-07', seed: 5, area: 'CALIFORNIA_COASTAL', pvShare: 0.5 });

interface Want {
  usage: number;
  voltage: number;
  quality: string;
  event: string | null;
  outage: boolean;
}

function expected(scenario: Scenario): Map<string, Want> {
  const fleet = buildFleet(scenario);
  const out = new Map<string, Want>();
  for (const { batch: b } of realBatches(scenario)) {
    for (let i = 0; i < b.length; i++) {
      out.set(`${fleet.meterIds[b.meterIndex[i]!]} ${b.tsUtcMs[i]}`, {
        usage: b.usageKwh[i]! + 0,
        voltage: b.voltage[i]!,
        quality: DATA_QUALITIES[b.dataQuality[i]!]!,
        event: b.eventType[i] === 0 ? null : EVENT_TYPES[b.eventType[i]! - 1]!,
        outage: b.isOutage[i] === 1,
      });
    }
  }
  return out;
}

describe('MDM interval CSV', () => {
  for (const [name, scenario] of [
    ['New York, fall back', fall],
    ['Los Angeles, spring forward', spring],
  ] as const) {
    it(`reads back every reading exactly: usage (net of PV export), voltage, quality, event, outage (${name})`, async () => {
      await withTempDir(async (dir) => {
        await runFormatJob(mdmCsvFormat, scenario, dir);
        const want = expected(scenario);
        let found = 0;
        for await (const r of readFormatDir(dir, mdmCsvFormat, { scenario, fleet: buildFleet(scenario) })) {
          const w = want.get(`${r.meterId} ${r.startUtcMs}`)!;
          expect(w, `${r.meterId} ${r.startUtcMs}`).toBeDefined();
          expect(r).toMatchObject({ usageKwh: w.usage, voltage: w.voltage, quality: w.quality, event: w.event, outage: w.outage, intervalMinutes: 15 });
          found++;
        }
        expect(found).toBe(want.size);
      });
    });
  }

  it('stamps interval ends with their UTC offset: the repeated fall-back hour is two distinct hours', async () => {
    await withTempDir(async (dir) => {
      await runFormatJob(mdmCsvFormat, fall, dir);
      const file = (await formatFiles(dir, mdmCsvFormat)).find((f) => f.includes('date=2026-11-01'))!;
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      expect(lines[0]).toBe(MDM_COLUMNS.join(','));
      const meter = lines[1]!.split(',')[0]!;
      const ends = lines.filter((l) => l.startsWith(`${meter},1,`)).map((l) => l.split(',')[4]!);
      expect(ends).toHaveLength(100);
      expect(ends).toContain('2026-11-01T01:15:00-04:00');
      expect(ends).toContain('2026-11-01T01:15:00-05:00');
      expect(ends[0]).toBe('2026-11-01T00:15:00-04:00');
      expect(ends.at(-1)).toBe('2026-11-02T00:00:00-05:00');
      expect(new Set(ends.map((e) => Date.parse(e))).size).toBe(100);
    });
  });

  it('writes the received channel only for meters that export, and the voltage channel for all', async () => {
    await withTempDir(async (dir) => {
      await runFormatJob(mdmCsvFormat, fall, dir);
      const fleet = buildFleet(fall);
      const text = (await Promise.all((await formatFiles(dir, mdmCsvFormat)).map((f) => readFile(f, 'utf8')))).join('');
      for (let m = 0; m < fleet.size; m++) {
        const id = fleet.meterIds[m]!;
        expect(text.includes(`\n${id},3,V,15,`)).toBe(true);
        if (fleet.traits.pvKw[m]! > 0) expect(text.includes(`\n${id},2,kWh,15,`)).toBe(true);
      }
      const exporters = fleet.meterIds.filter((_, m) => fleet.traits.pvKw[m]! > 0);
      expect(exporters.length).toBeGreaterThan(0);
      expect(exporters.length).toBeLessThan(fleet.size);
    });
  });

  it('is deterministic: the same scenario gives the same bytes', async () => {
    await withTempDir(async (a) => {
      await withTempDir(async (b) => {
        await runFormatJob(mdmCsvFormat, spring, a, { jobId: 'job-a' });
        await runFormatJob(mdmCsvFormat, spring, b, { jobId: 'job-b', unitRows: 200 });
        const read = async (dir: string) => Promise.all((await formatFiles(dir, mdmCsvFormat)).map((f) => readFile(f, 'utf8')));
        expect(await read(b)).toEqual(await read(a));
      });
    });
  });

  it('writes kWh with three decimals from whole Wh, and reads back the very double (generated cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5_000_000, max: 5_000_000 }), (wh) => {
        const kwh = wh / 1000;
        expect(wattHours(kwh)).toBe(wh);
        const text = kwhText(wh);
        expect(text).toMatch(/^-?\d+\.\d{3}$/);
        expect(wattHoursOf(text)).toBe(wh);
        expect(Number(text)).toBe(kwh);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('refuses a file it cannot read back with FORGE_ERR_FORMAT_FILE, naming the line', () => {
    const header = `${MDM_COLUMNS.join(',')}\n`;
    expect(() => [...readMdmCsv('meter,value\n')]).toThrow(expect.objectContaining({ code: 'FORGE_ERR_FORMAT_FILE' }) as Error);
    expect(() => [...readMdmCsv(`${header}M1,1,kWh,15,2026-01-01T00:15:00Z,0.1234,A,\n`)]).toThrow(/line 2: energy "0.1234"/);
    expect(() => [...readMdmCsv(`${header}M1,1,kWh,15,2026-01-01T00:15:00Z,0.123,X,\n`)]).toThrow(/line 2/);
    expect(() => [...readMdmCsv(`${header}M1,9,kWh,15,2026-01-01T00:15:00Z,0.123,A,\n`)]).toThrow(/channel 9/);
    expect([...readMdmCsv(`${header}"M,1",1,kWh,15,2026-01-01T00:15:00Z,0.123,E,ER\n`)]).toEqual([
      { meterId: 'M,1', startUtcMs: Date.parse('2026-01-01T00:00:00Z'), intervalMinutes: 15, usageKwh: 0.123, quality: 'ESTIMATED', voltage: null, outage: false, event: 'ESTIMATED_READ' },
    ]);
  });
});
