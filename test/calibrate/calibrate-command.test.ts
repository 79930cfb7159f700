import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseReadingMap, readReadingSample } from '../../src/calibrate/reading-sample.js';
import { generationDays } from '../../src/generator/calendar.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import { parseCalibrationProfile } from '../../src/scenario/calibration-profile.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { isoDateTime } from '../../src/util/time-zone.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { copyPostgresReadings } from '../../src/sinks/postgres/postgres-readings.js';
import { runForge } from '../support/run-forge.js';
import { PG_TEST_URL } from '../support/services.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-calibrate-'));

/** A long-format sample (meter, local start, kWh) of generated homes: `rows` lets a test spoil it. */
function sampleCsv(name: string, options: { meters?: number; days?: number; interval?: 15 | 30 | 60; edit?: (rows: string[][]) => void } = {}): string {
  const scenario = resolveScenario({
    meters: options.meters ?? 12, days: options.days ?? 8, start: '2025-04-07', interval: options.interval ?? 15,
    segment: 'RESIDENTIAL', mix: '100/0/0', pvShare: 0, evShare: 0, seed: 3, area: 'PACIFIC_NORTHWEST',
  });
  const generator = new ReadingGenerator(scenario);
  const rows: string[][] = [];
  for (const day of generationDays(scenario)) {
    const batch = generator.generate(day, 0, scenario.meters);
    for (let r = 0; r < batch.length; r++) {
      rows.push([generator.fleet.meterIds[batch.meterIndex[r]!]!, isoDateTime(batch.tsLocalMs[r]!).replace('T', ' ').replace('Z', ''), String(batch.usageKwh[r]!)]);
    }
  }
  options.edit?.(rows);
  const path = join(dir, name);
  writeFileSync(path, `METER_NO,READ_START,KWH\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return path;
}

const MAP = { meter_id: 'METER_NO', ts: 'READ_START', kwh: 'KWH' } as const;

describe('forge calibrate', () => {
  it('fits a profile from a CSV sample and writes aggregates only: no meter id, and a valid versioned profile', () => {
    const csv = sampleCsv('good.csv');
    const out = join(dir, 'profile.json');
    const run = runForge(['calibrate', '--readings', csv, '--map', 'meter_id=METER_NO,ts=READ_START,kwh=KWH', '--out', out, '--area', 'PACIFIC_NORTHWEST'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Read 9,216 readings of 12 meters, 15-minute, 8 whole days');
    // No temperature column: with --area, the sensitivity is fitted against the area's climate normals.
    expect(run.stdout).toContain("temperature sensitivity fitted against the area's climate normals");
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(/MTR-/);
    const profile = parseCalibrationProfile(JSON.parse(text), out);
    expect(profile.source).toEqual({ intervalMinutes: 15, days: 8, meters: 12 });
    expect(Object.keys(profile.segments)).toEqual(['RESIDENTIAL']);
    expect(Object.keys(profile.segments.RESIDENTIAL!.seasons)).toEqual(['SPRING']);

    // The profile applies to a scenario given on the command line, deterministically.
    const preview = (): string => runForge(['preview', '--profile', out, '--segment', 'RESIDENTIAL', '--meters', '3', '--days', '1', '--start', '2025-06-02'], dir).stdout;
    const first = preview();
    expect(first.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(preview()).toBe(first);
  }, 300_000);

  it('bad input exits 2 with the reason and writes no profile', () => {
    const csv = sampleCsv('bad-number.csv', { edit: (rows) => (rows[41]![2] = 'n/a') });
    const out = join(dir, 'never.json');
    const run = runForge(['calibrate', '--readings', csv, '--map', 'meter_id=METER_NO,ts=READ_START,kwh=KWH', '--out', out], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('row 42: "n/a" is not a number of kWh');
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('sums 15-minute readings to 30 minutes and fills a short gap with the meter\'s own mean at that hour', async () => {
    const csv = sampleCsv('gap.csv', { edit: (rows) => rows.splice(100, 3) });
    const sample = await readReadingSample({ path: csv, map: MAP });
    const panel = sample.panels.RESIDENTIAL!;
    expect(sample.intervalMinutes).toBe(15);
    expect(panel.intervalMinutes).toBe(30);
    expect(panel.wallClockMs.length).toBe(8 * 48);
    expect(panel.households.length).toBe(12);
    expect(sample.report.valuesFilled).toBe(3);
    expect(panel.households.every((s) => s.every(Number.isFinite))).toBe(true);
  });

  it('refuses what it cannot use, naming it', async () => {
    const good = sampleCsv('ok.csv');
    const odd = join(dir, 'odd.csv');
    const oddRows = Array.from({ length: 12 * 300 }, (_, i) => `M${i % 12},${isoDateTime(Date.UTC(2025, 3, 7) + Math.floor(i / 12) * 45 * 60_000)},0.1`);
    writeFileSync(odd, `METER_NO,READ_START,KWH\n${oddRows.join('\n')}\n`);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['a column the map names that is absent', () => readReadingSample({ path: good, map: { ...MAP, kwh: 'ENERGY' } }), /no column "ENERGY" for kwh/],
      ['a time that is not one', () => readReadingSample({ path: sampleCsv('bad-ts.csv', { edit: (r) => (r[5]![1] = 'yesterday') }), map: MAP }), /row 6: "yesterday" is not a time/],
      ['two readings of a meter in one interval', () => readReadingSample({ path: sampleCsv('dup.csv', { edit: (r) => r.push([...r[0]!]) }), map: MAP }), /two readings for the interval starting 2025-04-07 00:00:00/],
      ['readings 45 minutes apart', () => readReadingSample({ path: odd, map: MAP }), /45 minutes apart/],
      ['too few meters', () => readReadingSample({ path: sampleCsv('few.csv', { meters: 4 }), map: MAP }), /4 RESIDENTIAL meters .* at least 10/],
      ['too few days', () => readReadingSample({ path: sampleCsv('short.csv', { days: 3 }), map: MAP }), /3 whole days; calibration needs at least 7/],
      ['an unknown file type', () => readReadingSample({ path: join(dir, 'readings.xlsx'), map: MAP }), /unknown file type ".xlsx"/],
      ['a missing file', () => readReadingSample({ path: join(dir, 'none.csv'), map: MAP }), /none\.csv/],
    ];
    for (const [what, read, message] of cases) {
      await expect(read(), what).rejects.toMatchObject({ code: 'FORGE_ERR_READINGS', message: expect.stringMatching(message) });
    }
  }, 120_000);

  it('reads an unknown segment as an error and a segment column per meter', async () => {
    const path = join(dir, 'segments.csv');
    writeFileSync(path, 'meter_id,ts,kwh,segment\nA,2025-04-07 00:00:00,0.1,RESIDENTIAL\nB,2025-04-07 00:00:00,0.2,FARM\n');
    await expect(readReadingSample({ path })).rejects.toMatchObject({ code: 'FORGE_ERR_READINGS', message: expect.stringContaining('unknown segment "FARM"') });
  });

  it('--fleet-file: segments come from the fleet file; readings of meters it does not list are left out and counted', async () => {
    const csv = sampleCsv('fleet.csv', { meters: 24 });
    const fleet = join(dir, 'fleet.parquet');
    const w = await Warehouse.open(':memory:');
    try {
      // A fleet listing 20 of the 24 meters: 11 homes, 9 shops (meter ids as the sample writes them).
      await w.run(
        `COPY (SELECT printf('MTR-PNW-%07d', i) AS meter_id, CASE WHEN i <= 11 THEN 'RESIDENTIAL' ELSE 'COMMERCIAL' END AS segment FROM range(1, 21) t(i))
         TO '${fleet}' (FORMAT parquet)`,
      );
    } finally {
      w.close();
    }
    const sample = await readReadingSample({ path: csv, map: MAP, fleetFile: fleet }).catch((e: Error) => e);
    // Nine commercial meters are fewer than a segment needs: refused, naming the segment.
    expect(sample).toMatchObject({ code: 'FORGE_ERR_READINGS', message: expect.stringContaining('9 COMMERCIAL meters') });
    await expect(readReadingSample({ path: csv, map: MAP, fleetFile: join(dir, 'ok.csv') })).rejects.toMatchObject({
      code: 'FORGE_ERR_READINGS',
      message: expect.stringContaining('not a fleet file'),
    });
    const w2 = await Warehouse.open(':memory:');
    try {
      await w2.run(`COPY (SELECT printf('MTR-PNW-%07d', i) AS meter_id, 'RESIDENTIAL' AS segment FROM range(1, 21) t(i)) TO '${fleet}' (FORMAT parquet)`);
    } finally {
      w2.close();
    }
    const homes = await readReadingSample({ path: csv, map: MAP, fleetFile: fleet });
    expect(homes.panels.RESIDENTIAL!.households.length).toBe(20);
    expect(homes.report.metersNotInFleet).toBe(4);
  });

  it('reads a Postgres table (--pg-url, --table): the same sample as the CSV it was loaded from; a missing column exits 2', async () => {
    const csv = sampleCsv('pg.csv');
    const table = `forge_calibrate_${process.pid}`;
    const client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.query(`CREATE TABLE ${table} (meter_no text, read_start timestamp, kwh double precision)`);
      const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
      await client.query(`INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::timestamp[], $3::float8[])`, [
        rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => Number(r[2])),
      ]);
      const copy = join(dir, 'from-pg.csv');
      const columns = [{ column: 'meter_no', as: 'meter_id' }, { column: 'read_start', as: 'ts' }, { column: 'kwh', as: 'kwh' }];
      expect(await copyPostgresReadings(PG_TEST_URL, table, columns, copy)).toBe(rows.length);
      const fromPg = await readReadingSample({ path: copy });
      const fromCsv = await readReadingSample({ path: csv, map: MAP });
      expect(fromPg.panels.RESIDENTIAL!.households).toEqual(fromCsv.panels.RESIDENTIAL!.households);
      await expect(copyPostgresReadings(PG_TEST_URL, table, [{ column: 'energy', as: 'kwh' }], join(dir, 'never.csv'))).rejects.toMatchObject({
        code: 'FORGE_ERR_READINGS', message: expect.stringContaining('no column "energy" for kwh'),
      });
      await expect(copyPostgresReadings(PG_TEST_URL, 'bad name;', columns, join(dir, 'never.csv'))).rejects.toMatchObject({ code: 'FORGE_ERR_READINGS' });
      const out = join(dir, 'pg-profile.json');
      const run = runForge(['calibrate', '--pg-url', PG_TEST_URL, '--table', table, '--map', 'meter_id=meter_no,ts=read_start,kwh=energy', '--out', out], dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`postgres table ${table}`);
      expect(existsSync(out)).toBe(false);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  }, 120_000);

  it('--map refuses unknown fields and empty column names', () => {
    expect(parseReadingMap('meter_id=M, ts = T ,kwh=K')).toEqual({ meter_id: 'M', ts: 'T', kwh: 'K' });
    expect(() => parseReadingMap('meter=M')).toThrow(/unknown field "meter"/);
    expect(() => parseReadingMap('kwh=')).toThrow(/kwh names no column/);
  });
});
