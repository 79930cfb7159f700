import { NAMEPLATE_SOURCES, nameplateColumns, TRANSFORMER_TABLE } from '../generator/transformer-columns.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface GoldRefresh {
  /** UTC hours recomputed (hourly tables). */
  readonly hours: number;
  /** (service area, local date) pairs recomputed (daily tables). */
  readonly days: number;
  /** Transformers of the recomputed hours with no rating in ami_transformers: their loading took 25 kVA. */
  readonly unratedTransformers: number;
}

/**
 * Recomputes the gold tables for the UTC hours and local dates that the silver rows of `refreshId` fall in: each
 * touched key is deleted and re-aggregated from the whole of silver, so a late reading corrects its hour and day.
 * Runs inside the caller's transaction (with the silver refresh).
 */
export async function refreshGold(warehouse: Warehouse, refreshId: number): Promise<GoldRefresh> {
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE touched_hours AS
     SELECT DISTINCT date_trunc('hour', reading_ts_utc) AS hour_utc FROM silver_ami WHERE refresh_id = $1`,
    [refreshId],
  );
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE touched_days AS
     SELECT DISTINCT service_area, CAST(reading_ts AS DATE) AS local_date FROM silver_ami WHERE refresh_id = $1`,
    [refreshId],
  );
  const hourRows = `(SELECT * FROM silver_ami WHERE date_trunc('hour', reading_ts_utc) IN (SELECT hour_utc FROM touched_hours))`;
  const dayRows = `(SELECT s.* FROM silver_ami s SEMI JOIN touched_days d
                    ON s.service_area IS NOT DISTINCT FROM d.service_area AND CAST(s.reading_ts AS DATE) = d.local_date)`;
  const inHours = `hour_utc IN (SELECT hour_utc FROM touched_hours)`;
  const inDays = `(service_area, local_date) IN (SELECT (service_area, local_date) FROM touched_days)`;

  await warehouse.run(`DELETE FROM gold_usage_hourly WHERE ${inHours}`);
  await warehouse.run(
    `INSERT INTO gold_usage_hourly
     SELECT meter_id, date_trunc('hour', reading_ts_utc), sum(usage_kwh), count(*) FROM ${hourRows} GROUP BY ALL`,
  );

  // Peak kW: the transformer's load in each interval (its meters' kWh over the interval's hours), the hour's maximum,
  // against the transformer's own nameplate (ami_transformers, landed by the stage sink; 25 kVA where it has none).
  await warehouse.run(`DELETE FROM gold_transformer_hourly WHERE ${inHours}`);
  await warehouse.run(
    `INSERT INTO gold_transformer_hourly (transformer_id, hour_utc, kwh, peak_kw, meters, nameplate_kw, over_nameplate, nameplate_kva, nameplate_source)
     WITH hour_rows AS ${hourRows},
     per_interval AS (
       SELECT transformer_id, date_trunc('hour', reading_ts_utc) AS hour_utc, reading_ts_utc,
              sum(usage_kwh) AS kwh, sum(usage_kwh / (interval_minutes / 60.0)) AS kw
       FROM hour_rows GROUP BY ALL
     ),
     per_hour AS (
       SELECT transformer_id, date_trunc('hour', reading_ts_utc) AS hour_utc, count(DISTINCT meter_id) AS meters FROM hour_rows GROUP BY ALL
     )
     SELECT p.transformer_id, p.hour_utc, sum(p.kwh), max(p.kw), any_value(h.meters), ${nameplateColumns('any_value(t.kva)', 'max(p.kw)')}
     FROM per_interval p JOIN per_hour h ON p.transformer_id IS NOT DISTINCT FROM h.transformer_id AND p.hour_utc = h.hour_utc
     LEFT JOIN ${TRANSFORMER_TABLE} t ON t.transformer_id = p.transformer_id
     GROUP BY p.transformer_id, p.hour_utc`,
  );

  await warehouse.run(`DELETE FROM gold_feeder_hourly WHERE ${inHours}`);
  await warehouse.run(
    `INSERT INTO gold_feeder_hourly
     SELECT circuit_id, date_trunc('hour', reading_ts_utc), sum(usage_kwh), count(DISTINCT meter_id) FROM ${hourRows} GROUP BY ALL`,
  );
  await warehouse.run(`DELETE FROM gold_substation_hourly WHERE ${inHours}`);
  await warehouse.run(
    `INSERT INTO gold_substation_hourly
     SELECT substation_id, date_trunc('hour', reading_ts_utc), sum(usage_kwh), count(DISTINCT meter_id) FROM ${hourRows} GROUP BY ALL`,
  );

  await warehouse.run(`DELETE FROM gold_usage_daily WHERE ${inDays}`);
  await warehouse.run(
    `INSERT INTO gold_usage_daily
     SELECT meter_id, service_area, CAST(reading_ts AS DATE), sum(usage_kwh), count(*) FROM ${dayRows} GROUP BY ALL`,
  );

  // Outages per area and local day: an interruption is a LAST_GASP (the first interval of a meter's outage), its
  // duration the outage intervals' minutes; SAIFI/SAIDI-style figures divide by the customers that reported that day.
  await warehouse.run(`DELETE FROM gold_outage_summary WHERE ${inDays}`);
  await warehouse.run(
    `INSERT INTO gold_outage_summary
     SELECT service_area, local_date, served, out, minutes, interruptions, interruptions / served, minutes / served FROM (
       SELECT service_area, CAST(reading_ts AS DATE) AS local_date,
              count(DISTINCT meter_id) AS served,
              count(DISTINCT meter_id) FILTER (WHERE is_outage) AS out,
              coalesce(sum(interval_minutes) FILTER (WHERE is_outage), 0)::DOUBLE AS minutes,
              count(*) FILTER (WHERE event_type = 'LAST_GASP') AS interruptions
       FROM ${dayRows} GROUP BY ALL
     )`,
  );
  const unratedTransformers = await warehouse.number(
    `SELECT count(DISTINCT transformer_id) FROM gold_transformer_hourly WHERE ${inHours} AND nameplate_source = '${NAMEPLATE_SOURCES[1]}'`,
  );
  const hours = await warehouse.number(`SELECT count(*) FROM touched_hours`);
  const days = await warehouse.number(`SELECT count(*) FROM touched_days`);
  await warehouse.run(`DROP TABLE touched_hours`);
  await warehouse.run(`DROP TABLE touched_days`);
  return { hours, days, unratedTransformers };
}
