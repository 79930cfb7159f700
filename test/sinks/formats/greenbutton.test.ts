import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../../src/fleet/fleet.js';
import { DATA_QUALITIES } from '../../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../../src/scenario/scenario.js';
import { formatFiles, readFormatDir } from '../../../src/sinks/formats/format-files.js';
import { decodeRule, localTimeParameters, NO_DST_RULE } from '../../../src/sinks/formats/greenbutton/dst-rules.js';
import { greenButtonFormat } from '../../../src/sinks/formats/greenbutton/greenbutton-format.js';
import { readGreenButton } from '../../../src/sinks/formats/greenbutton/greenbutton-read.js';
import { offsetMinutes } from '../../../src/util/time-zone.js';
import { withTempDir } from '../../support/fixtures.js';
import { realBatches, runFormatJob } from '../../support/format-job.js';
import { xmllintErrors, xmllintGate } from '../../support/xmllint.js';

const gate = xmllintGate();
/** Houston, across the spring-forward day and, in the second scenario, the fall-back day; half the homes with PV. */
const spring = resolveScenario({ meters: 6, days: 3, start: '2026-03-07', seed: 11, area: 'TEXAS_GULF_COAST', pvShare: 0.5 });
const fall = resolveScenario({ meters: 6, days: 3, start: '2026-10-31', seed: 11, area: 'TEXAS_GULF_COAST', pvShare: 0.5 });

async function files(dir: string): Promise<string[]> {
  return formatFiles(dir, greenButtonFormat());
}

/** Every generated reading of a scenario: `${meter} ${startMs}` -> Wh and quality. */
function expected(scenario: Scenario): Map<string, { wh: number; quality: string }> {
  const fleet = buildFleet(scenario);
  const out = new Map<string, { wh: number; quality: string }>();
  for (const { batch } of realBatches(scenario)) {
    for (let i = 0; i < batch.length; i++) {
      out.set(`${fleet.meterIds[batch.meterIndex[i]!]} ${batch.tsUtcMs[i]}`, { wh: Math.round(batch.usageKwh[i]! * 1000), quality: DATA_QUALITIES[batch.dataQuality[i]!]! });
    }
  }
  return out;
}

describe('Green Button export (ESPI 3.3)', () => {
  for (const [name, scenario] of [
    ['spring forward', spring],
    ['fall back', fall],
  ] as const) {
    it(`validates with xmllint and reads back to the same Wh per interval across the ${name} day${gate.note}`, async () => {
      await withTempDir(async (dir) => {
        const result = await runFormatJob(greenButtonFormat(), scenario, dir);
        const written = await files(dir);
        // One feed per local date the scenario's hours touch (a 23-hour day pushes the last hour into a fourth date).
        expect(written.length).toBe(new Set([...realBatches(scenario)].map((b) => b.info.localDate)).size);
        if (gate.run) expect(xmllintErrors(written)).toEqual([]);
        const want = expected(scenario);
        const fleet = buildFleet(scenario);
        let found = 0;
        for await (const r of readFormatDir(dir, greenButtonFormat(), { scenario, fleet })) {
          const w = want.get(`${r.meterId} ${r.startUtcMs}`);
          expect(w, `${r.meterId} ${r.startUtcMs}`).toBeDefined();
          expect(Math.round(r.usageKwh * 1000)).toBe(w!.wh);
          expect(r.usageKwh).toBe(w!.wh / 1000);
          expect(r.quality).toBe(w!.quality);
          expect(r.outage).toBe(w!.quality === 'OUTAGE');
          expect(r.intervalMinutes).toBe(15);
          found++;
        }
        expect(found).toBe(want.size);
        expect(result!.rows).toBe(want.size);
      });
    });
  }

  it('gives the DST day its 23 or 25 hours, the area DST rules, and net metering as a reverse-flow ReadingType', async () => {
    await withTempDir(async (dir) => {
      await runFormatJob(greenButtonFormat(), fall, dir);
      const day = (await files(dir)).find((f) => f.includes('date=2026-11-01'))!;
      const xml = await readFile(day, 'utf8');
      // Chicago: standard UTC-6, DST +1 h from the second Sunday of March to the first Sunday of November, 02:00.
      expect(xml).toContain('<dstEndRule>B40E2000</dstEndRule><dstOffset>3600</dstOffset><dstStartRule>360E2000</dstStartRule><tzOffset>-21600</tzOffset>');
      const blocks = [...xml.matchAll(/<IntervalBlock xmlns="http:\/\/naesb.org\/espi"><interval><duration>(\d+)<\/duration>.*?<\/IntervalBlock>/g)];
      expect(blocks.length).toBeGreaterThan(0);
      for (const b of blocks) {
        expect(b[1]).toBe('90000');
        expect(b[0].split('<IntervalReading>').length - 1).toBe(100);
      }
      const springDay = await withTempDir(async (d2) => {
        await runFormatJob(greenButtonFormat(), spring, d2);
        return readFile((await files(d2)).find((f) => f.includes('date=2026-03-08'))!, 'utf8');
      });
      for (const b of springDay.matchAll(/<IntervalBlock xmlns="http:\/\/naesb.org\/espi"><interval><duration>(\d+)<\/duration>.*?<\/IntervalBlock>/g)) {
        expect(b[1]).toBe('82800');
        expect(b[0].split('<IntervalReading>').length - 1).toBe(92);
      }
      // PV homes: a reverse-flow ReadingType (flowDirection 19) and a MeterReading of received energy using it.
      const fleet = buildFleet(fall);
      const pv = fleet.meterIds.filter((_, m) => fleet.traits.pvKw[m]! > 0);
      expect(pv.length).toBeGreaterThan(0);
      expect(xml).toContain('<flowDirection>19</flowDirection>');
      for (const id of pv) expect(xml).toContain(`UsagePoint/${id}/MeterReading/2"`);
      const received = [...readGreenButton(xml)].filter((r) => r.usageKwh < 0);
      expect(received.length).toBeGreaterThan(0);
    });
  });

  it('marks estimated and outage readings with ReadingQuality (8 and 16) and leaves valid ones bare', async () => {
    // The first seed (a deterministic search) whose readings hold estimated, outage and anomalous intervals.
    let scenario: Scenario | null = null;
    let counts = new Map<string, number>();
    for (let seed = 1; seed <= 40 && !scenario; seed++) {
      const candidate = resolveScenario({ meters: 60, days: 7, start: '2026-07-01', seed, area: 'TEXAS_GULF_COAST' });
      counts = new Map<string, number>();
      for (const w of expected(candidate).values()) counts.set(w.quality, (counts.get(w.quality) ?? 0) + 1);
      if (['ESTIMATED', 'OUTAGE', 'ANOMALY'].every((q) => (counts.get(q) ?? 0) > 0)) scenario = candidate;
    }
    expect(scenario, 'no seed of 40 gives estimated, outage and anomalous readings').not.toBeNull();
    await withTempDir(async (dir) => {
      await runFormatJob(greenButtonFormat(), scenario!, dir);
      const all = await Promise.all((await files(dir)).map((f) => readFile(f, 'utf8')));
      const text = all.join('');
      const codes = new Map<string, number>();
      for (const m of text.matchAll(/<ReadingQuality><quality>(\d+)<\/quality><\/ReadingQuality>/g)) codes.set(m[1]!, (codes.get(m[1]!) ?? 0) + 1);
      // Each non-valid reading carries its code on the delivered reading and, for PV homes, on the received one.
      expect(codes.get('8')).toBeGreaterThanOrEqual(counts.get('ESTIMATED')!);
      expect(codes.get('16')).toBeGreaterThanOrEqual(counts.get('OUTAGE')!);
      expect(codes.get('10')).toBeGreaterThanOrEqual(counts.get('ANOMALY')!);
      expect([...codes.keys()].sort()).toEqual(['10', '16', '8']);
      // Valid readings carry none: the read-back tests above find VALID exactly where no ReadingQuality is.
      if (gate.run) expect(xmllintErrors(await files(dir))).toEqual([]);
    });
  });

  it('is deterministic: the same scenario gives the same bytes, whatever the job and the batch size', async () => {
    await withTempDir(async (a) => {
      await withTempDir(async (b) => {
        await runFormatJob(greenButtonFormat(), fall, a, { jobId: 'job-a' });
        await runFormatJob(greenButtonFormat(), fall, b, { jobId: 'job-b', unitRows: 100 });
        const contents = async (dir: string) => Promise.all((await files(dir)).map((f) => readFile(f, 'utf8')));
        // Smaller units cut no part (a part is a date's batches), so the files match one for one.
        expect(await contents(b)).toEqual(await contents(a));
      });
    });
  });

  it('leaves only whole, valid feeds when stopped mid-job, and no temporaries', async () => {
    await withTempDir(async (dir) => {
      await runFormatJob(greenButtonFormat(), fall, dir, { stopAfter: 2, unitRows: 400 });
      const left = (await readdir(dir, { recursive: true })).map(String);
      expect(left.some((f) => f.endsWith('.tmp'))).toBe(false);
      const written = await files(dir);
      expect(written.length).toBeGreaterThan(0);
      if (gate.run) expect(xmllintErrors(written)).toEqual([]);
      for (const f of written) expect([...readGreenButton(await readFile(f, 'utf8'))].length, relative(dir, f)).toBeGreaterThan(0);
    });
  });

  it(`writes one feed per customer and day with greenbuttonFeed 'customer', each valid and read back exactly${gate.note}`, async () => {
    await withTempDir(async (dir) => {
      const format = greenButtonFormat('customer');
      await runFormatJob(format, fall, dir);
      const written = await formatFiles(dir, format);
      const dates = new Set([...realBatches(fall)].map((b) => b.info.localDate)).size;
      expect(written).toHaveLength(fall.meters * dates);
      expect(written[0]).toMatch(/date=2026-10-31\/part-\d+-\d+-job-format-test\.customers\/MTR-TGC-0000001\.xml$/);
      if (gate.run) expect(xmllintErrors(written)).toEqual([]);
      const want = expected(fall);
      let found = 0;
      for await (const r of readFormatDir(dir, format, { scenario: fall, fleet: buildFleet(fall) })) {
        expect(r.usageKwh).toBe(want.get(`${r.meterId} ${r.startUtcMs}`)!.wh / 1000);
        found++;
      }
      expect(found).toBe(want.size);
    });
  });

  it('refuses what it cannot read back with FORGE_ERR_FORMAT_FILE', () => {
    expect(() => [...readGreenButton('<feed')]).toThrow(expect.objectContaining({ code: 'FORGE_ERR_FORMAT_FILE' }) as Error);
    expect(() => [...readGreenButton('<html/>')]).toThrow(/no Atom feed/);
  });
});

describe('ESPI DstRuleType from a zone', () => {
  it('encodes North America, the EU and no DST as the schema describes', () => {
    expect(localTimeParameters('America/New_York', 2026)).toEqual({ tzOffset: -18000, dstOffset: 3600, dstStartRule: '360E2000', dstEndRule: 'B40E2000' });
    expect(decodeRule(localTimeParameters('Europe/Berlin', 2026).dstStartRule)).toEqual({ month: 3, operator: 7, dayOfMonth: 0, weekday: 7, hours: 2, seconds: 0 });
    expect(localTimeParameters('America/Phoenix', 2026)).toEqual({ tzOffset: -25200, dstOffset: 0, dstStartRule: NO_DST_RULE, dstEndRule: NO_DST_RULE });
  });

  it('names the very day and hour of each change, for any year and zone (generated cases)', () => {
    const zones = ['America/Chicago', 'America/New_York', 'America/Los_Angeles', 'America/Denver', 'Europe/London', 'Europe/Paris', 'Australia/Sydney'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: 2008, max: 2037 }), (zone, year) => {
        const ltp = localTimeParameters(zone, year);
        for (const hex of [ltp.dstStartRule, ltp.dstEndRule]) {
          const r = decodeRule(hex);
          // The n-th (or last) weekday of the month, at the rule's wall time, is an instant where the offset changes.
          const first = new Date(Date.UTC(year, r.month - 1, 1)).getUTCDay() || 7;
          const days = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
          let day = 1 + ((r.weekday - first + 7) % 7);
          if (r.operator === 7) while (day + 7 <= days) day += 7;
          else day += 7 * (r.operator - 2);
          const wallMs = Date.UTC(year, r.month - 1, day, r.hours, 0, r.seconds);
          // The wall time is in the offset before the change (the offset half a day earlier).
          const utc = wallMs - offsetMinutes(zone, wallMs - 12 * 3_600_000) * 60_000;
          expect(offsetMinutes(zone, utc - 60_000), `${zone} ${year} ${hex}`).not.toBe(offsetMinutes(zone, utc + 60_000));
        }
      }),
      { seed: 16, numRuns: 60 },
    );
  });
});

describe('reading a feed back is independent of entry order', () => {
  it('gives the same readings when the entries are reversed', async () => {
    await withTempDir(async (dir) => {
      await runFormatJob(greenButtonFormat(), spring, dir);
      const xml = await readFile((await files(dir))[1]!, 'utf8');
      const head = xml.slice(0, xml.indexOf('<entry>'));
      const entries = xml.slice(xml.indexOf('<entry>'), xml.lastIndexOf('</feed>')).split('\n').filter((l) => l !== '');
      const reversed = `${head}${[...entries].reverse().join('\n')}\n</feed>\n`;
      const key = (r: { meterId: string; startUtcMs: number; usageKwh: number }) => `${r.meterId} ${r.startUtcMs} ${r.usageKwh}`;
      expect([...readGreenButton(reversed)].map(key).sort()).toEqual([...readGreenButton(xml)].map(key).sort());
      if (gate.run) {
        const path = join(dir, 'reversed.xml');
        await writeFile(path, reversed);
        expect(xmllintErrors([path])).toEqual([]);
      }
    });
  });
});
