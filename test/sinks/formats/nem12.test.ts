import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../../src/fleet/fleet.js';
import { generationDays } from '../../../src/generator/calendar.js';
import { ReadingGenerator } from '../../../src/generator/reading-generator.js';
import { DATA_QUALITIES, EVENT_TYPES } from '../../../src/scenario/enums.js';
import { resolveScenario, serviceAreaOf, type Scenario } from '../../../src/scenario/scenario.js';
import type { FormatReading } from '../../../src/sinks/formats/exchange-format.js';
import { formatFiles, readFormatDir } from '../../../src/sinks/formats/format-files.js';
import { FormatSink } from '../../../src/sinks/formats/format-sink.js';
import { NEM12_QUALITIES } from '../../../src/sinks/formats/nem12/nem12-quality.js';
import { nem12Format } from '../../../src/sinks/formats/nem12/nem12-format.js';
import { nem12FromReadings } from '../../../src/sinks/formats/nem12/nem12-group.js';
import { renderNem12 } from '../../../src/sinks/formats/nem12/nem12-render.js';
import { allocateBatch } from '../../../src/generator/reading-batch.js';
import { eventCode } from '../../../src/scenario/enums.js';
import { parseNem12 } from '../../../src/sinks/formats/nem12/nem12-parse.js';
import { nmiOf } from '../../../src/sinks/formats/nem12/nmi.js';
import type { BatchInfo, SinkContext } from '../../../src/sinks/sink.js';
import { ForgeError } from '../../../src/util/forge-error.js';
import { withTempDir } from '../../support/fixtures.js';

/** The real generator's readings of a scenario, one batch per local date (as the batch emitter cuts them, whole meter-days). */
function generatedJob(scenario: Scenario, jobId = 'job-nem12') {
  const fleet = buildFleet(scenario);
  const generator = new ReadingGenerator(scenario, fleet);
  const days = generationDays(scenario);
  const batches = days.map((day, i) => ({ batch: generator.generate(day, 0, scenario.meters), info: { localDate: day.localDate, lastOfDate: true, sequence: i } as BatchInfo }));
  const context: SinkContext = { scenario, fleet, jobId };
  return { context, batches, fleet };
}

async function writeNem12(dir: string, job: ReturnType<typeof generatedJob>): Promise<void> {
  const sink = new FormatSink({ format: nem12Format(), dir });
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  await sink.close();
}

interface Expected {
  usage: number;
  quality: string;
  event: string | null;
}

function expectedReadings(job: ReturnType<typeof generatedJob>): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const { batch } of job.batches) {
    for (let i = 0; i < batch.length; i++) {
      const e = batch.eventType[i]!;
      out.set(`${job.fleet.meterIds[batch.meterIndex[i]!]} ${batch.tsUtcMs[i]}`, { usage: batch.usageKwh[i]!, quality: DATA_QUALITIES[batch.dataQuality[i]!]!, event: e === 0 ? null : EVENT_TYPES[e - 1]! });
    }
  }
  return out;
}

async function readAll(dir: string, job: ReturnType<typeof generatedJob>): Promise<FormatReading[]> {
  const out: FormatReading[] = [];
  for await (const r of readFormatDir(dir, nem12Format(), { scenario: job.context.scenario, fleet: job.fleet })) out.push(r);
  return out;
}

/** The records of a file as field lists. */
const recordsOf = (text: string): string[][] => text.split('\r\n').filter((l) => l !== '').map((l) => l.split(','));

// A Texas summer and the November change: PV homes (B1 export), the demo events (outages, estimates, anomalies).
const SUMMER = resolveScenario({ meters: 40, days: 3, start: '2025-07-14', seed: 11, pvShare: 0.5, events: 'demo', storm: '2025-07-15' });

describe('NEM12 files from generated readings', () => {
  it('follow the MDFF record rules: 100 first, 900 last, 200 before its 300s, 1440/IntervalLength values, dates in order, 400s only after V or A 79', async () => {
    for (const interval of [5, 15, 30] as const) {
      const scenario = resolveScenario({ meters: 12, days: 2, start: '2025-11-01', seed: 5, pvShare: 0.5, events: 'demo', interval });
      const job = generatedJob(scenario);
      await withTempDir(async (dir) => {
        await writeNem12(dir, job);
        const files = await formatFiles(dir, nem12Format());
        expect(files.length).toBe(2); // 2025-11-01 and 23 of the 25 hours of 2025-11-02 (48 real hours)
        for (const path of files) {
          const text = await readFile(path, 'utf8');
          const records = recordsOf(text);
          expect(records[0]![0]).toBe('100');
          expect(records[0]!.slice(0, 2)).toEqual(['100', 'NEM12']);
          expect(records.filter((r) => r[0] === '100').length).toBe(1);
          expect(records[records.length - 1]).toEqual(['900']);
          expect(records.filter((r) => r[0] === '900').length).toBe(1);
          let current: string[] | null = null; // the 200 record in force
          let last300: string[] | null = null;
          let previousDate = '';
          for (const r of records.slice(1, -1)) {
            if (r[0] === '200') {
              current = r;
              last300 = null;
              previousDate = '';
              expect(Number(r[8])).toBe(interval);
              expect(r[7]).toBe('kWh');
              expect(r[1]).toMatch(/^[A-Z0-9]{10}$/);
              expect(r[2]!.match(/.{2}/g)).toContain(r[4]);
            } else if (r[0] === '300') {
              expect(current, '300 before any 200').not.toBeNull();
              expect(r.length - 7).toBe(1440 / interval);
              expect(r[1]! > previousDate).toBe(true);
              previousDate = r[1]!;
              last300 = r;
            } else if (r[0] === '400') {
              expect(last300, '400 without its 300').not.toBeNull();
              const qm = last300![last300!.length - 5]!;
              const reason = last300![last300!.length - 4]!;
              expect(qm === 'V' || (qm === 'A' && ['79', '89', '61'].includes(reason))).toBe(true);
            } else {
              throw new Error(`unexpected record ${r[0]}`);
            }
          }
          // And the parser, which checks every rule of nem12-rules.ts, takes it.
          expect(() => parseNem12(text, path)).not.toThrow();
        }
      });
    }
  });

  it('give each quality its method and reason as the MDFF says: A none needed, S/F a method and a reason, E a method, V no reason, 0 with text', async () => {
    const job = generatedJob(SUMMER);
    const seen = new Set<string>();
    await withTempDir(async (dir) => {
      await writeNem12(dir, job);
      for (const path of await formatFiles(dir, nem12Format())) {
        for (const r of recordsOf(await readFile(path, 'utf8'))) {
          let qm: string;
          let reason: string;
          let text: string;
          if (r[0] === '300') [qm, reason, text] = [r[r.length - 5]!, r[r.length - 4]!, r[r.length - 3]!];
          else if (r[0] === '400') [qm, reason, text] = [r[3]!, r[4]!, r[5]!];
          else continue;
          seen.add(`${qm}/${reason}`);
          const flag = qm[0]!;
          if (flag === 'A' || flag === 'N' || flag === 'V') expect(qm.length).toBe(1);
          if (flag === 'S' || flag === 'F' || flag === 'E') expect(qm).toMatch(/^[SFE]\d\d$/);
          if (flag === 'S' || flag === 'F') expect(reason).not.toBe('');
          if (flag === 'V') expect(reason).toBe('');
          if (reason === '0') expect(text).not.toBe('');
          if (r[0] === '400') expect(flag).not.toBe('V');
        }
      }
    });
    // The demo scenario reaches outages (A 79 then A 43), restores, estimates (S15 76) and anomalies.
    for (const q of ['V/', 'A/', 'A/79', 'A/43', 'A/0', 'S15/76', 'N/']) expect(seen, q).toContain(q);
  });

  it('read back to the same kWh, data_quality and event for every interval, each exactly once, across PV export and daylight saving', async () => {
    const job = generatedJob(SUMMER);
    const expected = expectedReadings(job);
    await withTempDir(async (dir) => {
      await writeNem12(dir, job);
      const found = await readAll(dir, job);
      expect(found.length).toBe(expected.size);
      const keys = new Set<string>();
      let negative = 0;
      for (const r of found) {
        const key = `${r.meterId} ${r.startUtcMs}`;
        expect(keys.has(key), `${key} twice`).toBe(false);
        keys.add(key);
        const want = expected.get(key);
        expect(want, key).toBeDefined();
        expect(r.usageKwh, key).toBe(want!.usage);
        expect(r.quality, key).toBe(want!.quality);
        expect(r.event ?? null, key).toBe(want!.event);
        expect(r.outage).toBe(want!.quality === 'OUTAGE');
        expect(r.intervalMinutes).toBe(15);
        if (want!.usage < 0) negative++;
      }
      expect(negative).toBeGreaterThan(0); // PV export read back through B1
    });
  });

  it('stamp days in the area standard time: a July day of Houston starts at 00:00 CST (01:00 CDT), its local midnight hour is the previous day, marked N where the file has no reading', async () => {
    const scenario = resolveScenario({ meters: 2, days: 1, start: '2025-07-14', seed: 3, pvShare: 0 });
    const job = generatedJob(scenario);
    await withTempDir(async (dir) => {
      await writeNem12(dir, job);
      const [path] = await formatFiles(dir, nem12Format());
      const records = recordsOf(await readFile(path!, 'utf8'));
      const days = records.filter((r) => r[0] === '300');
      expect(days.map((r) => r[1])).toEqual(['20250713', '20250714', '20250713', '20250714']);
      // 13 July (CST) holds only 23:00-24:00 CST = 00:00-01:00 CDT of the 14th: intervals 93-96 actual, 1-92 null.
      const first = records.indexOf(days[0]!);
      expect(days[0]![98]).toBe('V');
      expect(records.slice(first + 1, first + 3)).toEqual([
        ['400', '1', '92', 'N', '', ''],
        ['400', '93', '96', 'A', '', ''],
      ]);
      // The first reading of the job (local 00:00 CDT) reads back at its instant.
      const found = await readAll(dir, job);
      expect(Math.min(...found.map((r) => r.startUtcMs))).toBe(Date.parse('2025-07-14T05:00:00Z'));
      expect(nmiOf(job.fleet, 0, serviceAreaOf(scenario).code)).toBe(records.find((r) => r[0] === '200')![1]);
    });
  });

  it('is deterministic: the same scenario gives the same bytes, however the dates are cut into batches', async () => {
    const job = generatedJob(SUMMER);
    const split = generatedJob(SUMMER);
    // The second run gets each date in two batches of meters.
    const halves = split.batches.flatMap(({ batch, info }) => {
      const meters = SUMMER.meters;
      const perMeter = batch.length / meters;
      const cut = (meters / 2) * perMeter;
      const sub = (a: number, b: number) => Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, ArrayBuffer.isView(v) ? (v as Float64Array).subarray(a, b) : k === 'length' ? b - a : v])) as unknown as typeof batch;
      return [
        { batch: sub(0, cut), info: { ...info, lastOfDate: false, sequence: info.sequence * 2 } },
        { batch: sub(cut, batch.length), info: { ...info, sequence: info.sequence * 2 + 1 } },
      ];
    });
    await withTempDir(async (a) => {
      await withTempDir(async (b) => {
        await writeNem12(a, job);
        await writeNem12(b, { ...split, batches: halves });
        const fa = await formatFiles(a, nem12Format());
        const fb = await formatFiles(b, nem12Format());
        expect(fa.length).toBe(fb.length);
        for (let i = 0; i < fa.length; i++) expect(await readFile(fb[i]!, 'utf8')).toBe(await readFile(fa[i]!, 'utf8'));
      });
    });
  });

  it('after an abort keeps whole files only, and a resume completes the job: the same bytes as an uninterrupted run', async () => {
    const job = generatedJob(SUMMER);
    await withTempDir(async (whole) => {
      await withTempDir(async (dir) => {
        await writeNem12(whole, job);
        const sink = new FormatSink({ format: nem12Format(), dir });
        await sink.open(job.context);
        for (const { batch, info } of job.batches.slice(0, 2)) await sink.write(batch, info);
        await sink.abort(new Error('killed'));
        const resumed = new FormatSink({ format: nem12Format(), dir });
        await resumed.open({ ...job.context, resume: true });
        const checkpoint = await resumed.checkpoint(job.context.jobId);
        expect(checkpoint).toBe(1);
        for (const { batch, info } of job.batches) if (info.sequence > checkpoint!) await resumed.write(batch, info);
        await resumed.close();
        const a = await formatFiles(whole, nem12Format());
        const b = await formatFiles(dir, nem12Format());
        expect(b.map((f) => f.slice(dir.length))).toEqual(a.map((f) => f.slice(whole.length)));
        for (let i = 0; i < a.length; i++) expect(await readFile(b[i]!, 'utf8')).toBe(await readFile(a[i]!, 'utf8'));
      });
    });
  });

  it('refuses a 60-minute scenario before writing anything, naming the intervals NEM12 has', async () => {
    const scenario = resolveScenario({ meters: 2, days: 1, start: '2025-07-14', interval: 60 });
    await withTempDir(async (dir) => {
      const sink = new FormatSink({ format: nem12Format(), dir: `${dir}/out` });
      const error = await sink.open({ scenario, fleet: buildFleet(scenario), jobId: 'job-60' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForgeError);
      expect((error as ForgeError).code).toBe('FORGE_ERR_INVALID_CONFIG');
      expect((error as ForgeError).message).toContain('5, 15, 30-minute intervals only, not 60');
      await expect(readFile(`${dir}/out`).catch((e: NodeJS.ErrnoException) => e.code)).resolves.toBe('ENOENT');
    });
  });

  it('gives every meter a distinct 10-character NMI, invented (area code + 7 digits) or imported (its 32-bit key as 10 digits)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 200 }), (numbers) => {
        const fleet = { size: numbers.length, meterNumber: Uint32Array.from(numbers), meterIds: numbers.map((n) => `X/${n}`) } as unknown as Parameters<typeof nmiOf>[0];
        const nmis = numbers.map((_, m) => nmiOf(fleet, m, 'TGC'));
        for (const nmi of nmis) expect(nmi).toMatch(/^[A-Z0-9]{10}$/);
        expect(new Set(nmis).size).toBe(numbers.length);
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it('writes a whole day of one quality in its 300 record, with the 400 record the MDFF requires for A 79', () => {
    // A January day in Houston (standard time all day): one meter whose 96 intervals are all last-gasp outages.
    const scenario = resolveScenario({ meters: 1, days: 1, start: '2025-01-15', seed: 1, pvShare: 0 });
    const fleet = buildFleet(scenario);
    const batch = allocateBatch(96, 15);
    const start = Date.parse('2025-01-15T06:00:00Z');
    for (let i = 0; i < 96; i++) {
      batch.tsUtcMs[i] = start + i * 900_000;
      batch.dataQuality[i] = DATA_QUALITIES.indexOf('OUTAGE');
      batch.eventType[i] = eventCode('LAST_GASP');
    }
    const text = renderNem12(nem12FromReadings({ scenario, fleet, localDate: '2025-01-15', readings: batch, meters: Uint32Array.of(0), rowStart: Uint32Array.of(0, 96) }, { fromParticipant: 'A', toParticipant: 'B' }));
    const records = recordsOf(text);
    expect(records.map((r) => r[0])).toEqual(['100', '200', '300', '400', '900']);
    expect(records[2]!.slice(1, 2)).toEqual(['20250115']);
    expect(records[2]!.slice(-5)).toEqual(['A', '79', '', '20250116060000', '']);
    expect(records[3]).toEqual(['400', '1', '96', 'A', '79', '']);
    const back = [...nem12Format().read(text, { scenario, fleet })];
    expect(back.length).toBe(96);
    expect(back.every((r) => r.quality === 'OUTAGE' && r.event === 'LAST_GASP' && r.usageKwh === 0 && r.outage)).toBe(true);
    expect(back[0]!.startUtcMs).toBe(start);
  });

  it('maps every quality of the table to its own NEM12 quality (so read back is exact)', () => {
    const keys = NEM12_QUALITIES.map((q) => `${q.qualityMethod}/${q.reasonCode ?? ''}/${q.reasonDescription ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

/** A small sound file to break. */
const SOUND = [
  '100,NEM12,202507150600,FLUXFORGE,RETAILER',
  '200,TGC0000001,E1B1,E1,E1,N1,TGC0000001,kWh,30,',
  `300,20250714,${Array.from({ length: 48 }, (_, i) => (i * 0.125).toFixed(3)).join(',')},V,,,20250715060000,`,
  '400,1,40,A,,',
  '400,41,44,A,79,',
  '400,45,48,S15,76,',
  `300,20250715,${Array.from({ length: 48 }, () => '0.5').join(',')},A,,,20250716060000,`,
  '200,TGC0000001,E1B1,B1,B1,N2,TGC0000001,kWh,30,',
  `300,20250714,${Array.from({ length: 48 }, () => '0').join(',')},A,,,20250715060000,`,
  '900',
];

/** Ways to break one MDFF rule, with the line the parser must name. */
const BREAKS: { name: string; lines: (l: string[]) => string[]; line: number; says: string }[] = [
  { name: 'no 900', lines: (l) => l.slice(0, -1), line: 9, says: 'must end with a 900 record' },
  { name: '100 not first', lines: (l) => [l[1]!, l[0]!, ...l.slice(2)], line: 1, says: 'must start with a 100' },
  { name: 'two 100s', lines: (l) => [l[0]!, l[0]!, ...l.slice(1)], line: 2, says: 'second 100' },
  { name: 'record after 900', lines: (l) => [...l, l[8]!], line: 11, says: 'after the 900' },
  { name: '300 before 200', lines: (l) => [l[0]!, l[2]!, ...l.slice(3)], line: 2, says: 'before any 200' },
  { name: 'a value missing', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',0.5,', ',') : x)), line: 7, says: 'has 48 values' },
  { name: 'a value too many', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',0.5,', ',0.5,0.5,') : x)), line: 7, says: 'has 48 values' },
  { name: 'a negative value', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',0.5,', ',-0.5,') : x)), line: 7, says: 'non-negative decimal' },
  { name: 'an exponent', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',0.5,', ',5e-1,') : x)), line: 7, says: 'non-negative decimal' },
  { name: 'no such date', lines: (l) => l.map((x, i) => (i === 6 ? x.replace('20250715,', '20250231,') : x)), line: 7, says: 'is not a CCYYMMDD date' },
  { name: 'dates out of order', lines: (l) => l.map((x, i) => (i === 6 ? x.replace('20250715,', '20250713,') : x)), line: 7, says: 'is not after' },
  { name: 'S without reason', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',A,,,', ',S15,,,') : x)), line: 7, says: 'needs a ReasonCode' },
  { name: 'S without method', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',A,,,', ',S,76,,') : x)), line: 7, says: 'two-digit method flag' },
  { name: 'A with method', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',A,,,', ',A14,,,') : x)), line: 7, says: 'takes no method flag' },
  { name: 'V with reason', lines: (l) => l.map((x, i) => (i === 2 ? x.replace(',V,,', ',V,76,') : x)), line: 3, says: 'V takes no ReasonCode' },
  { name: 'reason 0 without text', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',A,,,', ',A,0,,') : x)), line: 7, says: 'needs a ReasonDescription' },
  { name: 'V without 400s', lines: (l) => [...l.slice(0, 3), ...l.slice(6)], line: 3, says: 'needs 400 records' },
  { name: 'A 79 without 400s', lines: (l) => l.map((x, i) => (i === 6 ? x.replace(',A,,,', ',A,79,,') : x)), line: 7, says: 'needs 400 records' },
  { name: '400 after an A', lines: (l) => [...l.slice(0, 7), '400,1,48,A,,', ...l.slice(7)], line: 7, says: 'which needs none' },
  { name: '400 gap', lines: (l) => l.map((x, i) => (i === 4 ? '400,42,44,A,79,' : x)), line: 3, says: 'without gaps or overlaps' },
  { name: '400 overlap', lines: (l) => l.map((x, i) => (i === 4 ? '400,40,44,A,79,' : x)), line: 3, says: 'without gaps or overlaps' },
  { name: '400 short of the day', lines: (l) => l.map((x, i) => (i === 5 ? '400,45,47,S15,76,' : x)), line: 3, says: 'not at the day\'s last interval 48' },
  { name: 'V in a 400', lines: (l) => l.map((x, i) => (i === 3 ? '400,1,40,V,,' : x)), line: 3, says: 'V is not allowed in a 400' },
  { name: '400 without 300', lines: (l) => [...l.slice(0, 2), '400,1,48,A,,', ...l.slice(2)], line: 3, says: 'must follow a 300' },
  { name: '60-minute interval', lines: (l) => l.map((x) => x.replace('kWh,30,', 'kWh,60,')), line: 2, says: 'is not 5, 15 or 30' },
  { name: 'suffix not configured', lines: (l) => l.map((x, i) => (i === 7 ? x.replace('E1B1,B1,B1', 'E1,B1,B1') : x)), line: 8, says: 'not one of the NMIConfiguration' },
  { name: 'unknown record', lines: (l) => [...l.slice(0, 2), '250,x', ...l.slice(2)], line: 3, says: 'unknown record indicator' },
];

describe('parseNem12 (the MDFF rules as checks on a file)', () => {
  it('reads a sound file, with CR LF or LF line ends', () => {
    for (const eol of ['\r\n', '\n']) {
      const file = parseNem12(SOUND.join(eol) + eol);
      expect(file.header.fromParticipant).toBe('FLUXFORGE');
      expect(file.dataStreams.map((s) => s.nmiSuffix)).toEqual(['E1', 'B1']);
      expect(file.dataStreams[0]!.days[0]!.events.map((e) => [e.startInterval, e.endInterval, e.qualityMethod, e.reasonCode])).toEqual([
        [1, 40, 'A', undefined],
        [41, 44, 'A', 79],
        [45, 48, 'S15', 76],
      ]);
      expect(file.dataStreams[0]!.days[0]!.values[47]).toBe(5.875);
    }
  });

  it('refuses each broken rule with FORGE_ERR_FORMAT_FILE naming the line (generated cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BREAKS), fc.constantFrom('\r\n', '\n'), (broken, eol) => {
        const text = broken.lines([...SOUND]).join(eol) + eol;
        let error: unknown;
        try {
          parseNem12(text, 'broken.csv');
        } catch (e) {
          error = e;
        }
        expect(error, broken.name).toBeInstanceOf(ForgeError);
        expect((error as ForgeError).code).toBe('FORGE_ERR_FORMAT_FILE');
        expect((error as ForgeError).message, broken.name).toContain(`broken.csv: line ${broken.line}: `);
        expect((error as ForgeError).message, broken.name).toContain(broken.says);
      }),
      { seed: 16, numRuns: 120 },
    );
  });
});
