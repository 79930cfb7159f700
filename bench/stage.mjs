// Stage and ingest benchmarks (part of npm run bench; node bench/stage.mjs [meters=10000] after npm run build), each
// against its baseline measured in the same run on the same files:
// - `forge stream --speed max --sink stage` (gzip NDJSON, local; at gzip level 6 and 1) of meters x 24 h, against DuckDB writing the same
//   readings, already in a table, as gzip NDJSON (COPY ... TO (FORMAT json, COMPRESSION gzip)): the limit the issue
//   names for the stage;
// - `forge ingest` of those files (bronze with every line checked, silver, gold: one pass), against DuckDB's
//   read_json of the same files into a table (detecting their nested structure); and what only keeping each line, as
//   bronze does, costs: DuckDB reading the files' lines into a table of a database file, nothing checked or typed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [meterCount = 10_000] = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const FORGE = new URL('../dist/cli/main.js', import.meta.url).pathname;
const TIME = '/usr/bin/time';
const dir = mkdtempSync(join(tmpdir(), 'forge-bench-stage-'));

/** Runs the CLI with --json; its answer, the wall time and (where /usr/bin/time is there) the peak RSS in MB. */
function forge(args) {
  const started = performance.now();
  const timed = existsSync(TIME);
  const run = spawnSync(timed ? TIME : process.execPath, [...(timed ? ['-f', 'peak-rss-kb %M', process.execPath] : []), FORGE, ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`forge ${args[0]} failed: ${run.stderr}`);
  const rss = /peak-rss-kb (\d+)/.exec(run.stderr);
  return { answer: JSON.parse(run.stdout.trim().split('\n').pop()), seconds: (performance.now() - started) / 1000, rssMb: rss ? Number(rss[1]) / 1024 : null };
}

/** Seconds DuckDB takes for `sql` (one statement, timed alone, after `setup`), in memory or in a database file. */
async function duckdb(setup, sql, path = ':memory:') {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    for (const s of setup) await connection.run(s);
    const started = performance.now();
    await connection.run(sql);
    return (performance.now() - started) / 1000;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const f = (n) => Math.round(n).toLocaleString('en-US');
try {
  const stage = join(dir, 'stage');
  const files = `${stage}/raw/ami/**/*.json.gz`;
  const stream = forge(['stream', '--meters', String(meterCount), '--area', 'ERCOT', '--from', '2026-06-01T05:00:00Z', '--duration', '24h', '--speed', 'max',
    '--emission-pattern', 'STAGGERED_REALISTIC', '--sink', 'stage', '--stage', stage, '--state-dir', join(dir, 'jobs')]);
  const rows = stream.answer.stats.delivered;
  const copy = await duckdb([`CREATE TABLE r AS SELECT * FROM read_json('${files}')`], `COPY r TO '${join(dir, 'copy.json.gz')}' (FORMAT json, COMPRESSION gzip)`);
  const ingest = forge(['ingest', '--stage', stage, '--out', join(dir, 'pipeline.duckdb')]);
  const readJson = await duckdb([], `CREATE TABLE r AS SELECT * FROM read_json('${files}')`);
  const keepLines = await duckdb([], `CREATE TABLE b AS SELECT json AS raw FROM read_ndjson_objects('${files}', compression = 'gzip')`, join(dir, 'lines.duckdb'));
  const ingestSeconds = ingest.answer.durationMs / 1000;
  const fast = forge(['stream', '--meters', String(meterCount), '--area', 'ERCOT', '--from', '2026-06-01T05:00:00Z', '--duration', '24h', '--speed', 'max',
    '--emission-pattern', 'STAGGERED_REALISTIC', '--sink', 'stage', '--stage', join(dir, 'stage-fast'), '--stage-gzip-level', '1', '--state-dir', join(dir, 'jobs')]);
  console.log(`\nStage and ingest, ${f(rows)} readings (${f(meterCount)} meters x 24 h, STAGGERED_REALISTIC):`);
  const rss = (r) => (r.rssMb === null ? '' : `, peak RSS ${f(r.rssMb)} MB`);
  const sinkRate = stream.answer.stats.rowsPerSecond;
  console.log(`  stream --speed max --sink stage: ${f(sinkRate)} rows/s (job ${stream.answer.stats.seconds.toFixed(1)} s${rss(stream)})`);
  console.log(`  DuckDB COPY of the same rows to gzip NDJSON: ${f(rows / copy)} rows/s (${copy.toFixed(1)} s); the sink is ${(sinkRate / (rows / copy)).toFixed(2)}x it`);
  const fastRate = fast.answer.stats.rowsPerSecond;
  const mb = (r) => (r.answer.sinks[0].bytes / 2 ** 20).toFixed(1);
  console.log(`  the same with --stage-gzip-level 1: ${f(fastRate)} rows/s (${mb(fast)} MiB of files against ${mb(stream)} MiB; ${(fastRate / sinkRate).toFixed(2)}x level 6, ${(fastRate / (rows / copy)).toFixed(2)}x DuckDB's COPY${rss(fast)})`);
  console.log(`  forge ingest (bronze, silver, gold): ${f(rows / ingestSeconds)} rows/s (${ingestSeconds.toFixed(1)} s${rss(ingest)})`);
  console.log(`  DuckDB read_json of the same files: ${f(rows / readJson)} rows/s (${readJson.toFixed(1)} s); ingest is ${(readJson / ingestSeconds).toFixed(2)}x it`);
  console.log(`  DuckDB keeping the files' lines in a database file, nothing else: ${f(rows / keepLines)} rows/s (${keepLines.toFixed(1)} s), ${(readJson / keepLines).toFixed(2)}x read_json: the most any ingest that keeps the raw lines can reach`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
