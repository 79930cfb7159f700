import { existsSync } from 'node:fs';
import { ForgeError } from '../util/forge-error.js';
import { STAR_SCHEMA } from '../warehouse/star-schema.js';
import { Warehouse } from '../warehouse/warehouse.js';
import { reliabilitySummary, type Interruption, type ReliabilitySummary } from './reliability-indices.js';

/** How long the customers interrupted on major event days waited, hours: the storm's restoration curve. */
export interface RestorationCurve {
  readonly interruptions: number;
  readonly medianHours: number;
  readonly p90Hours: number;
  readonly p99Hours: number;
  readonly maxHours: number;
  /** Share of those interruptions restored within 6, 24 and 48 hours. */
  readonly within6h: number;
  readonly within24h: number;
  readonly within48h: number;
}

export interface ReliabilityReport extends ReliabilitySummary {
  readonly path: string;
  readonly firstDay: string;
  readonly lastDay: string;
  /** Null without a major event day. */
  readonly restoration: RestorationCurve | null;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The restoration curve of interruption durations (minutes). Null for none. */
export function restorationCurve(minutes: readonly number[]): RestorationCurve | null {
  if (minutes.length === 0) return null;
  const hours = minutes.map((m) => m / 60).sort((a, b) => a - b);
  const within = (h: number): number => hours.filter((v) => v <= h).length / hours.length;
  return {
    interruptions: hours.length,
    medianHours: quantile(hours, 0.5),
    p90Hours: quantile(hours, 0.9),
    p99Hours: quantile(hours, 0.99),
    maxHours: hours[hours.length - 1]!,
    within6h: within(6),
    within24h: within(24),
    within48h: within(48),
  };
}

/**
 * SAIFI, SAIDI and CAIDI (IEEE 1366) of a DuckDB output, with and without major event days, from its outage flags:
 * a customer interruption is a run of consecutive `is_outage` readings of one meter, lasting the run's intervals;
 * customers served are the output's meters, the period its local days. Readings written twice (two jobs over the
 * same meters and times) count once. Opens the database read-only.
 */
export async function reliabilityReport(path: string): Promise<ReliabilityReport> {
  if (!existsSync(path)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
  const warehouse = await Warehouse.open(path, { access_mode: 'READ_ONLY' });
  try {
    const tables = new Set((await warehouse.rows(`SELECT table_name FROM information_schema.tables`)).map((t) => String(t.table_name)));
    if (!tables.has(STAR_SCHEMA.readings)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
    const R = STAR_SCHEMA.readings;
    const [extent] = await warehouse.rows(
      `SELECT count(DISTINCT meter_id) AS customers, count(DISTINCT CAST(reading_ts AS DATE)) AS days,
              strftime(min(reading_ts), '%Y-%m-%d') AS first_day, strftime(max(reading_ts), '%Y-%m-%d') AS last_day FROM ${R}`,
    );
    const customers = Number(extent?.customers ?? 0);
    if (customers === 0) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [path]);
    return await reliabilityOf(warehouse, R, { path, customers, days: Number(extent?.days), firstDay: String(extent?.first_day), lastDay: String(extent?.last_day) });
  } finally {
    warehouse.close();
  }
}

/**
 * The report from an open database: `readings` is any relation with meter_id (or any key of a meter), reading_ts,
 * reading_ts_utc, interval_minutes and is_outage (Explore passes the fact keyed by meter_key, or a pipeline's
 * silver_ami); customers, days and the period come from the caller, who has counted them already.
 */
export async function reliabilityOf(
  warehouse: Warehouse,
  readings: string,
  extent: { readonly path: string; readonly customers: number; readonly days: number; readonly firstDay: string; readonly lastDay: string },
): Promise<ReliabilityReport> {
  // Gaps and islands: within a meter's outage readings in time order, a run's readings share
  // (time - position x interval), so each run is one group.
  const runs = await warehouse.rows(
    `WITH o AS (SELECT DISTINCT meter_id, reading_ts_utc, reading_ts, interval_minutes FROM ${readings} WHERE is_outage),
          g AS (SELECT *, epoch_ms(reading_ts_utc) - row_number() OVER (PARTITION BY meter_id ORDER BY reading_ts_utc) * interval_minutes * 60000 AS run FROM o)
     SELECT strftime(min(reading_ts), '%Y-%m-%d') AS day, sum(interval_minutes) AS minutes FROM g GROUP BY meter_id, run`,
  );
  const interruptions: Interruption[] = runs.map((r) => ({ day: String(r.day), minutes: Number(r.minutes) }));
  const summary = reliabilitySummary(interruptions, extent.customers, extent.days);
  const med = new Set(summary.majorEventDays.map((d) => d.day));
  return {
    path: extent.path,
    firstDay: extent.firstDay,
    lastDay: extent.lastDay,
    ...summary,
    restoration: restorationCurve(interruptions.filter((i) => med.has(i.day)).map((i) => i.minutes)),
  };
}
