// One benchmark case in its own process, so peak RSS is the case's own: prints one JSON line.
//   node bench/case.mjs <generate|parquet|duckdb|csv|ndjson> <scenario JSON> [workers]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitBatches } from '../dist/emit/batch-emitter.js';
import { runBatchJob } from '../dist/jobs/batch-job.js';
import { parseOutputOptions } from '../dist/jobs/output-options.js';
import { createSinks } from '../dist/jobs/sink-factory.js';
import { resolveScenario } from '../dist/scenario/scenario.js';

const [kind, scenarioJson, workersArg] = process.argv.slice(2);
const scenario = resolveScenario(JSON.parse(scenarioJson));
const workers = workersArg === undefined ? undefined : Number(workersArg);
const started = performance.now();
let rows = 0;
let seconds;
const dir = mkdtempSync(join(tmpdir(), 'forge-bench-'));
try {
  if (kind === 'generate') {
    for await (const { batch, release } of emitBatches(scenario, workers === undefined ? {} : { workers })) {
      rows += batch.length;
      release();
    }
  } else {
    const out = kind === 'duckdb' ? join(dir, 'bench.duckdb') : join(dir, kind);
    const sinks = await createSinks(parseOutputOptions({ sink: kind, out }));
    const summary = await runBatchJob({ scenario, sinks, ...(workers === undefined ? {} : { workers }) });
    rows = summary.rows;
  }
  // The job's time, up to its sinks' close; removing its output afterwards is the benchmark's (as for the baselines).
  seconds = (performance.now() - started) / 1000;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ kind, rows, seconds, rowsPerSecond: rows / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
