// Stream benchmarks (part of npm run bench): forge stream at --speed max into DuckDB, Postgres and both, psql's COPY
// of the same rows as the Postgres baseline, and emission-to-commit latency at about 10,000 rows/s.
// Postgres cases need the local server (FORGE_PG_URL, default postgres://postgres@127.0.0.1:5432/test) and psql;
// without them they are skipped with the reason.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG = process.env.FORGE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const FORGE = new URL('../dist/cli/main.js', import.meta.url).pathname;
const fleet = ['--meters', '10000', '--area', 'ERCOT', '--from', '2026-06-01T05:00:00Z', '--emission-pattern', 'STAGGERED_REALISTIC'];
const table = `forge_bench_stream_${process.pid}`;

const psql = (sql) => execFileSync('psql', [PG, '-qtAc', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
let pgProblem = '';
try {
  psql('select 1');
} catch (e) {
  pgProblem = String(e.stderr || e.message).split('\n')[0];
}

function stream(name, args, sinks) {
  if (sinks.includes('postgres') && pgProblem) return console.log(name.padEnd(46), `skipped: Postgres at ${PG} unavailable (${pgProblem})`);
  const dir = mkdtempSync(join(tmpdir(), 'forge-bench-stream-'));
  try {
    if (sinks.includes('postgres')) psql(`drop table if exists ${table}`);
    const pg = sinks.includes('postgres') ? ['--pg-url', PG, '--pg-table', table] : [];
    const out = execFileSync(process.execPath, [FORGE, 'stream', ...fleet, ...args, '--sink', sinks, ...pg, '--json', '--state-dir', join(dir, 'jobs')], {
      cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { stats } = JSON.parse(out.trim().split('\n').pop());
    const l = stats.latencyMs;
    console.log(
      name.padEnd(46),
      stats.delivered.toLocaleString('en-US').padStart(10),
      stats.seconds.toFixed(1).padStart(8),
      `${(stats.rowsPerSecond / 1e3).toFixed(0)}K`.padStart(8),
      `${(stats.sustainedRowsPerSecond / 1e3).toFixed(0)}K`.padStart(10),
      `${l.p50} / ${l.p95} / ${l.p99} ms`.padStart(26),
    );
    return stats;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** psql's COPY of the rows the stream wrote, in stream order (by time), into a new table of the same shape. */
function psqlCopyBaseline() {
  if (pgProblem) return;
  const csv = join(mkdtempSync(join(tmpdir(), 'forge-bench-copy-')), 'rows.csv');
  try {
    psql(`\\copy (select * from ${table} order by reading_ts_utc, meter_id) to '${csv}' csv`);
    psql(`drop table if exists ${table}_copy; create table ${table}_copy (like ${table} including all)`);
    const started = performance.now();
    psql(`\\copy ${table}_copy from '${csv}' csv`);
    const seconds = (performance.now() - started) / 1000;
    const rows = Number(psql(`select count(*) from ${table}_copy`));
    console.log('psql \\copy of the same rows (baseline)'.padEnd(46), rows.toLocaleString('en-US').padStart(10), seconds.toFixed(1).padStart(8), `${(rows / seconds / 1e3).toFixed(0)}K`.padStart(8), `${(rows / seconds / 1e3).toFixed(0)}K`.padStart(10));
    psql(`drop table ${table}_copy`);
    return rows / seconds;
  } finally {
    rmSync(csv, { force: true });
  }
}

console.log('\nstreams: 10,000 meters, STAGGERED_REALISTIC');
console.log('case'.padEnd(46), 'rows'.padStart(10), 'seconds'.padStart(8), 'rows/s'.padStart(8), 'sustained'.padStart(10), 'latency p50 / p95 / p99'.padStart(26));
stream('stream --speed max -> DuckDB (24 h)', ['--duration', '24h', '--speed', 'max'], 'duckdb');
// A week: the days after the first are made ahead in a worker thread while the stream delivers (the batch path's
// shape); the baseline is the batch job of the same 7 days into DuckDB, in the same run.
const week = stream('stream --speed max -> DuckDB (7 days)', ['--duration', '168h', '--speed', 'max'], 'duckdb');
const batchWeek = JSON.parse(
  execFileSync(process.execPath, [new URL('./case.mjs', import.meta.url).pathname, 'duckdb', JSON.stringify({ meters: 10000, days: 7, start: '2026-06-01', area: 'ERCOT' })], { encoding: 'utf8' }),
);
console.log('generate -> DuckDB, same 7 days (baseline)'.padEnd(46), batchWeek.rows.toLocaleString('en-US').padStart(10), batchWeek.seconds.toFixed(1).padStart(8), `${(batchWeek.rowsPerSecond / 1e3).toFixed(0)}K`.padStart(8));
console.log(
  `  the week's stream at ${(week.rowsPerSecond / batchWeek.rowsPerSecond).toFixed(2)}x the batch job (${(week.sustainedRowsPerSecond / batchWeek.rowsPerSecond).toFixed(2)}x sustained)`,
);
const pgStats = stream('stream --speed max -> Postgres (24 h)', ['--duration', '24h', '--speed', 'max'], 'postgres');
const baseline = psqlCopyBaseline();
if (pgStats && baseline) {
  console.log(
    `  Postgres stream sustained at ${((100 * pgStats.sustainedRowsPerSecond) / baseline).toFixed(0)}% of psql's COPY of the same rows ` +
      `(${((100 * pgStats.rowsPerSecond) / baseline).toFixed(0)}% counting start-up)`,
  );
}
stream('stream --speed max -> DuckDB + Postgres (24 h)', ['--duration', '24h', '--speed', 'max'], 'duckdb,postgres');
stream('stream at ~10K rows/s (--speed 900) -> DuckDB', ['--duration', '2h', '--speed', '900'], 'duckdb');
stream('stream at ~10K rows/s (--speed 900) -> Postgres', ['--duration', '2h', '--speed', '900'], 'postgres');
if (!pgProblem) psql(`drop table if exists ${table}`);
