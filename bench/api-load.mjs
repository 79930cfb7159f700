// API under load (part of npm run bench; alone: npm run build && node bench/api-load.mjs): forge serve in its own
// process, a stream job of 10,000 meters at about 10,000 rows/s into DuckDB started through the API, and autocannon
// against GET /health and GET /api/jobs while it runs (and once with no job, for comparison). Prints p50/p99 latency
// and requests per second; the job's delivered rate over the same seconds shows the load did not starve it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

const FORGE = new URL('../dist/cli/main.js', import.meta.url).pathname;
const SECONDS = Number(process.env.FORGE_BENCH_LOAD_SECONDS ?? 10);
const CONNECTIONS = 10;

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'forge-bench-api-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [FORGE, 'serve', '--port', String(port), '--state-dir', join(dir, 'jobs')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
const api = async (method, path, body) => {
  const res = await fetch(`${base}${path}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

async function load(path) {
  const result = await autocannon({ url: `${base}${path}`, connections: CONNECTIONS, duration: SECONDS });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors + result.non2xx };
}

const row = (name, r) =>
  console.log(name.padEnd(46), `p50 ${r.p50} ms`.padStart(11), `p99 ${r.p99} ms`.padStart(12), `${Math.round(r.rps).toLocaleString('en-US')} req/s`.padStart(13), r.errors ? `${r.errors} errors` : '');

try {
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    await sleep(100);
  }
  console.log(`\nAPI under load (autocannon, ${CONNECTIONS} connections, ${SECONDS} s a case; forge serve in its own process)`);
  row('GET /health, no job', await load('/health'));
  row('GET /api/jobs, no job', await load('/api/jobs'));

  // 10,000 meters at 15 minutes report 10,000 readings per 900 simulated seconds: at 900x, 10,000 rows/s.
  const job = await api('POST', '/api/jobs', {
    kind: 'stream',
    scenario: { meters: 10_000, area: 'ERCOT', emissionPattern: 'STAGGERED_REALISTIC' },
    output: { sink: ['duckdb'], out: 'load.duckdb' },
    stream: { speed: 900, duration: '2d' },
  });
  for (let i = 0; i < 600; i++) {
    if ((await api('GET', `/api/jobs/${job.jobId}`)).stats.delivered > 0) break;
    await sleep(100);
  }
  await sleep(2_000);
  const before = { at: Date.now(), delivered: (await api('GET', `/api/jobs/${job.jobId}`)).stats.delivered };
  const health = await load('/health');
  const jobs = await load('/api/jobs');
  const after = await api('GET', `/api/jobs/${job.jobId}`);
  const rate = (after.stats.delivered - before.delivered) / ((Date.now() - before.at) / 1000);
  row('GET /health, stream at 10,000 rows/s', health);
  row('GET /api/jobs, stream at 10,000 rows/s', jobs);
  console.log('stream meanwhile'.padEnd(46), `${Math.round(rate).toLocaleString('en-US')} rows/s delivered, latency p50 ${after.stats.latencyMs?.p50} ms, p99 ${after.stats.latencyMs?.p99} ms`);
  await api('POST', `/api/jobs/${job.jobId}/stop`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
