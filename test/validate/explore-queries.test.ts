import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/fleet/fleet.js';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { buildServer } from '../../src/server/build-server.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { isForgeError } from '../../src/util/forge-error.js';
import { exploreOutput, type ExploreData } from '../../src/validate/explore-queries.js';
import { householdStatistics } from '../../src/validate/household-statistics.js';
import { exploreReportHtml } from '../../src/validate/explore-report.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

// A small fleet with PV and EV homes and a storm, so every panel has something to show.
const scenario = resolveScenario({ meters: 80, days: 8, seed: 7, pvShare: 0.3, evShare: 0.3, storm: true });
const dir = mkdtempSync(join(tmpdir(), 'forge-explore-'));
const path = join(dir, 'forge.duckdb');
let data: ExploreData;
let raw: { meter: string; segment: string; local: string; hour: number; weekend: boolean; kwh: number; minutes: number; voltage: number | null; outage: boolean; event: string | null }[];

beforeAll(async () => {
  await runBatchJob({ scenario, sinks: [new DuckDbSink({ path })], jobId: 'job-explore', workers: 0 });
  const w = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
  try {
    raw = (await w.rows(`SELECT meter_id, customer_segment, strftime(reading_ts, '%Y-%m-%dT%H:%M') AS local, hour(reading_ts) AS h, isodow(reading_ts) >= 6 AS we, usage_kwh, interval_minutes, voltage, is_outage, event_type FROM ami_readings`)).map((r) => ({
      meter: String(r.meter_id), segment: String(r.customer_segment), local: String(r.local), hour: Number(r.h), weekend: r.we === true, kwh: Number(r.usage_kwh), minutes: Number(r.interval_minutes),
      voltage: r.voltage === null ? null : Number(r.voltage), outage: r.is_outage === true, event: r.event_type === null ? null : String(r.event_type),
    }));
  } finally {
    w.close();
  }
  data = await exploreOutput(path, { referencePath: join(dir, 'no-such-reference.csv') });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('exploreOutput on a generated DuckDB output', () => {
  it('counts every reading and meter, and each segment profile is the mean kW of the raw readings in that hour', () => {
    expect(data.source).toBe('star');
    expect(data.rows).toBe(raw.length);
    expect(data.meters).toBe(80);
    expect(data.days).toBe(8);
    for (const p of data.profiles.dayType) {
      const cell = raw.filter((r) => r.segment === p.segment && r.hour === p.hour && r.weekend === (p.group === 'weekend'));
      expect(p.kw).toBeCloseTo(mean(cell.map((r) => (r.kwh * 60) / r.minutes)), 6);
    }
    // The season and month groups cover the same readings: their weighted means agree with the raw total.
    expect(new Set(data.profiles.season.map((p) => p.group)).size).toBeGreaterThan(0);
  });

  it('heat map cells sum the raw energy of their local day and hour', () => {
    const total = raw.reduce((s, r) => s + r.kwh, 0);
    expect(data.heatmap.reduce((s, c) => s + c.kwh, 0)).toBeCloseTo(total, 3);
    const c = data.heatmap[30]!;
    const cell = raw.filter((r) => r.local.startsWith(c.day) && r.hour === c.hour);
    expect(c.kwh).toBeCloseTo(cell.reduce((s, r) => s + r.kwh, 0), 6);
    expect(data.heatmap.length).toBe(8 * 24);
  });

  it('puts every meter in one annual bin (or apart as a net producer), the bin holding its own annual kWh', () => {
    const binned = data.annual.bins.reduce((s, b) => s + b.meters, 0) + data.annual.nonPositive.reduce((s, b) => s + b.meters, 0);
    expect(binned).toBe(80);
    const first = raw.filter((r) => r.meter === raw[0]!.meter);
    const annual = (first.reduce((s, r) => s + r.kwh, 0) * 365) / 8;
    if (annual > 0) {
      const bin = data.annual.bins.find((b) => b.segment === first[0]!.segment && b.low <= annual && annual < b.high);
      expect(bin?.meters).toBeGreaterThanOrEqual(1);
    }
  });

  it('voltage: the histogram counts every supplied reading once; percentiles by hour match the raw values', () => {
    const supplied = raw.filter((r) => !r.outage && r.voltage !== null && r.voltage > 0);
    expect(data.voltage.readings).toBe(supplied.length);
    expect(data.voltage.histogram.reduce((s, b) => s + b.readings, 0) + data.voltage.below + data.voltage.above).toBe(supplied.length);
    const inA = supplied.filter((r) => r.voltage! >= 114 && r.voltage! <= 126).length / supplied.length;
    expect(data.voltage.inRangeA).toBeCloseTo(inA, 10);
    const noon = supplied.filter((r) => r.hour === 12).map((r) => r.voltage!).sort((a, b) => a - b);
    const h = data.voltage.byHour.find((x) => x.hour === 12)!;
    expect(h.p95).toBe(noon[Math.ceil(0.95 * noon.length) - 1]);
    expect(h.mean).toBeCloseTo(mean(noon), 6);
  });

  it('PV and EV homes are the fleet\'s own, and PV homes export at midday', () => {
    const fleet = buildFleet(scenario);
    const residential = (i: number): boolean => raw.some((r) => r.meter === fleet.meterIds[i] && r.segment === 'RESIDENTIAL');
    const pv = [...fleet.traits.pvKw.keys()].filter((i) => fleet.traits.pvKw[i]! > 0 && residential(i));
    const ev = [...fleet.traits.evKw.keys()].filter((i) => fleet.traits.evKw[i]! > 0 && residential(i));
    expect(data.pvEv.basis).toBe('fleet');
    expect(data.pvEv.pvMeters).toBe(pv.length);
    expect(data.pvEv.evMeters).toBe(ev.length);
    expect(pv.length).toBeGreaterThan(0);
    expect(data.pvEv.pvMiddayExportShare).toBeGreaterThan(0);
    const ids = new Set(pv.map((i) => fleet.meterIds[i]));
    const noon = raw.filter((r) => ids.has(r.meter) && r.hour === 12);
    expect(data.pvEv.byHour[12]!.pvKw).toBeCloseTo(mean(noon.map((r) => (r.kwh * 60) / r.minutes)), 6);
  });

  it('outages: minutes out per meter and customers out per interval from the flags; SAIFI/SAIDI from the reliability report', () => {
    const outMinutes = raw.filter((r) => r.outage).reduce((s, r) => s + r.minutes, 0);
    expect(outMinutes).toBeGreaterThan(0);
    expect(data.outages.meters.reduce((s, m) => s + m.minutesOut, 0)).toBe(outMinutes);
    expect(data.outages.timeline.reduce((s, t) => s + t.customersOut, 0)).toBe(raw.filter((r) => r.outage).length);
    expect(data.outages.reliability?.customers).toBe(80);
    expect(data.outages.reliability!.all.saidiMinutes).toBeCloseTo(outMinutes / 80, 6);
  });

  it('events: counts by type and day add up to the labelled readings; the first ones come first', () => {
    const labelled = raw.filter((r) => r.event !== null);
    expect(data.events.byType.reduce((s, t) => s + t.count, 0)).toBe(labelled.length);
    expect(data.events.byDay.reduce((s, t) => s + t.count, 0)).toBe(labelled.length);
    expect(data.events.first.length).toBe(Math.min(50, labelled.length));
    const earliest = labelled.map((r) => r.local).sort()[0];
    expect(data.events.first[0]!.ts).toBe(earliest);
  });

  it("a meter's week is its own readings next to its segment's mean", () => {
    const week = data.meterWeek!;
    const own = raw.filter((r) => r.meter === week.meterId).sort((a, b) => a.local.localeCompare(b.local)).slice(0, 7 * 96);
    expect(week.points.length).toBe(own.length);
    expect(week.points[5]!.kw).toBeCloseTo((own[5]!.kwh * 60) / own[5]!.minutes, 9);
    const same = raw.filter((r) => r.segment === week.segment && r.local === week.points[5]!.ts);
    expect(week.points[5]!.segmentKw).toBeCloseTo(mean(same.map((r) => (r.kwh * 60) / r.minutes)), 9);
  });

  it('realism: the statistics are those of the residential meters summed to half hours from the raw readings', () => {
    const ids = [...new Set(raw.filter((r) => r.segment === 'RESIDENTIAL').map((r) => r.meter))].sort().slice(0, 100);
    const halfHour = (local: string): number => Math.floor(Date.parse(`${local}:00Z`) / 1_800_000) * 1_800_000;
    const times = [...new Set(raw.map((r) => halfHour(r.local)))].sort((a, b) => a - b);
    const column = new Map(times.map((t, i) => [t, i]));
    const series = new Map(ids.map((id) => [id, new Float64Array(times.length)]));
    for (const r of raw) {
      const own = series.get(r.meter);
      if (own) own[column.get(halfHour(r.local))!]! += r.kwh;
    }
    const expected = householdStatistics({ wallClockMs: Float64Array.from(times), households: ids.map((id) => series.get(id)!) });
    const got = data.realism.generated!.stats;
    expect(got.households).toBe(ids.length);
    expect(got.meanKwhPerHalfHour).toBeCloseTo(expected.meanKwh, 9);
    expect(got.householdMeanCv).toBeCloseTo(expected.householdMeanCv, 9);
    expect(got.p95ToMean).toBeCloseTo(expected.p95ToMean, 9);
    expect(got.lag1Autocorrelation).toBeCloseTo(expected.lag1Autocorrelation, 9);
    expect(got.weekendToWeekday).toBeCloseTo(expected.weekendToWeekday, 9);
    expect(got.profilePeakHour).toBe(expected.profilePeakHour);
  });

  it('realism: generated households summarised; without reference data the panel says so', () => {
    expect(data.realism.generated?.stats.households).toBeGreaterThan(0);
    expect(data.realism.generated?.profile).toHaveLength(24);
    expect(data.realism.reference).toBeNull();
    expect(data.realism.note).toMatch(/no reference households/);
  });

  it('refuses what is not an output: a missing file, an empty database, an unknown meter', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isForgeError(e) ? e.code : String(e)));
    expect(await code(exploreOutput(join(dir, 'absent.duckdb')))).toBe('FORGE_ERR_OUTPUT_NOT_FOUND');
    const empty = join(dir, 'empty.duckdb');
    (await Warehouse.open(empty)).close();
    expect(await code(exploreOutput(empty))).toBe('FORGE_ERR_OUTPUT_NOT_FOUND');
    expect(await code(exploreOutput(path, { meterId: 'MTR-NOPE' }))).toBe('FORGE_ERR_INVALID_CONFIG');
  });
});

describe('the HTML report', () => {
  it('is self-contained: inline SVG charts with their points, no script and nothing fetched', () => {
    const html = exploreReportHtml(data);
    writeFileSync(join(dir, 'report.html'), html);
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(html.match(/<svg/g)!.length).toBeGreaterThan(10);
    expect(html).toContain(`data-points="24"`);
    expect(html).toContain('SAIFI');
    expect(html).toContain('no reference households');
  });
});

describe('GET /api/explore', () => {
  it('explores a job or a file in the data directory, and refuses paths outside it and ambiguous queries', async () => {
    const server = await buildServer({ dataDir: dir, stateDir: join(dir, 'jobs') });
    try {
      const ok = await server.inject({ method: 'GET', url: '/api/explore?path=forge.duckdb' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json<ExploreData>().rows).toBe(raw.length);
      const outside = await server.inject({ method: 'GET', url: '/api/explore?path=/etc/passwd' });
      expect(outside.statusCode).toBe(400);
      const both = await server.inject({ method: 'GET', url: '/api/explore?path=forge.duckdb&job=x' });
      expect(both.statusCode).toBe(400);
      const unknown = await server.inject({ method: 'GET', url: '/api/explore?path=forge.duckdb&colour=red' });
      expect(unknown.statusCode).toBe(400);
      const report = await server.inject({ method: 'GET', url: '/api/explore/report?path=forge.duckdb' });
      expect(report.headers['content-type']).toMatch(/text\/html/);
      expect(report.body).toContain('<svg');
    } finally {
      await server.close();
    }
  });
});
