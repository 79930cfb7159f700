import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../../src/fleet/fleet.js';
import { generationDays } from '../../../src/generator/calendar.js';
import { ReadingGenerator } from '../../../src/generator/reading-generator.js';
import { DATA_QUALITIES, EVENT_TYPES } from '../../../src/scenario/enums.js';
import { resolveScenario, type Scenario } from '../../../src/scenario/scenario.js';
import { readingType } from '../../../src/sinks/formats/cim/cim-codes.js';
import { cimFormat, type CimEncoding } from '../../../src/sinks/formats/cim/cim-format.js';
import type { FormatReading } from '../../../src/sinks/formats/exchange-format.js';
import { formatFiles, readFormatDir } from '../../../src/sinks/formats/format-files.js';
import { FormatSink } from '../../../src/sinks/formats/format-sink.js';
import type { BatchInfo } from '../../../src/sinks/sink.js';
import { ForgeError } from '../../../src/util/forge-error.js';
import { withTempDir } from '../../support/fixtures.js';

function generatedJob(scenario: Scenario) {
  const fleet = buildFleet(scenario);
  const generator = new ReadingGenerator(scenario, fleet);
  const batches = generationDays(scenario).map((day, i) => ({ batch: generator.generate(day, 0, scenario.meters), info: { localDate: day.localDate, lastOfDate: true, sequence: i } as BatchInfo }));
  return { context: { scenario, fleet, jobId: 'job-cim' }, batches, fleet };
}

async function writeCim(dir: string, encoding: CimEncoding, job: ReturnType<typeof generatedJob>): Promise<string[]> {
  const sink = new FormatSink({ format: cimFormat(encoding), dir });
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  await sink.close();
  return formatFiles(dir, cimFormat(encoding));
}

const hasXmllint = ((): boolean => {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Spring forward in California, PV homes, the demo events.
const SPRING = resolveScenario({ area: 'CALIFORNIA_COASTAL', meters: 30, days: 2, start: '2025-03-08', seed: 21, pvShare: 0.6, events: 'demo', storm: '2025-03-09' });

describe('CIM MeterReadings files', () => {
  it('use the 61968-9 reading type codes: 15-minute kWh delivered is 0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', () => {
    expect(readingType('delivered', 15).mRID).toBe('0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
    expect(readingType('received', 15).mRID).toBe('0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0');
    expect(readingType('delivered', 5).mRID.split('.')[2]).toBe('6');
    expect(readingType('delivered', 30).mRID.split('.')[2]).toBe('5');
    expect(readingType('delivered', 60).mRID.split('.')[2]).toBe('7');
    expect(readingType('voltage', 15).mRID).toBe('0.2.2.6.0.1.54.0.0.0.0.0.0.0.0.0.29.0');
  });

  for (const encoding of ['json', 'xml'] as const) {
    it(`${encoding}: read back to the same kWh, volts, data_quality, outage and event for every interval, each once, across a DST change and PV export`, async () => {
      const job = generatedJob(SPRING);
      const expected = new Map<string, { usage: number; voltage: number; quality: string; event: string | null }>();
      for (const { batch } of job.batches) {
        for (let i = 0; i < batch.length; i++) {
          const e = batch.eventType[i]!;
          expected.set(`${job.fleet.meterIds[batch.meterIndex[i]!]} ${batch.tsUtcMs[i]}`, { usage: batch.usageKwh[i]!, voltage: batch.voltage[i]!, quality: DATA_QUALITIES[batch.dataQuality[i]!]!, event: e === 0 ? null : EVENT_TYPES[e - 1]! });
        }
      }
      await withTempDir(async (dir) => {
        const files = await writeCim(dir, encoding, job);
        expect(files.length).toBe(3); // 2025-03-08, the 23-hour 03-09 and the first hour of 03-10
        if (encoding === 'xml' && hasXmllint) for (const f of files) execFileSync('xmllint', ['--noout', f]);
        const found: FormatReading[] = [];
        for await (const r of readFormatDir(dir, cimFormat(encoding), { scenario: SPRING, fleet: job.fleet })) found.push(r);
        expect(found.length).toBe(expected.size);
        const keys = new Set<string>();
        const events = new Set<string | null>();
        let negative = 0;
        for (const r of found) {
          const key = `${r.meterId} ${r.startUtcMs}`;
          expect(keys.has(key), key).toBe(false);
          keys.add(key);
          const want = expected.get(key)!;
          expect(want, key).toBeDefined();
          expect(r.usageKwh, key).toBe(want.usage);
          expect(r.voltage, key).toBe(want.voltage);
          expect(r.quality, key).toBe(want.quality);
          expect(r.event, key).toBe(want.event);
          expect(r.outage).toBe(want.quality === 'OUTAGE');
          events.add(want.event);
          if (want.usage < 0) negative++;
        }
        expect(negative).toBeGreaterThan(0);
        expect(events).toContain('LAST_GASP');
        expect(events).toContain('ESTIMATED_READ');
      });
    });
  }

  it('stamp IntervalReadings at the interval end with the local offset, and carry qualities as ReadingQualityType references', async () => {
    const scenario = resolveScenario({ meters: 1, days: 1, start: '2025-07-14', seed: 3, pvShare: 0 });
    const job = generatedJob(scenario);
    await withTempDir(async (dir) => {
      const [file] = await writeCim(dir, 'json', job);
      const doc = JSON.parse(await readFile(file!, 'utf8')) as { MeterReadings: { MeterReading: { Meter: { mRID: string }; IntervalBlocks: { ReadingType: { ref: string }; IntervalReadings: { timeStamp: string }[] }[] }[]; ReadingType: { mRID: string }[] } };
      const m = doc.MeterReadings.MeterReading[0]!;
      expect(m.Meter.mRID).toBe(job.fleet.meterIds[0]);
      expect(m.IntervalBlocks.map((b) => b.ReadingType.ref)).toEqual(['0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '0.2.2.6.0.1.54.0.0.0.0.0.0.0.0.0.29.0']);
      expect(m.IntervalBlocks[0]!.IntervalReadings[0]!.timeStamp).toBe('2025-07-14T00:15:00-05:00');
      expect(m.IntervalBlocks[0]!.IntervalReadings.length).toBe(96);
      expect(doc.MeterReadings.ReadingType.map((t) => t.mRID)).toContain('0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
    });
  });

  it('is deterministic: the same scenario gives the same bytes', async () => {
    for (const encoding of ['json', 'xml'] as const) {
      await withTempDir(async (a) => {
        await withTempDir(async (b) => {
          const fa = await writeCim(a, encoding, generatedJob(SPRING));
          const fb = await writeCim(b, encoding, generatedJob(SPRING));
          for (let i = 0; i < fa.length; i++) expect(await readFile(fb[i]!, 'utf8')).toBe(await readFile(fa[i]!, 'utf8'));
        });
      });
    }
  });

  it('refuses documents that are not MeterReadings of ours with FORGE_ERR_FORMAT_FILE (generated cases)', () => {
    const context = { scenario: SPRING, fleet: buildFleet(SPRING) };
    const reading = (ref: string, value: string, quality = '') => `{"Meter":{"mRID":"M1"},"IntervalBlocks":[{"ReadingType":{"ref":"${ref}"},"IntervalReadings":[{"timeStamp":"2025-03-08T00:15:00-08:00","value":${value}${quality}}]}]}`;
    const DELIVERED = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
    const broken: [string, string][] = [
      ['not json', '{"MeterReadings":'],
      ['no root', '{"Other":{}}'],
      ['unknown reading type', `{"MeterReadings":{"MeterReading":[${reading('0.0.2.4.1.1.37.0.0.0.0.0.0.0.0.3.38.0', '1.5')}]}}`],
      ['short code', `{"MeterReadings":{"MeterReading":[${reading('0.0.2.4.1', '1.5')}]}}`],
      ['negative kWh', `{"MeterReadings":{"MeterReading":[${reading(DELIVERED, '-1.5')}]}}`],
      ['unknown quality', `{"MeterReadings":{"MeterReading":[${reading(DELIVERED, '1.5', ',"ReadingQualities":[{"ReadingQualityType":{"ref":"9.9.9"}}]')}]}}`],
      ['unknown event', `{"MeterReadings":{"MeterReading":[${reading(DELIVERED, '1.5', ',"ReadingQualities":[{"comment":"EARTHQUAKE","ReadingQualityType":{"ref":"1.2.0"}}]')}]}}`],
      ['no meter', `{"MeterReadings":{"MeterReading":[${reading(DELIVERED, '1.5').replace('"M1"', '""')}]}}`],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...broken), ([name, text]) => {
        let error: unknown;
        try {
          Array.from(cimFormat('json').read(text, context));
        } catch (e) {
          error = e;
        }
        expect(error, name).toBeInstanceOf(ForgeError);
        expect((error as ForgeError).code, name).toBe('FORGE_ERR_FORMAT_FILE');
      }),
      { seed: 61, numRuns: 40 },
    );
    // And XML that is not well formed.
    expect(() => [...cimFormat('xml').read('<MeterReadings><MeterReading>', context)]).toThrow(ForgeError);
  });
});
