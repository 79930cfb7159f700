-- Queries for the medallion pipeline's DuckDB file (`forge ingest --stage ... --out pipeline.duckdb`, or the file of
-- `forge serve --stage`): bronze_ami holds the raw head-end messages, silver_ami the typed and deduplicated readings,
-- and the gold_* tables the aggregates a utility's analysts start from. `forge ddl --target duckdb` prints the schema.
--
--   duckdb forge-data/pipeline.duckdb < examples/pipeline-queries.sql
--
-- test/examples/examples.test.ts runs every query here against a generated pipeline, so they stay true to the schema.

-- Daily energy per service area (gold_usage_daily: one row per meter and local day).
SELECT service_area, local_date, round(sum(kwh), 1) AS kwh, count(*) AS meters
FROM gold_usage_daily
GROUP BY ALL
ORDER BY service_area, local_date;

-- System load by UTC hour (gold_usage_hourly), the hour of the day's peak first.
SELECT hour_utc, round(sum(kwh), 2) AS kwh, sum(readings) AS readings
FROM gold_usage_hourly
GROUP BY hour_utc
ORDER BY kwh DESC
LIMIT 24;

-- Transformers against their nameplate: hours over it and the worst hour (gold_transformer_hourly).
SELECT transformer_id,
       count(*) FILTER (WHERE over_nameplate) AS hours_over_nameplate,
       round(max(peak_kw), 2) AS peak_kw,
       any_value(nameplate_kw) AS nameplate_kw
FROM gold_transformer_hourly
GROUP BY transformer_id
ORDER BY hours_over_nameplate DESC, peak_kw DESC
LIMIT 10;

-- Feeder peaks: each feeder's busiest hour (gold_feeder_hourly).
SELECT circuit_id, arg_max(hour_utc, kwh) AS peak_hour_utc, round(max(kwh), 2) AS peak_kwh, max(meters) AS meters
FROM gold_feeder_hourly
GROUP BY circuit_id
ORDER BY peak_kwh DESC;

-- Reliability by day: SAIFI and SAIDI from gold_outage_summary (a storm day stands out).
SELECT local_date, customers, customers_out, interruptions, round(saifi, 4) AS saifi, round(saidi_minutes, 1) AS saidi_minutes
FROM gold_outage_summary
ORDER BY local_date;

-- Silver against gold: the energy of every hour in silver equals gold's (a check after each refresh).
SELECT count(*) AS hours, round(max(abs(s.kwh - g.kwh)), 9) AS largest_difference_kwh
FROM (SELECT date_trunc('hour', reading_ts_utc) AS hour_utc, sum(usage_kwh) AS kwh FROM silver_ami GROUP BY ALL) s
JOIN (SELECT hour_utc, sum(kwh) AS kwh FROM gold_usage_hourly GROUP BY ALL) g USING (hour_utc);

-- Data quality in silver: readings per quality flag and labelled event.
SELECT data_quality, coalesce(event_type, '(none)') AS event_type, count(*) AS readings
FROM silver_ami
GROUP BY ALL
ORDER BY readings DESC;

-- Loading: each stage file, loaded or quarantined, with its rows and rejected lines (stage_load_history), newest first.
SELECT file_name, status, rows, rejected, error, loaded_at
FROM stage_load_history
ORDER BY loaded_at DESC
LIMIT 20;
