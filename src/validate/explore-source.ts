import { ForgeError } from '../util/forge-error.js';
import { STAR_SCHEMA } from '../warehouse/star-schema.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/** The tables of a pipeline database Explore reports on (pipeline/pipeline-schema.ts), in medallion order. */
export const PIPELINE_TABLES = [
  'bronze_ami',
  'stage_load_history',
  'stage_rejects',
  'silver_ami',
  'gold_usage_hourly',
  'gold_usage_daily',
  'gold_transformer_hourly',
  'gold_feeder_hourly',
  'gold_substation_hourly',
  'gold_outage_summary',
] as const;

/**
 * Where Explore reads readings from, as two SQL relations every panel query is written against:
 *
 * - `readings`: one row per reading with `k` (the meter's key), `segment` and the reading's columns Explore uses
 *   (reading_ts, reading_ts_utc, interval_minutes, usage_kwh, voltage, is_outage, event_type and data_quality as text).
 * - `facts`: the same without `segment`: for a DuckDB output the fact alone, no join (every fact row's meter_key is
 *   in the meter dimension: the sink writes a meter's row before its readings).
 * - `meters`: one row per meter: `k`, meter_id, customer_segment, latitude, longitude.
 *
 * A DuckDB output (`star`) keys meters by the fact's integer meter_key, so the panels group and count integers and
 * join the meter dimension's strings only onto their small results; a pipeline database (`silver`) keys them by
 * silver_ami's meter_id.
 */
export interface ExploreSource {
  readonly kind: 'star' | 'silver';
  readonly readings: string;
  readonly facts: string;
  readonly meters: string;
  readonly tables: ReadonlySet<string>;
}

const STAR_READINGS = `(SELECT f.meter_key AS k, m.customer_segment AS segment, f.reading_ts, f.reading_ts_utc, f.interval_minutes, f.usage_kwh,
  f.voltage, f.is_outage, CAST(f.event_type AS VARCHAR) AS event_type, CAST(f.data_quality AS VARCHAR) AS data_quality
  FROM ${STAR_SCHEMA.fact} f JOIN ${STAR_SCHEMA.meters} m USING (meter_key))`;
const STAR_FACTS = `(SELECT meter_key AS k, reading_ts, reading_ts_utc, interval_minutes, usage_kwh, voltage, is_outage,
  CAST(event_type AS VARCHAR) AS event_type, CAST(data_quality AS VARCHAR) AS data_quality FROM ${STAR_SCHEMA.fact})`;
const STAR_METERS = `(SELECT meter_key AS k, meter_id, customer_segment, latitude, longitude FROM ${STAR_SCHEMA.meters})`;
const SILVER_READINGS = `(SELECT meter_id AS k, customer_segment AS segment, reading_ts, reading_ts_utc, interval_minutes, usage_kwh,
  voltage, is_outage, event_type, data_quality FROM silver_ami)`;
const SILVER_METERS = `(SELECT meter_id AS k, meter_id, any_value(customer_segment) AS customer_segment, any_value(latitude) AS latitude,
  any_value(longitude) AS longitude FROM silver_ami GROUP BY meter_id)`;

/** The readings of a DuckDB output (its star schema) or of a pipeline database (silver_ami); refuses anything else. */
export async function exploreSource(w: Warehouse, path: string): Promise<ExploreSource> {
  const tables = new Set((await w.rows(`SELECT table_name FROM information_schema.tables`)).map((t) => String(t.table_name)));
  if (tables.has(STAR_SCHEMA.fact) && tables.has(STAR_SCHEMA.meters)) return { kind: 'star', readings: STAR_READINGS, facts: STAR_FACTS, meters: STAR_METERS, tables };
  if (tables.has('silver_ami')) return { kind: 'silver', readings: SILVER_READINGS, facts: SILVER_READINGS, meters: SILVER_METERS, tables };
  throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${path} (neither a DuckDB output's ami_fact nor a pipeline database's silver_ami)`]);
}
