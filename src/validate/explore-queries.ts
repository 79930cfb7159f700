import { existsSync, statSync } from 'node:fs';
import { buildFleet } from '../fleet/fleet.js';
import { resolveScenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { quoteIdentifier, quoteLiteral } from '../warehouse/sql-quote.js';
import { STAR_SCHEMA } from '../warehouse/star-schema.js';
import { Warehouse } from '../warehouse/warehouse.js';
import { householdStatistics, normaliseProfile, type HouseholdStatistics } from './household-statistics.js';
import { loadReferenceHouseholds, referenceDataPath } from './reference-households.js';
import { ExploreCache } from './explore-cache.js';
import type { ExploreGate } from './explore-gate.js';
import type { ExploreSessions } from './explore-sessions.js';
import { exploreSource, PIPELINE_TABLES, type ExploreSource } from './explore-source.js';
import { reliabilityOf, type ReliabilityReport } from './reliability-report.js';

/** ANSI C84.1 service voltage ranges on a 120 V base: A is normal, B is infrequent and tolerable. */
export const ANSI_RANGE_A = { low: 114, high: 126 } as const;
export const ANSI_RANGE_B = { low: 110, high: 127 } as const;
/** The voltage histogram's span (1 V bins); readings outside it are counted apart. */
const VOLT_LOW = 100;
const VOLT_HIGH = 140;
/** Quarter-decade bins of annual kWh. */
const BINS_PER_DECADE = 4;
/** How many labelled events the first-events table lists. */
const FIRST_EVENTS = 50;

/** Demand as average kW, whatever the interval: kWh x 60 / interval minutes. */
const KW = 'usage_kwh * 60.0 / interval_minutes';

/** A local date's (YYYY-MM-DD) day type and meteorological season. */
const dayTypeOf = (day: string): string => ([0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay()) ? 'weekend' : 'weekday');
const SEASONS = ['winter', 'winter', 'spring', 'spring', 'spring', 'summer', 'summer', 'summer', 'autumn', 'autumn', 'autumn', 'winter'] as const;
const seasonOf = (day: string): string => SEASONS[Number(day.slice(5, 7)) - 1]!;

interface HourCell {
  readonly segment: string;
  readonly day: string;
  readonly hour: number;
  /** Sum of the readings' kW and their count: means are summed from these exactly. */
  readonly kwSum: number;
  readonly n: number;
  readonly kwh: number;
}

/** Mean kW of a meter by segment, group and hour of day, from the hour cells. */
function profileOf(cells: readonly HourCell[], groupOf: (day: string) => string): ProfilePoint[] {
  const sums = new Map<string, { segment: string; group: string; hour: number; kw: number; n: number }>();
  for (const c of cells) {
    const group = groupOf(c.day);
    const key = `${c.segment}\u0000${group}\u0000${c.hour}`;
    const s = sums.get(key) ?? { segment: c.segment, group, hour: c.hour, kw: 0, n: 0 };
    s.kw += c.kwSum;
    s.n += c.n;
    sums.set(key, s);
  }
  return [...sums.values()]
    .map((s) => ({ segment: s.segment, group: s.group, hour: s.hour, kw: s.kw / s.n }))
    .sort((a, b) => a.segment.localeCompare(b.segment) || a.group.localeCompare(b.group) || a.hour - b.hour);
}

export interface ProfilePoint {
  readonly segment: string;
  /** weekday / weekend, a season, or a month (YYYY-MM). */
  readonly group: string;
  readonly hour: number;
  /** Mean demand of one meter in that hour, kW. */
  readonly kw: number;
}

export interface ExploreData {
  readonly path: string;
  /** `star`: a DuckDB output's star schema (ami_fact, ami_meters); `silver`: a pipeline database's silver_ami. */
  readonly source: 'star' | 'silver';
  readonly rows: number;
  readonly meters: number;
  readonly firstDay: string;
  readonly lastDay: string;
  readonly days: number;
  readonly segments: { readonly segment: string; readonly meters: number }[];
  /**
   * A pipeline database's medallion tables with their rows (every chart reads silver_ami, the typed, deduplicated
   * readings; gold is aggregated from silver); null for a DuckDB output.
   */
  readonly pipeline: { readonly tables: { readonly table: string; readonly rows: number }[] } | null;
  /** By segment and weekday/weekend, by season, and by month. */
  readonly profiles: { readonly dayType: ProfilePoint[]; readonly season: ProfilePoint[]; readonly month: ProfilePoint[] };
  /** One meter's first week (local time) next to the mean meter of its segment at the same intervals. */
  readonly meterWeek: {
    readonly meterId: string;
    readonly segment: string;
    readonly points: { readonly ts: string; readonly kw: number; readonly segmentKw: number }[];
  } | null;
  /** Total energy of the fleet by local day and hour, kWh. */
  readonly heatmap: { readonly day: string; readonly hour: number; readonly kwh: number }[];
  /**
   * Meters by annual consumption (their kWh scaled to 365 days), in log bins: bin b spans 10^(b/4) to 10^((b+1)/4)
   * kWh. Net producers (PV exporting more than the home uses) cannot go on a log axis and are counted apart.
   */
  readonly annual: {
    readonly bins: { readonly segment: string; readonly low: number; readonly high: number; readonly meters: number }[];
    readonly nonPositive: { readonly segment: string; readonly meters: number }[];
    readonly mean: { readonly segment: string; readonly kwh: number }[];
  };
  readonly voltage: {
    /** 1 V bins from 100 to 140 V of the readings with supply (not in an outage, voltage reported). */
    readonly histogram: { readonly volts: number; readonly readings: number }[];
    readonly below: number;
    readonly above: number;
    readonly readings: number;
    readonly inRangeA: number;
    readonly inRangeB: number;
    readonly rangeA: typeof ANSI_RANGE_A;
    readonly rangeB: typeof ANSI_RANGE_B;
    readonly byHour: { readonly hour: number; readonly mean: number; readonly p05: number; readonly p95: number }[];
  };
  /**
   * Residential meters with rooftop PV and with an EV, by hour, next to those without: from the fleet of the scenario
   * recorded in the output (forge_jobs); for a pipeline database, PV homes are those that ever export. Null parts
   * where the fleet has none.
   */
  readonly pvEv: {
    readonly basis: 'fleet' | 'exports';
    readonly pvMeters: number;
    readonly evMeters: number;
    readonly byHour: { readonly hour: number; readonly pvKw: number | null; readonly evKw: number | null; readonly otherKw: number | null }[];
    /** Share of PV meters' midday readings (11:00-14:59) that export (negative net usage). */
    readonly pvMiddayExportShare: number | null;
  };
  readonly outages: {
    /** Meters out by interval start (UTC), only intervals with any. */
    readonly timeline: { readonly ts: string; readonly customersOut: number }[];
    /** Every meter with its minutes out (0 for none), for the map. */
    readonly meters: { readonly meterId: string; readonly latitude: number; readonly longitude: number; readonly minutesOut: number }[];
    /** IEEE 1366 indices (validate/reliability-report.ts) from the outage runs, null without outages. */
    readonly reliability: ReliabilityReport | null;
  };
  readonly events: {
    readonly byType: { readonly type: string; readonly count: number }[];
    readonly byDay: { readonly day: string; readonly type: string; readonly count: number }[];
    readonly first: { readonly meterId: string; readonly ts: string; readonly type: string; readonly quality: string; readonly usageKwh: number; readonly voltage: number | null }[];
  };
  /** Milliseconds each panel's queries took (for the benchmark and the curious; never asserted). */
  readonly timingsMs: Readonly<Record<string, number>>;
  /** Residential households next to the measured reference households (reference-data/), or why not. */
  readonly realism: {
    readonly generated: { readonly profile: number[]; readonly stats: RealismStats } | null;
    readonly reference: { readonly profile: number[]; readonly stats: RealismStats; readonly source: string } | null;
    readonly note: string | null;
  };
}

/** The household statistics the realism panel shows side by side (household-statistics.ts). */
export interface RealismStats {
  readonly households: number;
  readonly meanKwhPerHalfHour: number;
  readonly householdMeanCv: number;
  readonly p95ToMean: number;
  readonly lag1Autocorrelation: number;
  readonly profilePeakHour: number;
  readonly weekendToWeekday: number;
}

export interface ExploreOptions {
  /** The meter whose week to show; default the first meter id. */
  readonly meterId?: string;
  /** Where the reference households are (default: reference-data/ or $FORGE_REFERENCE_DATA). */
  readonly referencePath?: string;
  /** Where answers are kept between calls (default: none, every panel computed). */
  readonly cache?: ExploreCache;
  /** Computes one panel of a file at a time, quick ones first, when callers ask for several at once (a server). */
  readonly gate?: ExploreGate;
  /** Read-only sessions kept open between calls for a moment (a server): else each call opens its own. */
  readonly sessions?: ExploreSessions;
}

/** Which panel a gate computes first when several wait: the quick ones, then the page's top to bottom. */
const PANEL_PRIORITY: readonly ExplorePanel[] = ['overview', 'meterWeek', 'events', 'outages', 'profiles', 'annual', 'voltage', 'pvEv', 'realism'];

/**
 * The panels Explore computes, each by its own queries, so a page can ask for them one by one and draw each as it
 * arrives. `overview` (counts, period, segments; a pipeline database's tables) is what the others start from.
 */
export const EXPLORE_PANELS = ['overview', 'profiles', 'meterWeek', 'annual', 'voltage', 'pvEv', 'outages', 'events', 'realism'] as const;
export type ExplorePanel = (typeof EXPLORE_PANELS)[number];
export const isExplorePanel = (value: string): value is ExplorePanel => (EXPLORE_PANELS as readonly string[]).includes(value);

export interface ExploreOverview {
  readonly path: string;
  readonly source: ExploreData['source'];
  readonly rows: number;
  readonly meters: number;
  readonly firstDay: string;
  readonly lastDay: string;
  readonly days: number;
  /** The longest interval of the readings, minutes. */
  readonly intervalMinutes: number;
  readonly segments: ExploreData['segments'];
  /** A pipeline database's medallion tables and their rows (bronze, load history, rejects, silver, gold); null for a DuckDB output. */
  readonly pipeline: ExploreData['pipeline'];
}

/** What each panel answers. */
export interface ExplorePanelData {
  readonly overview: ExploreOverview;
  readonly profiles: Pick<ExploreData, 'profiles' | 'heatmap'>;
  readonly meterWeek: ExploreData['meterWeek'];
  readonly annual: ExploreData['annual'];
  readonly voltage: ExploreData['voltage'];
  readonly pvEv: ExploreData['pvEv'];
  readonly outages: ExploreData['outages'];
  readonly events: ExploreData['events'];
  readonly realism: ExploreData['realism'];
}

/** One panel's answer: its data, how long it took and whether it came from the cache. */
export interface ExplorePanelAnswer<P extends ExplorePanel = ExplorePanel> {
  readonly panel: P;
  readonly data: ExplorePanelData[P];
  readonly ms: number;
  readonly cached: boolean;
}

const num = (v: unknown): number => Number(v ?? 0);
const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Everything the Explore page and `forge report` draw, computed by DuckDB from every reading of a DuckDB output
 * (its star schema) or a pipeline database (silver_ami), never a sample. Opens the database read-only. Readings
 * written twice into one output by two jobs count twice, except in the reliability indices (which count each once).
 */
export async function exploreOutput(path: string, options: ExploreOptions = {}): Promise<ExploreData> {
  const answers = await explorePanels(path, EXPLORE_PANELS, options);
  const part = <P extends ExplorePanel>(p: P): ExplorePanelData[P] => answers.find((a) => a.panel === p)!.data as ExplorePanelData[P];
  const { intervalMinutes: _interval, ...overview } = part('overview');
  return {
    ...overview,
    ...part('profiles'),
    meterWeek: part('meterWeek'),
    annual: part('annual'),
    voltage: part('voltage'),
    pvEv: part('pvEv'),
    outages: part('outages'),
    events: part('events'),
    realism: part('realism'),
    timingsMs: Object.fromEntries(answers.map((a) => [a.panel, a.ms])),
  };
}

/**
 * The given panels of one database, in order, each from the cache when the file has not changed since it was
 * computed (options.cache), else by its queries on one read-only session opened only if some panel needs it.
 */
export async function explorePanels<P extends ExplorePanel>(path: string, panels: readonly P[], options: ExploreOptions = {}): Promise<ExplorePanelAnswer<P>[]> {
  if (!existsSync(path)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
  const cache = options.cache ?? new ExploreCache();
  let session: { w: Warehouse; source: ExploreSource } | null = null;
  const open = async (): Promise<{ w: Warehouse; source: ExploreSource }> => {
    if (session === null) {
      const w = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
      try {
        session = { w, source: await exploreSource(w, path) };
      } catch (e) {
        w.close();
        throw e;
      }
    }
    return session;
  };
  const answer = async <Q extends ExplorePanel>(panel: Q): Promise<ExplorePanelAnswer<Q>> => {
    const start = performance.now();
    // The overview first, outside the gate: the other panels start from it.
    const overview = panel === 'overview' ? null : (await answer('overview')).data;
    const compute = async (): Promise<ExplorePanelData[Q]> => {
      if (options.sessions) return options.sessions.use(path, ({ w, source }) => computePanel(panel, w, source, overview, path, options));
      const { w, source } = await open();
      return computePanel(panel, w, source, overview, path, options);
    };
    const gate = options.gate;
    const { value, hit } = await cache.get(path, panelKey(panel, options), gate ? () => gate.run(path, PANEL_PRIORITY.indexOf(panel), compute) : compute);
    return { panel, data: value, ms: Math.round(performance.now() - start), cached: hit };
  };
  try {
    const answers: ExplorePanelAnswer<P>[] = [];
    for (const panel of panels) answers.push(await answer(panel));
    return answers;
  } finally {
    (session as { w: Warehouse } | null)?.w.close();
  }
}

/** What besides the file a panel's answer depends on. */
function panelKey(panel: ExplorePanel, options: ExploreOptions): string {
  if (panel === 'meterWeek') return `${panel}\u0000${options.meterId ?? ''}`;
  if (panel === 'realism') {
    const reference = options.referencePath ?? referenceDataPath();
    let stamp = '-';
    try {
      const s = statSync(reference);
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch {
      // No reference: the answer says so, and is keyed as such.
    }
    return `${panel}\u0000${reference}\u0000${stamp}`;
  }
  return panel;
}

async function computePanel<P extends ExplorePanel>(
  panel: P,
  w: Warehouse,
  source: ExploreSource,
  overview: ExploreOverview | null,
  path: string,
  options: ExploreOptions,
): Promise<ExplorePanelData[P]> {
  const o = overview!;
  const run: { [Q in ExplorePanel]: () => Promise<ExplorePanelData[Q]> } = {
    overview: () => overviewOf(w, source, path),
    profiles: () => profilesOf(w, source),
    meterWeek: () => meterWeek(w, source, o.firstDay, options.meterId),
    annual: () => annual(w, source, o.days),
    voltage: () => voltage(w, source),
    pvEv: () => pvEv(w, source),
    outages: () => outages(w, source, o),
    events: () => events(w, source),
    realism: () => realism(w, source, o.intervalMinutes, options.referencePath, options.cache),
  };
  return run[panel]() as Promise<ExplorePanelData[P]>;
}

async function overviewOf(w: Warehouse, source: ExploreSource, path: string): Promise<ExploreOverview> {
  // Counts, the longest interval and the period come from the table's statistics and zone maps (milliseconds); the
  // days and the meters by segment each take one grouping scan (GROUP BY, then count: about half the time of
  // count(DISTINCT ...) on the se preset).
  const F = source.facts;
  const [extent] = await w.rows(
    `SELECT count(*) AS n, max(interval_minutes) AS interval, strftime(min(reading_ts), '%Y-%m-%d') AS first_day, strftime(max(reading_ts), '%Y-%m-%d') AS last_day FROM ${F}`,
  );
  const rows = num(extent?.n);
  if (rows === 0) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${path} (no readings)`]);
  const days = await w.number(`SELECT count(*) FROM (SELECT CAST(reading_ts AS DATE) AS d FROM ${F} GROUP BY d)`);
  const segments = await w.rows(`SELECT m.customer_segment AS s, count(*) AS m FROM (SELECT k FROM ${F} GROUP BY k) JOIN ${source.meters} m USING (k) GROUP BY 1 ORDER BY 1`);
  let pipeline: ExploreData['pipeline'] = null;
  if (source.kind === 'silver') {
    const present = PIPELINE_TABLES.filter((t) => source.tables.has(t));
    const counts = await w.rows(present.map((t) => `SELECT ${quoteLiteral(t)} AS t, count(*) AS n FROM ${quoteIdentifier(t)}`).join(' UNION ALL '));
    const rowsOf = new Map(counts.map((c) => [String(c.t), num(c.n)]));
    pipeline = { tables: present.map((table) => ({ table, rows: rowsOf.get(table) ?? 0 })) };
  }
  return {
    path,
    source: source.kind,
    rows,
    meters: segments.reduce((sum, r) => sum + num(r.m), 0),
    firstDay: String(extent?.first_day),
    lastDay: String(extent?.last_day),
    days,
    intervalMinutes: num(extent?.interval),
    segments: segments.map((r) => ({ segment: String(r.s), meters: num(r.m) })),
    pipeline,
  };
}

/**
 * One scan for the profiles and the heat map: sums by segment and local hour (a few thousand groups), from which
 * every grouping (weekday/weekend, season, month, day x hour) is summed exactly.
 */
async function profilesOf(w: Warehouse, source: ExploreSource): Promise<ExplorePanelData['profiles']> {
  const cells = (
    await w.rows(
      // The hour as whole hours since the epoch of the wall clock: grouping by that integer took about 40% less than
      // by date_trunc('hour', reading_ts) on the se preset.
      `SELECT s, strftime(make_timestamp(t * 3600000000), '%Y-%m-%d %H') AS t, kw, n, kwh FROM (
         SELECT segment AS s, epoch_us(reading_ts) // 3600000000 AS t, sum(${KW}) AS kw, count(*) AS n, sum(usage_kwh) AS kwh FROM ${source.readings} GROUP BY ALL
       ) ORDER BY t, s`,
    )
  ).map((r) => {
    const t = String(r.t);
    return { segment: String(r.s), day: t.slice(0, 10), hour: Number(t.slice(11, 13)), kwSum: num(r.kw), n: num(r.n), kwh: num(r.kwh) };
  });
  const profiles = { dayType: profileOf(cells, dayTypeOf), season: profileOf(cells, seasonOf), month: profileOf(cells, (day) => day.slice(0, 7)) };
  const heat = new Map<string, { day: string; hour: number; kwh: number }>();
  for (const c of cells) {
    const key = `${c.day} ${c.hour}`;
    const cell = heat.get(key) ?? { day: c.day, hour: c.hour, kwh: 0 };
    cell.kwh += c.kwh;
    heat.set(key, cell);
  }
  return { profiles, heatmap: [...heat.values()] };
}

async function meterWeek(w: Warehouse, source: ExploreSource, firstDay: string, wanted: string | undefined): Promise<ExploreData['meterWeek']> {
  const [meter] = wanted === undefined
    ? await w.rows(`SELECT k, meter_id, customer_segment FROM ${source.meters} ORDER BY meter_id LIMIT 1`)
    : await w.rows(`SELECT k, meter_id, customer_segment FROM ${source.meters} WHERE meter_id = $1 LIMIT 1`, [wanted]);
  if (meter === undefined) {
    if (wanted !== undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`meter: ${wanted} is not in this output`]);
    return null;
  }
  const meterId = String(meter.meter_id);
  const segment = String(meter.customer_segment);
  const week = `reading_ts >= CAST(${quoteLiteral(firstDay)} AS TIMESTAMP) AND reading_ts < CAST(${quoteLiteral(firstDay)} AS TIMESTAMP) + INTERVAL 7 DAY`;
  const key = source.kind === 'star' ? String(num(meter.k)) : quoteLiteral(String(meter.k));
  const points = await w.rows(
    `SELECT strftime(reading_ts, '%Y-%m-%dT%H:%M') AS ts, avg(CASE WHEN k = ${key} THEN ${KW} END) AS kw, avg(${KW}) AS seg
     FROM ${source.readings} WHERE segment = $1 AND ${week} GROUP BY reading_ts ORDER BY reading_ts`,
    [segment],
  );
  return { meterId, segment, points: points.filter((p) => p.kw !== null).map((p) => ({ ts: String(p.ts), kw: num(p.kw), segmentKw: num(p.seg) })) };
}

async function annual(w: Warehouse, source: ExploreSource, days: number): Promise<ExploreData['annual']> {
  // Sums by meter once; the bins and means are read from those few rows.
  const perMeter = await w.rows(`SELECT any_value(segment) AS s, sum(usage_kwh) * 365.0 / ${days} AS kwh FROM ${source.readings} GROUP BY k`);
  const bins = new Map<string, { segment: string; b: number; meters: number }>();
  const apart = new Map<string, { np: number; sum: number; n: number }>();
  for (const r of perMeter) {
    const segment = String(r.s);
    const kwh = num(r.kwh);
    const a = apart.get(segment) ?? { np: 0, sum: 0, n: 0 };
    a.sum += kwh;
    a.n += 1;
    if (kwh <= 0) a.np += 1;
    apart.set(segment, a);
    if (kwh > 0) {
      const b = Math.floor(Math.log10(kwh) * BINS_PER_DECADE);
      const key = `${segment}\u0000${b}`;
      const bin = bins.get(key) ?? { segment, b, meters: 0 };
      bin.meters += 1;
      bins.set(key, bin);
    }
  }
  const segments = [...apart.keys()].sort();
  return {
    bins: [...bins.values()]
      .sort((x, y) => x.segment.localeCompare(y.segment) || x.b - y.b)
      .map((x) => ({ segment: x.segment, low: 10 ** (x.b / BINS_PER_DECADE), high: 10 ** ((x.b + 1) / BINS_PER_DECADE), meters: x.meters })),
    nonPositive: segments.filter((s) => apart.get(s)!.np > 0).map((s) => ({ segment: s, meters: apart.get(s)!.np })),
    mean: segments.map((s) => ({ segment: s, kwh: apart.get(s)!.sum / apart.get(s)!.n })),
  };
}

async function voltage(w: Warehouse, source: ExploreSource): Promise<ExploreData['voltage']> {
  // Voltages are reported to 0.1 V, so the counts of each distinct value by hour are few (about 24 x 500) and give
  // the histogram, the shares in range and exact percentiles in one scan.
  const counts = await w.rows(`SELECT hour(reading_ts) AS h, voltage AS v, count(*) AS n FROM ${source.facts} WHERE NOT is_outage AND voltage > 0 GROUP BY ALL ORDER BY 1, 2`);
  const bins = new Map<number, number>();
  const hours = new Map<number, { v: number; n: number }[]>();
  let readings = 0;
  let below = 0;
  let above = 0;
  let a = 0;
  let b = 0;
  for (const r of counts) {
    const v = num(r.v);
    const n = num(r.n);
    readings += n;
    if (v < VOLT_LOW) below += n;
    else if (v >= VOLT_HIGH) above += n;
    else bins.set(Math.floor(v), (bins.get(Math.floor(v)) ?? 0) + n);
    if (v >= ANSI_RANGE_A.low && v <= ANSI_RANGE_A.high) a += n;
    if (v >= ANSI_RANGE_B.low && v <= ANSI_RANGE_B.high) b += n;
    const list = hours.get(num(r.h)) ?? [];
    list.push({ v, n });
    hours.set(num(r.h), list);
  }
  const byHour = [...hours.entries()].sort((x, y) => x[0] - y[0]).map(([hour, values]) => {
    const total = values.reduce((s, x) => s + x.n, 0);
    return { hour, mean: values.reduce((s, x) => s + x.v * x.n, 0) / total, p05: weightedQuantile(values, total, 0.05), p95: weightedQuantile(values, total, 0.95) };
  });
  return {
    histogram: [...bins.entries()].sort((x, y) => x[0] - y[0]).map(([volts, n]) => ({ volts, readings: n })),
    below,
    above,
    readings,
    inRangeA: readings === 0 ? 0 : a / readings,
    inRangeB: readings === 0 ? 0 : b / readings,
    rangeA: ANSI_RANGE_A,
    rangeB: ANSI_RANGE_B,
    byHour,
  };
}

/** The smallest value with at least q of the readings at or below it (counts sorted by value). */
function weightedQuantile(sorted: readonly { v: number; n: number }[], total: number, q: number): number {
  let seen = 0;
  for (const x of sorted) {
    seen += x.n;
    if (seen >= q * total) return x.v;
  }
  return sorted[sorted.length - 1]?.v ?? Number.NaN;
}

/**
 * The fleet's PV and EV homes. A DuckDB output records the scenarios that wrote it, and a fleet is a pure function of
 * its scenario, so the meters with PV or an EV are known exactly; without that (a pipeline database, an imported fleet
 * no longer at hand) PV homes are those whose net usage ever goes below zero, and EV homes are not known.
 */
async function pvEv(w: Warehouse, source: ExploreSource): Promise<ExploreData['pvEv']> {
  let pv: string[] | null = null;
  let ev: string[] | null = null;
  if (source.kind === 'star' && source.tables.has(STAR_SCHEMA.jobs)) {
    try {
      pv = [];
      ev = [];
      for (const job of await w.rows(`SELECT CAST(scenario AS VARCHAR) AS scenario FROM ${STAR_SCHEMA.jobs}`)) {
        const fleet = buildFleet(resolveScenario(JSON.parse(String(job.scenario))));
        for (let i = 0; i < fleet.size; i++) {
          if (fleet.traits.pvKw[i]! > 0) pv.push(fleet.meterIds[i]!);
          if (fleet.traits.evKw[i]! > 0) ev.push(fleet.meterIds[i]!);
        }
      }
    } catch {
      // A scenario this code can no longer rebuild (an imported fleet's file gone): fall back to what the data shows.
      pv = null;
      ev = null;
    }
  }
  const basis: ExploreData['pvEv']['basis'] = pv === null ? 'exports' : 'fleet';
  // One scan to sums by meter and hour (a few tens of thousands of groups), grouped by the meter's key and named
  // after; which meters are PV or EV homes is applied to those sums here, not tested on every reading.
  const cells = (
    await w.rows(
      `SELECT m.meter_id, c.h, c.kw, c.n, c.neg FROM (
         SELECT k, hour(reading_ts) AS h, sum(${KW}) AS kw, count(*) AS n, count(*) FILTER (WHERE usage_kwh < 0) AS neg
         FROM ${source.readings} WHERE segment = 'RESIDENTIAL' GROUP BY ALL) c JOIN ${source.meters} m USING (k)`,
    )
  ).map((r) => ({ meter: String(r.meter_id), hour: num(r.h), kw: num(r.kw), n: num(r.n), neg: num(r.neg) }));
  const pvSet = new Set(pv ?? cells.filter((c) => c.neg > 0).map((c) => c.meter));
  const evSet = new Set(ev ?? []);
  const residents = new Set(cells.map((c) => c.meter));
  const sums = Array.from({ length: 24 }, () => ({ pv: [0, 0], ev: [0, 0], other: [0, 0] }));
  let middayReadings = 0;
  let middayExports = 0;
  for (const c of cells) {
    const bucket = sums[c.hour]!;
    const isPv = pvSet.has(c.meter);
    const isEv = evSet.has(c.meter);
    const add = (pair: number[]): void => {
      pair[0]! += c.kw;
      pair[1]! += c.n;
    };
    if (isPv) add(bucket.pv);
    if (isEv) add(bucket.ev);
    if (!isPv && !isEv) add(bucket.other);
    if (isPv && c.hour >= 11 && c.hour <= 14) {
      middayReadings += c.n;
      middayExports += c.neg;
    }
  }
  const meanOf = (pair: number[]): number | null => (pair[1] === 0 ? null : pair[0]! / pair[1]!);
  const hours = [...new Set(cells.map((c) => c.hour))].sort((a, b) => a - b);
  return {
    basis,
    pvMeters: [...pvSet].filter((m) => residents.has(m)).length,
    evMeters: [...evSet].filter((m) => residents.has(m)).length,
    byHour: hours.map((hour) => ({ hour, pvKw: meanOf(sums[hour]!.pv), evKw: meanOf(sums[hour]!.ev), otherKw: meanOf(sums[hour]!.other) })),
    pvMiddayExportShare: middayReadings === 0 ? null : middayExports / middayReadings,
  };
}

/**
 * Customers out by interval, minutes out by meter (every meter of the output, for the map), and the IEEE 1366
 * indices: all from the outage readings alone (a small share), the meters from the meter dimension.
 */
async function outages(w: Warehouse, source: ExploreSource, overview: ExploreOverview): Promise<ExploreData['outages']> {
  const R = source.facts;
  const timeline = await w.rows(
    `SELECT strftime(reading_ts_utc, '%Y-%m-%dT%H:%M:%SZ') AS ts, count(DISTINCT k) AS n FROM ${R} WHERE is_outage GROUP BY reading_ts_utc ORDER BY reading_ts_utc`,
  );
  const meters = await w.rows(
    `SELECT m.meter_id, m.latitude AS lat, m.longitude AS lon, coalesce(o.minutes, 0) AS minutes
     FROM ${source.meters} m LEFT JOIN (SELECT k, sum(interval_minutes) AS minutes FROM ${R} WHERE is_outage GROUP BY k) o USING (k) ORDER BY m.meter_id`,
  );
  const reliability = timeline.length === 0
    ? null
    : await reliabilityOf(w, `(SELECT k AS meter_id, reading_ts_utc, reading_ts, interval_minutes, is_outage FROM ${R})`, {
        path: overview.path,
        customers: overview.meters,
        days: overview.days,
        firstDay: overview.firstDay,
        lastDay: overview.lastDay,
      });
  return {
    timeline: timeline.map((r) => ({ ts: String(r.ts), customersOut: num(r.n) })),
    meters: meters.map((r) => ({ meterId: String(r.meter_id), latitude: num(r.lat), longitude: num(r.lon), minutesOut: num(r.minutes) })),
    reliability,
  };
}

async function events(w: Warehouse, source: ExploreSource): Promise<ExploreData['events']> {
  const R = source.facts;
  const byType = await w.rows(`SELECT event_type AS t, count(*) AS n FROM ${R} WHERE event_type IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`);
  const byDay = await w.rows(`SELECT strftime(reading_ts, '%Y-%m-%d') AS d, event_type AS t, count(*) AS n FROM ${R} WHERE event_type IS NOT NULL GROUP BY ALL ORDER BY 1, 2`);
  const first = await w.rows(
    `SELECT m.meter_id, strftime(r.reading_ts, '%Y-%m-%dT%H:%M') AS ts, r.event_type AS t, r.data_quality AS q, r.usage_kwh, r.voltage
     FROM ${R} r JOIN ${source.meters} m USING (k) WHERE r.event_type IS NOT NULL ORDER BY r.reading_ts_utc, m.meter_id LIMIT ${FIRST_EVENTS}`,
  );
  return {
    byType: byType.map((r) => ({ type: String(r.t), count: num(r.n) })),
    byDay: byDay.map((r) => ({ day: String(r.d), type: String(r.t), count: num(r.n) })),
    first: first.map((r) => ({ meterId: String(r.meter_id), ts: String(r.ts), type: String(r.t), quality: String(r.q), usageKwh: num(r.usage_kwh), voltage: nullableNum(r.voltage) })),
  };
}

/** The reference households' statistics by file (the measured file is large and never changes while a server runs). */
/** The reference households' statistics when no cache is given (one per process). */
const referenceCache = new ExploreCache();

/** At most this many residential meters go into the realism statistics (their whole series, at 30 minutes). */
const REALISM_METERS = 100;

/**
 * The residential households' statistics at 30 minutes (the reference's resolution: two 15-minute readings summed),
 * next to the measured reference households'. Intervals longer than 30 minutes cannot be compared and say so.
 */
async function realism(w: Warehouse, source: ExploreSource, intervalMinutes: number, referencePath: string | undefined, cache: ExploreCache | undefined): Promise<ExploreData['realism']> {
  let reference: ExploreData['realism']['reference'] = null;
  let note: string | null = null;
  try {
    // The measured file is large and never changes while a server runs: its statistics are kept like a panel's
    // answer (in memory, and on disk with a server's cache, so a restarted server does not read it again).
    const path = referencePath ?? referenceDataPath();
    const read = async (): Promise<NonNullable<ExploreData['realism']['reference']>> => ({ ...summarise(householdStatistics(loadReferenceHouseholds(path))), source: path });
    reference = (await (cache ?? referenceCache).get(path, 'reference households', read)).value;
  } catch (e) {
    note = `no reference households: ${(e as Error).message}`;
  }
  const noted = (why: string): string => `${note ? `${note}; ` : ''}${why}`;
  if (intervalMinutes > 30) return { generated: null, reference, note: noted(`readings at ${intervalMinutes} minutes cannot be compared with 30-minute households`) };
  const chosen = await w.rows(`SELECT k FROM ${source.meters} WHERE customer_segment = 'RESIDENTIAL' ORDER BY meter_id LIMIT ${REALISM_METERS}`);
  if (chosen.length === 0) return { generated: null, reference, note: noted('no residential meters') };
  // The meters as a literal list: DuckDB filters a scan by a constant list far faster than by a sorted, limited
  // subquery. Each meter's half hours come back as one list (a few hundred rows, not a few hundred thousand values
  // to convert one by one), with the half hours they cover.
  const keys = chosen.map((r) => (source.kind === 'star' ? String(num(r.k)) : quoteLiteral(String(r.k))));
  const halfHours = `SELECT k, epoch_ms(reading_ts) // 1800000 * 1800000 AS t, sum(usage_kwh) AS kwh FROM ${source.facts} WHERE k IN (${keys.join(', ')}) GROUP BY ALL`;
  const perMeter = (await w.rows(
    `SELECT list(CAST(t AS DOUBLE) ORDER BY t) AS t, list(kwh ORDER BY t) AS kwh FROM (${halfHours}) GROUP BY k ORDER BY k`,
  )) as unknown as { t: number[]; kwh: number[] }[];
  if (perMeter.length === 0) return { generated: null, reference, note: noted('no residential meters') };
  const times = [...new Set(perMeter.flatMap((m) => m.t))].sort((a, b) => a - b);
  const column = new Map(times.map((t, i) => [t, i]));
  const households = perMeter.map((m) => {
    const series = new Float64Array(times.length);
    for (let i = 0; i < m.t.length; i++) series[column.get(m.t[i]!)!] = m.kwh[i]!;
    return series;
  });
  const generated = summarise(householdStatistics({ wallClockMs: Float64Array.from(times), households }));
  return { generated, reference, note };
}

function summarise(s: HouseholdStatistics): { profile: number[]; stats: RealismStats } {
  return {
    profile: normaliseProfile(s.dailyProfile),
    stats: {
      households: s.households,
      meanKwhPerHalfHour: s.meanKwh,
      householdMeanCv: s.householdMeanCv,
      p95ToMean: s.p95ToMean,
      lag1Autocorrelation: s.lag1Autocorrelation,
      profilePeakHour: s.profilePeakHour,
      weekendToWeekday: s.weekendToWeekday,
    },
  };
}
