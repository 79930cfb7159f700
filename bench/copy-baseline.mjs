// The baseline of the file-sink figures: DuckDB's own COPY of the same rows, already in a table, to one file.
//   node bench/copy-baseline.mjs <csv|parquet> <scenario JSON>
// Prints one JSON line. The rows are generated into a DuckDB file first (not timed) and copied into a flat table
// (the ami_readings view materialised, strings as VARCHAR); then only `COPY (SELECT ...) TO` is timed, with the
// file sink's options (CSV: header, timestamps as the CSV text forms; Parquet: zstd), on DuckDB's default threads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatchJob } from '../dist/jobs/batch-job.js';
import { parseOutputOptions } from '../dist/jobs/output-options.js';
import { createSinks } from '../dist/jobs/sink-factory.js';
import { resolveScenario } from '../dist/scenario/scenario.js';
import { Warehouse } from '../dist/warehouse/warehouse.js';

const [format, scenarioJson] = process.argv.slice(2);
const scenario = resolveScenario(JSON.parse(scenarioJson));
const dir = mkdtempSync(join(tmpdir(), 'forge-bench-copy-'));
try {
  const db = join(dir, 'rows.duckdb');
  const { rows } = await runBatchJob({ scenario, sinks: await createSinks(parseOutputOptions({ sink: 'duckdb', out: db })) });
  const warehouse = await Warehouse.open(db);
  try {
    await warehouse.run('CREATE TABLE flat AS SELECT * FROM ami_readings');
    const select = format === 'csv'
      ? `SELECT * REPLACE (strftime(reading_ts, '%Y-%m-%d %H:%M:%S') AS reading_ts, strftime(timezone('UTC', reading_ts_utc), '%Y-%m-%dT%H:%M:%SZ') AS reading_ts_utc) FROM flat`
      : 'SELECT * FROM flat';
    const options = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd';
    const started = performance.now();
    await warehouse.run(`COPY (${select}) TO '${join(dir, `rows.${format}`)}' (${options})`);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`${JSON.stringify({ kind: `duckdb-copy-${format}`, rows, seconds, rowsPerSecond: rows / seconds })}\n`);
  } finally {
    warehouse.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
