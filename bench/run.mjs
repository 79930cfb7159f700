// npm run bench [-- --full]: prints throughput and peak memory figures (never asserted by tests).
// Default cases take about three minutes; --full adds the ml preset (350.4M rows) to Parquet and to DuckDB.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const full = process.argv.includes('--full');
const year = { meters: 10_000, days: 30, start: '2026-01-01' };
const cases = [
  { name: 'generation alone (10,000 meters x 30 days)', kind: 'generate', scenario: year },
  { name: 'generation alone, 1 worker', kind: 'generate', scenario: year, workers: 1 },
  { name: 'end to end -> DuckDB table', kind: 'duckdb', scenario: year },
  { name: 'end to end -> NDJSON', kind: 'ndjson', scenario: { ...year, days: 7 } },
  { name: 'preset se -> DuckDB (8.64M rows)', kind: 'duckdb', scenario: { preset: 'se', start: '2026-01-01' } },
  ...(full
    ? [
        { name: 'preset ml -> Parquet (350.4M rows)', kind: 'parquet', scenario: { preset: 'ml', start: '2025-01-01' } },
        { name: 'preset ml -> DuckDB (350.4M rows)', kind: 'duckdb', scenario: { preset: 'ml', start: '2025-01-01' } },
      ]
    : []),
];

console.log(`Flux Data Forge benchmarks: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
console.log('case'.padEnd(46), 'rows'.padStart(13), 'seconds'.padStart(9), 'rows/s'.padStart(12), 'peak RSS'.padStart(10));
for (const c of cases) {
  const args = ['bench/case.mjs', c.kind, JSON.stringify(c.scenario), ...(c.workers === undefined ? [] : [String(c.workers)])];
  const result = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());
  console.log(
    c.name.padEnd(46),
    result.rows.toLocaleString('en-US').padStart(13),
    result.seconds.toFixed(1).padStart(9),
    `${(result.rowsPerSecond / 1e6).toFixed(2)}M`.padStart(12),
    `${result.peakRssMb.toFixed(0)} MB`.padStart(10),
  );
}

// Parquet and CSV, each against DuckDB's own COPY of the same rows (file-sinks.mjs).
await import('./file-sinks.mjs');
// The CSV sink's row encoder alone (ns a row).
await import('./csv-encoder.mjs');

// Streams and the pipeline run after the batch cases (the CLI end to end, one process per case).
await import('./stream.mjs');
await import('./messages.mjs');
await import('./stage.mjs');
await import('./pipeline.mjs');
await import('./api-load.mjs');
await import('./reliability.mjs');
