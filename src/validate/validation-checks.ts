import { existsSync } from 'node:fs';
import { SEGMENTS, type Segment } from '../scenario/enums.js';
import { expectedRows, resolveScenario, type Scenario } from '../scenario/scenario.js';
import { SERVICE_AREAS } from '../scenario/service-areas.js';
import { ForgeError } from '../util/forge-error.js';
import { STAR_SCHEMA } from '../warehouse/star-schema.js';
import { Warehouse } from '../warehouse/warehouse.js';

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface ValidationReport {
  readonly path: string;
  readonly rows: number;
  readonly jobs: number;
  readonly checks: readonly CheckResult[];
  readonly passed: boolean;
}

/** Plausible mean demand by segment, kW (usage per interval / hours): wide bands that catch unit and scale errors. */
const MEAN_KW_BANDS: Readonly<Record<Segment, readonly [number, number]>> = {
  RESIDENTIAL: [0.3, 4],
  COMMERCIAL: [3, 300],
  INDUSTRIAL: [20, 5_000],
};
/**
 * Highest plausible demand of a single meter by segment, kW. Commercial: the largest CBECS buildings (over 500,000 sq
 * ft, 16 GWh a year) draw a few MW on one service, and an anomaly spike 1.5 times that (the generator stays under
 * 9.75 MW); 10 MW is also the stage loader's bound for a commercial reading (USAGE_BOUNDS_KW in reading-checks.ts).
 */
const MAX_KW: Readonly<Record<Segment, number>> = { RESIDENTIAL: 40, COMMERCIAL: 10_000, INDUSTRIAL: 50_000 };
const VOLTAGE_RANGE_A_MIN_SHARE = 0.95;
const MAX_OUTAGE_SHARE = 0.02;
/** With a forced storm (`--storm`) most feeders are out for hours: a short scenario can spend a tenth of its time out. */
const MAX_OUTAGE_SHARE_WITH_STORM = 0.15;

/**
 * Quality checks on a DuckDB output of `forge generate`: the expected row count from the scenarios recorded in
 * forge_jobs, key integrity, segment shares, aligned timestamps, local/UTC coherence, usage ranges by segment,
 * voltage within ANSI C84.1 Range A, and the outage share. Opens the database read-only.
 */
export async function validateOutput(path: string): Promise<ValidationReport> {
  if (!existsSync(path)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
  const warehouse = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
  try {
    const tables = await warehouse.rows(`SELECT table_name FROM information_schema.tables`);
    const names = new Set(tables.map((t) => String(t.table_name)));
    if (!names.has(STAR_SCHEMA.jobs) || !names.has(STAR_SCHEMA.readings)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
    // A job that committed no reading and never finished (killed: still 'running'; failed: 'aborted') added nothing to
    // the fact table, so it expects nothing: the re-run after a kill -9 validates on its own rows. A job that ended
    // early with rows (a stopped stream, a stopped batch) expects exactly the rows it recorded as committed: they were
    // counted in the transaction that wrote them; `forge verify --job` tells whether they are the right ones.
    const jobs: ValidatedJob[] = (
      await warehouse.rows(
        `SELECT job_id, CAST(scenario AS VARCHAR) AS scenario, status, rows FROM ${STAR_SCHEMA.jobs} WHERE NOT (rows = 0 AND status IN ('running', 'aborted')) ORDER BY started_at`,
      )
    ).map((j) => {
      const scenario = resolveScenario(JSON.parse(String(j.scenario)));
      return { scenario, expected: j.status === 'completed' ? expectedRows(scenario) : Number(j.rows), partial: j.status !== 'completed' };
    });
    const checks = await runChecks(warehouse, jobs);
    const rows = await warehouse.number(`SELECT count(*) FROM ${STAR_SCHEMA.fact}`);
    return { path, rows, jobs: jobs.length, checks, passed: checks.every((c) => c.passed) };
  } finally {
    warehouse.close();
  }
}

/** A job of the warehouse's log: its scenario and the rows it should have left. */
interface ValidatedJob {
  readonly scenario: Scenario;
  /** The scenario's rows for a completed job; the rows it recorded as committed for one that ended early. */
  readonly expected: number;
  readonly partial: boolean;
}

async function runChecks(w: Warehouse, jobs: readonly ValidatedJob[]): Promise<CheckResult[]> {
  const scenarios = jobs.map((j) => j.scenario);
  const R = STAR_SCHEMA.readings;
  const checks: CheckResult[] = [];
  const add = (name: string, passed: boolean, detail: string): void => void checks.push({ name, passed, detail });
  const fmt = (v: number): string => v.toLocaleString('en-US');

  const rows = await w.number(`SELECT count(*) FROM ${R}`);
  const expected = jobs.reduce((s, j) => s + j.expected, 0);
  const partial = jobs.filter((j) => j.partial).length;
  add(
    'row_count',
    rows === expected && rows > 0,
    `${fmt(rows)} rows, expected ${fmt(expected)} from ${jobs.length} job(s)${partial > 0 ? ` (${partial} ended early: the rows they recorded as committed)` : ''}`,
  );

  const nullKeys = await w.number(`SELECT count(*) FROM ${R} WHERE meter_id IS NULL OR reading_ts_utc IS NULL OR reading_ts IS NULL`);
  add('no_null_keys', nullKeys === 0, `${fmt(nullKeys)} rows with a null meter_id, reading_ts or reading_ts_utc`);

  const duplicates = rows - (await w.number(`SELECT count(*) FROM (SELECT DISTINCT meter_id, reading_ts_utc FROM ${R})`));
  add('unique_keys', duplicates === 0, `${fmt(duplicates)} duplicate (meter_id, reading_ts_utc) keys`);

  const misaligned = await w.number(
    `SELECT count(*) FROM ${R} WHERE second(reading_ts_utc) <> 0 OR (hour(reading_ts_utc) * 60 + minute(reading_ts_utc)) % interval_minutes <> 0`,
  );
  add('aligned_minutes', misaligned === 0, `${fmt(misaligned)} readings not on an interval boundary`);

  const zones = [...new Set(scenarios.map((s) => SERVICE_AREAS[s.area].timeZone))];
  const areaZones = scenarios.map((s) => `('${s.area}', '${SERVICE_AREAS[s.area].timeZone}')`).join(', ');
  const incoherent = zones.length === 0 ? 0 : await w.number(
    `SELECT count(*) FROM ${R} r JOIN (VALUES ${areaZones}) z(area, tz) ON r.service_area = z.area
     WHERE timezone(z.tz, r.reading_ts_utc) <> r.reading_ts`,
  );
  add('local_time_coherent', incoherent === 0, `${fmt(incoherent)} readings whose reading_ts is not reading_ts_utc in the area's time zone`);

  await segmentShares(w, scenarios, add);
  await usageRanges(w, add);

  const voltage = (await w.rows(
    `SELECT count(*) FILTER (WHERE voltage BETWEEN 114 AND 126) / greatest(count(*), 1) AS share FROM ${R} WHERE NOT is_outage`,
  ))[0];
  const inRange = Number(voltage?.share ?? 0);
  add('voltage_range_a', inRange >= VOLTAGE_RANGE_A_MIN_SHARE, `${(inRange * 100).toFixed(2)}% of supplied readings within 114-126 V (ANSI C84.1 Range A; at least ${VOLTAGE_RANGE_A_MIN_SHARE * 100}% expected)`);

  const outage = (await w.rows(
    `SELECT count(*) FILTER (WHERE is_outage) / greatest(count(*), 1) AS share,
            count(*) FILTER (WHERE is_outage AND (usage_kwh <> 0 OR data_quality <> 'OUTAGE')) AS incoherent FROM ${R}`,
  ))[0];
  const outageShare = Number(outage?.share ?? 0);
  const outageIncoherent = Number(outage?.incoherent ?? 0);
  const maxOutage = scenarios.some((s) => s.storm !== null) ? MAX_OUTAGE_SHARE_WITH_STORM : MAX_OUTAGE_SHARE;
  add('outage_share', outageShare <= maxOutage && outageIncoherent === 0,
    `${(outageShare * 100).toFixed(3)}% of readings in outage (at most ${maxOutage * 100}%${maxOutage === MAX_OUTAGE_SHARE ? '' : ', a storm was forced'}), ${fmt(outageIncoherent)} outage readings with usage or a quality other than OUTAGE`);
  return checks;
}

async function segmentShares(w: Warehouse, scenarios: readonly Scenario[], add: (n: string, p: boolean, d: string) => void): Promise<void> {
  const counts = await w.rows(`SELECT customer_segment AS segment, count(DISTINCT meter_id) AS meters FROM ${STAR_SCHEMA.readings} GROUP BY 1`);
  const total = counts.reduce((s, c) => s + Number(c.meters), 0);
  const expected: Record<Segment, number> = { RESIDENTIAL: 0, COMMERCIAL: 0, INDUSTRIAL: 0 };
  let weight = 0;
  for (const s of scenarios) {
    for (const seg of SEGMENTS) expected[seg] += s.meters * (s.segment ? (s.segment === seg ? 1 : 0) : s.mix[seg]);
    weight += s.meters;
  }
  const parts: string[] = [];
  let passed = total > 0;
  for (const seg of SEGMENTS) {
    const share = Number(counts.find((c) => c.segment === seg)?.meters ?? 0) / Math.max(total, 1);
    const p = expected[seg] / Math.max(weight, 1);
    // Binomial tolerance: four standard deviations, and at least two percentage points.
    const tolerance = Math.max(0.02, 4 * Math.sqrt((p * (1 - p)) / Math.max(total, 1)));
    if (Math.abs(share - p) > tolerance) passed = false;
    parts.push(`${seg} ${(share * 100).toFixed(1)}% (expected ${(p * 100).toFixed(1)}% +- ${(tolerance * 100).toFixed(1)})`);
  }
  add('segment_shares', passed, parts.join(', '));
}

async function usageRanges(w: Warehouse, add: (n: string, p: boolean, d: string) => void): Promise<void> {
  const stats = await w.rows(
    `SELECT customer_segment AS segment, avg(usage_kwh * 60 / interval_minutes) AS mean_kw, max(usage_kwh * 60 / interval_minutes) AS max_kw,
            count(*) FILTER (WHERE usage_kwh < 0 AND NOT is_outage) AS negative, count(*) FILTER (WHERE isnan(usage_kwh) OR usage_kwh IS NULL) AS invalid
     FROM ${STAR_SCHEMA.readings} GROUP BY 1 ORDER BY 1`,
  );
  let passed = stats.length > 0;
  const parts: string[] = [];
  for (const s of stats) {
    const seg = s.segment as Segment;
    const [lo, hi] = MEAN_KW_BANDS[seg];
    const mean = Number(s.mean_kw);
    const max = Number(s.max_kw);
    if (mean < lo || mean > hi || max > MAX_KW[seg] || Number(s.invalid) > 0) passed = false;
    parts.push(`${seg} mean ${mean.toFixed(2)} kW (${lo}-${hi}), max ${max.toFixed(1)} kW (<= ${MAX_KW[seg]})`);
  }
  add('usage_ranges', passed, parts.join('; '));
}
