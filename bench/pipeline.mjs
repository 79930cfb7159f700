// Pipeline latency (part of npm run bench): a real-time stream lands in a local stage while `forge ingest --watch`
// (default target lag 10 s) loads bronze and refreshes silver and gold; reports emission -> silver/gold latency
// percentiles from the pipeline database. Silver and gold commit in one transaction, so a reading reaches both at once.
//   node bench/pipeline.mjs [seconds=60] [meters=50000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [seconds = 60, meterCount = 50_000] = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const meters = String(meterCount);
const FORGE = new URL('../dist/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'forge-bench-pipeline-'));
const run = (args) => spawn(process.execPath, [FORGE, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
const exited = (child) => new Promise((resolve) => child.once('close', resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  const stream = run(['stream', '--meters', meters, '--emission-pattern', 'STAGGERED_REALISTIC', '--sink', 'stage', '--stage', join(dir, 'stage'),
    '--stage-roll-seconds', '1', '--duration', '2h', '--state-dir', join(dir, 'jobs')]);
  const ingest = run(['ingest', '--stage', join(dir, 'stage'), '--out', join(dir, 'pipeline.duckdb'), '--watch', '--lag', '10s']);
  await sleep(seconds * 1000);
  stream.kill('SIGTERM');
  await exited(stream);
  // Let the watcher take what the stream landed last (two polls of half the lag), then stop it.
  await sleep(12_000);
  ingest.kill('SIGTERM');
  await exited(ingest);

  const record = JSON.parse(readFileSync(join(dir, 'jobs', readdirSync(join(dir, 'jobs')).find((n) => n.endsWith('.json'))), 'utf8'));
  const instance = await DuckDBInstance.create(join(dir, 'pipeline.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  // Readings emitted after the stream started (its first batch also delivers the interval that had just ended).
  const reader = await connection.runAndReadAll(
    `SELECT count(*), quantile_cont(ms, [0.5, 0.95, 0.99]), max(ms) FROM (
       SELECT epoch_ms(r.finished_at) - epoch_ms(s.emitted_at) AS ms
       FROM silver_ami s JOIN pipeline_refresh_history r USING (refresh_id)
       WHERE s.emitted_at >= $1::TIMESTAMPTZ)`,
    [record.createdAt],
  );
  const [count, [p50, p95, p99], max] = reader.getRowsJson()[0].map((v) => (Array.isArray(v) ? v.map(Number) : Number(v)));
  console.log(`\npipeline: real-time stream (${meters} meters, STAGGERED_REALISTIC, ${seconds} s) -> local stage (1 s files) -> forge ingest --watch (lag 10 s)`);
  console.log(`  ${Number(count).toLocaleString('en-US')} readings; emission -> silver and gold: p50 ${(p50 / 1000).toFixed(1)} s, p95 ${(p95 / 1000).toFixed(1)} s, p99 ${(p99 / 1000).toFixed(1)} s, max ${(Number(max) / 1000).toFixed(1)} s (target p99 < 10 s)`);
  connection.closeSync();
  instance.closeSync();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
