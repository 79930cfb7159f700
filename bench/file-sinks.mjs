// The file sinks against DuckDB's own COPY of the same rows (issue 16): each case end to end (bench/case.mjs, its own
// process), then the baseline in another process (bench/copy-baseline.mjs), and the ratio of the two rates.
//   node bench/file-sinks.mjs            (part of npm run bench; after npm run build)
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

const cases = [
  { name: 'CSV, 10,000 meters x 7 days', kind: 'csv', scenario: { meters: 10_000, days: 7, start: '2026-01-01' } },
  { name: 'Parquet, 1,000 meters x 365 days', kind: 'parquet', scenario: { meters: 1_000, days: 365, start: '2026-01-01' } },
  { name: 'Parquet, 10,000 meters x 30 days', kind: 'parquet', scenario: { meters: 10_000, days: 30, start: '2026-01-01' } },
];

const run = (script, args) =>
  JSON.parse(execFileSync(process.execPath, [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());
const rate = (r) => `${(r.rowsPerSecond / 1e6).toFixed(2)}M`;

console.log(`\nFile sinks against DuckDB's COPY of the same rows from a table (load average ${loadavg()[0].toFixed(1)})`);
console.log('case'.padEnd(34), 'rows'.padStart(12), 'seconds'.padStart(8), 'rows/s'.padStart(8), 'peak RSS'.padStart(9), 'COPY s'.padStart(7), 'COPY rows/s'.padStart(12), 'ratio'.padStart(6));
for (const c of cases) {
  const forge = run('bench/case.mjs', [c.kind, JSON.stringify(c.scenario)]);
  const copy = run('bench/copy-baseline.mjs', [c.kind, JSON.stringify(c.scenario)]);
  console.log(
    c.name.padEnd(34),
    forge.rows.toLocaleString('en-US').padStart(12),
    forge.seconds.toFixed(1).padStart(8),
    rate(forge).padStart(8),
    `${forge.peakRssMb.toFixed(0)} MB`.padStart(9),
    copy.seconds.toFixed(1).padStart(7),
    rate(copy).padStart(12),
    `${(forge.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}x`.padStart(6),
  );
}
