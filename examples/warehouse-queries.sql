-- Queries for a DuckDB output of `forge generate --sink duckdb` (the star schema: docs/ARCHITECTURE.md, "Columnar
-- batches"). ami_fact holds one compact row per reading, ami_meters one row per meter, and the ami_readings view
-- joins them into the flat reading schema of DESIGN.md. Run one with the DuckDB CLI or any DuckDB client:
--
--   duckdb forge-data/forge.duckdb < examples/warehouse-queries.sql
--
-- test/examples/examples.test.ts runs every query here against a generated file, so they stay true to the schema.

-- Daily load profile: mean kWh per interval by local hour and segment, weekdays against weekends.
SELECT customer_segment,
       CASE WHEN dayofweek(reading_ts) IN (0, 6) THEN 'weekend' ELSE 'weekday' END AS day_kind,
       hour(reading_ts) AS local_hour,
       round(avg(usage_kwh), 4) AS mean_kwh
FROM ami_readings
GROUP BY ALL
ORDER BY customer_segment, day_kind, local_hour;

-- The ten largest consumers over the range: a star join of the fact and the meter dimension.
SELECT m.meter_id, m.customer_segment, m.transformer_id, round(sum(f.usage_kwh), 1) AS kwh
FROM ami_fact f
JOIN ami_meters m USING (meter_key)
GROUP BY ALL
ORDER BY kwh DESC
LIMIT 10;

-- Voltage compliance (ANSI C84.1 at 120 V): share of supplied readings in Range A (114-126 V) and Range B (110-127 V).
SELECT service_area,
       count(*) AS supplied_readings,
       round(avg(CASE WHEN voltage BETWEEN 114 AND 126 THEN 1 ELSE 0 END), 4) AS range_a_share,
       round(avg(CASE WHEN voltage BETWEEN 110 AND 127 THEN 1 ELSE 0 END), 4) AS range_b_share
FROM ami_readings
WHERE NOT is_outage AND voltage > 0
GROUP BY service_area;

-- Customer minutes out per day (the storm shows as one day far above the others).
SELECT CAST(reading_ts AS DATE) AS local_date,
       count(DISTINCT meter_id) FILTER (WHERE is_outage) AS meters_out,
       sum(CASE WHEN is_outage THEN interval_minutes ELSE 0 END) AS customer_minutes_out
FROM ami_readings
GROUP BY local_date
ORDER BY local_date;

-- Transformer loading: the peak hourly kW each transformer carried (kWh in an hour = average kW over it).
SELECT transformer_id, max(hour_kwh) AS peak_kw, arg_max(hour_utc, hour_kwh) AS peak_hour_utc
FROM (
  SELECT m.transformer_id, date_trunc('hour', f.reading_ts_utc) AS hour_utc, sum(f.usage_kwh) AS hour_kwh
  FROM ami_fact f JOIN ami_meters m USING (meter_key)
  GROUP BY ALL
)
GROUP BY transformer_id
ORDER BY peak_kw DESC
LIMIT 10;

-- Labelled ground truth: readings per event type and data quality (null event_type: a normal reading).
SELECT coalesce(CAST(event_type AS VARCHAR), '(none)') AS event_type, CAST(data_quality AS VARCHAR) AS data_quality, count(*) AS readings
FROM ami_fact
GROUP BY ALL
ORDER BY readings DESC;

-- What wrote this file: one row per job, with the rows it committed.
SELECT job_id, sink, rows, status, started_at, finished_at, json_extract_string(scenario, '$.area') AS area
FROM forge_jobs
ORDER BY started_at;
