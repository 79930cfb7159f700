import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job-store.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { intervalsPerMeter, scenarioEndUtcMs, scenarioStartUtcMs, scenarioToInput } from '../../src/scenario/scenario.js';
import { DEFAULT_DUCKDB_PATH } from '../../src/sinks/duckdb/duckdb-sink.js';
import { jobVerifyPlan } from '../../src/verify/job-verify-plan.js';
import { MeterDayDigests } from '../../src/verify/meter-day-digests.js';
import { RecordBuffer, type RecordFields } from '../../src/verify/reading-record.js';
import { intervalGrid, onGrid, verifyChunks, windowDays } from '../../src/verify/verify-chunks.js';
import { verifyTargets } from '../../src/verify/verify-targets.js';
import { at, tsText, verifyScenario } from '../support/verify.js';

const scenario = verifyScenario();
const from = scenarioStartUtcMs(scenario);
const to = scenarioEndUtcMs(scenario);

describe('verify chunks', () => {
  it('splits the window into its local days, each day part meeting the next', () => {
    const days = windowDays(scenario, from, to);
    expect(days.map((d) => [d.day.localDate, (d.toMs - d.fromMs) / 900_000])).toEqual([['2026-03-07', 96], ['2026-03-08', 92], ['2026-03-09', 4]]);
    for (let i = 1; i < days.length; i++) expect(days[i]!.fromMs).toBe(days[i - 1]!.toMs);
    expect([days[0]!.fromMs, days.at(-1)!.toMs]).toEqual([from, to]);
    const narrow = windowDays(scenario, at(scenario, 23, 10), at(scenario, 25));
    expect(narrow.map((d) => [d.day.localDate, tsText(d.fromMs), tsText(d.toMs)])).toEqual([
      ['2026-03-07', tsText(at(scenario, 23, 10)), tsText(at(scenario, 24))],
      ['2026-03-08', tsText(at(scenario, 24)), tsText(at(scenario, 25))],
    ]);
  });

  it('covers every meter-day exactly once within the row budget, whatever the budget', () => {
    for (const chunkRows of [1, 95, 96, 500, 2_880, 5_000, 100_000]) {
      const seen = new Map<string, number>();
      for (const chunk of verifyChunks(scenario, from, to, chunkRows)) {
        const rows = chunk.days.reduce((sum, d) => sum + d.day.intervals, 0) * (chunk.meterEnd - chunk.meterStart);
        // Over budget only when a single meter-day is (chunkRows below one day of intervals).
        if (rows > chunkRows) expect(chunk.meterEnd - chunk.meterStart === 1 && chunk.days.length === 1, `chunkRows ${chunkRows}`).toBe(true);
        expect([chunk.fromMs, chunk.toMs]).toEqual([chunk.days[0]!.fromMs, chunk.days.at(-1)!.toMs]);
        for (const d of chunk.days) for (let m = chunk.meterStart; m < chunk.meterEnd; m++) {
          const key = `${m} ${d.day.localDate}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
      expect(seen.size, `chunkRows ${chunkRows}`).toBe(scenario.meters * 3);
      expect([...seen.values()].every((v) => v === 1)).toBe(true);
    }
    expect(intervalsPerMeter(scenario)).toBe(96 + 92 + 4);
  });

  it('knows the interval grid to the microsecond', () => {
    const grid = intervalGrid(scenario);
    expect(onGrid(grid, from * 1000)).toBe(true);
    expect(onGrid(grid, at(scenario, 7, 45) * 1000)).toBe(true);
    expect(onGrid(grid, at(scenario, 7, 44) * 1000)).toBe(false);
    expect(onGrid(grid, at(scenario, 7, 45) * 1000 + 1)).toBe(false);
  });
});

/** The next double above `x` (one ulp up). */
function nextUp(x: number): number {
  const bits = new Float64Array([x]);
  new BigUint64Array(bits.buffer)[0]! += 1n;
  return bits[0]!;
}

describe('meter-day digests', () => {
  const base: RecordFields = { tsMs: from, usage: 0.31, voltage: 121.4, powerFactor: 0.953, temperature: 18.2, outage: false, quality: 0, event: 0 };
  const digestOf = (...records: RecordFields[]): MeterDayDigests => {
    const buffer = new RecordBuffer(1);
    for (const r of records) buffer.pushFields(r);
    const digests = new MeterDayDigests(1);
    digests.set(0, buffer);
    return digests;
  };
  const second: RecordFields = { ...base, tsMs: from + 900_000, usage: 0.4 };

  it('are equal for the same readings and differ when any compared value, a null, -0 or the order differs', () => {
    const reference = digestOf(base, second);
    expect(reference.sameReadings(0, digestOf({ ...base }, { ...second }))).toBe(true);
    const variants: [string, RecordFields][] = [
      ['time', { ...base, tsMs: base.tsMs + 60_000 }],
      ['usage one ulp', { ...base, usage: nextUp(0.31) }],
      ['voltage', { ...base, voltage: 121.5 }],
      ['power factor', { ...base, powerFactor: 0.954 }],
      ['temperature', { ...base, temperature: 18.3 }],
      ['outage', { ...base, outage: true }],
      ['quality', { ...base, quality: 1 }],
      ['event', { ...base, event: 3 }],
      ['null usage', { ...base, usage: null }],
      ['null outage', { ...base, outage: null }],
      ['null quality', { ...base, quality: null }],
    ];
    for (const [name, variant] of variants) expect(reference.sameReadings(0, digestOf(variant, second)), name).toBe(false);
    expect(digestOf({ ...base, usage: 0 }).sameReadings(0, digestOf({ ...base, usage: -0 }))).toBe(false);
    expect(reference.sameReadings(0, digestOf(second, base))).toBe(false);
    expect(reference.sameReadings(0, digestOf(base))).toBe(false);
  });

  it('round-trip a record through the buffer and grow past their first capacity', () => {
    const buffer = new RecordBuffer(1);
    for (let i = 0; i < 500; i++) buffer.pushFields({ ...base, tsMs: from + i * 900_000, usage: i === 7 ? null : i / 10 });
    expect(buffer.length).toBe(500);
    expect(buffer.fields(7)).toEqual({ ...base, tsMs: from + 7 * 900_000, usage: null });
    expect(buffer.fields(499)).toEqual({ ...base, tsMs: from + 499 * 900_000, usage: 49.9 });
    expect(() => new MeterDayDigests(1).set(0, buffer)).not.toThrow();
    const once = new MeterDayDigests(1);
    once.set(0, buffer);
    expect(() => once.set(0, buffer)).toThrow(/recorded twice/);
  });
});

describe('verify targets', () => {
  it('resolves the DuckDB file and Postgres table as the sink factory does', () => {
    const env = { FORGE_PG_URL: 'postgres://forge:s3cret@db.example/ami' };
    expect(verifyTargets({ sink: ['duckdb'], out: 'x.duckdb' }, env)).toEqual([{ kind: 'duckdb', path: 'x.duckdb' }]);
    expect(verifyTargets({ sink: ['duckdb', 'postgres'], out: 'x.duckdb' }, env)).toEqual([
      { kind: 'duckdb', path: 'x.duckdb' },
      { kind: 'postgres', url: 'postgres://forge:s3cret@db.example/ami', table: 'ami_readings' },
    ]);
    // With another path sink, --out was not the DuckDB file's (output-options refuses --out with two path sinks anyway).
    expect(verifyTargets({ sink: ['duckdb', 'parquet'] }, env)).toEqual([{ kind: 'duckdb', path: DEFAULT_DUCKDB_PATH }]);
    expect(verifyTargets({ sink: ['postgres'], pgUrl: 'postgres://u@h/d', pgTable: 's.t' }, env)).toEqual([{ kind: 'postgres', url: 'postgres://u@h/d', table: 's.t' }]);
    expect(verifyTargets({ sink: ['parquet', 'mqtt'] }, env)).toEqual([]);
  });
});

describe('the plan of forge verify --job', () => {
  const record = (overrides: Partial<JobRecord>): JobRecord => ({
    jobId: 'job-x',
    kind: 'batch',
    status: 'completed',
    pid: 1,
    createdAt: '2026-03-10T00:00:00.000Z',
    updatedAt: '2026-03-10T00:00:00.000Z',
    finishedAt: null,
    scenario: scenarioToInput(scenario),
    output: parseOutputOptions({ sink: 'duckdb,postgres', out: 'f.duckdb', pgUrl: 'postgres://u@h/d' }),
    stream: null,
    emission: null,
    stats: { generated: 0, delivered: 0, rowsPerSecond: 0, sinks: [] },
    errors: [],
    ...overrides,
  });
  const stream = { fromUtc: tsText(at(scenario, 2)), toUtc: tsText(at(scenario, 20)), speed: 60 };

  it('takes the scenario and its sinks from the record; a batch job is checked over its whole scenario', () => {
    const plan = jobVerifyPlan(record({ status: 'failed' }));
    expect(plan.scenario).toEqual(scenario);
    expect([plan.fromUtcMs, plan.toUtcMs]).toEqual([from, to]);
    expect(plan.targets).toEqual([{ kind: 'duckdb', path: 'f.duckdb' }, { kind: 'postgres', url: 'postgres://u@h/d', table: 'ami_readings' }]);
  });

  it('checks a stream job to its end when it completed, else to what every sink committed', () => {
    const completeThroughUtc = tsText(at(scenario, 9));
    const stats = { generated: 0, delivered: 0, rowsPerSecond: 0, sinks: [], completeThroughUtc };
    const window = (r: JobRecord): [number, number] => {
      const p = jobVerifyPlan(r);
      return [p.fromUtcMs, p.toUtcMs];
    };
    expect(window(record({ kind: 'stream', status: 'completed', stream, stats }))).toEqual([at(scenario, 2), at(scenario, 20)]);
    for (const status of ['stopped', 'failed', 'interrupted', 'running'] as const) {
      expect(window(record({ kind: 'stream', status, stream, stats })), status).toEqual([at(scenario, 2), at(scenario, 9)]);
    }
    expect(window(record({ kind: 'stream', status: 'stopped', stream }))).toEqual([at(scenario, 2), at(scenario, 2)]);
    expect(window(record({ kind: 'stream', status: 'completed', stream: { ...stream, toUtc: null }, stats }))).toEqual([at(scenario, 2), at(scenario, 9)]);
  });

  it('refuses a record it cannot plan from, saying why', () => {
    expect(() => jobVerifyPlan(record({ output: parseOutputOptions({ sink: 'csv' }) }))).toThrow(
      expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG', message: expect.stringContaining('job job-x delivered to csv') }),
    );
    expect(() => jobVerifyPlan(record({ kind: 'stream', stream: null }))).toThrow(expect.objectContaining({ code: 'FORGE_ERR_JOB_STATE' }));
    const { start: _start, ...noStart } = scenarioToInput(scenario);
    expect(() => jobVerifyPlan(record({ scenario: noStart }))).toThrow(expect.objectContaining({ code: 'FORGE_ERR_JOB_STATE', message: expect.stringContaining('no scenario start') }));
    expect(() => jobVerifyPlan(record({ kind: 'stream', stream: { ...stream, fromUtc: 'soon' } }))).toThrow(expect.objectContaining({ code: 'FORGE_ERR_JOB_STATE' }));
  });
});
