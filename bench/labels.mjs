// node bench/labels.mjs (after npm run build): what the ground truth costs. Times LabelCollector over a job's batches
// on the main thread (the work the batch job adds per batch) against generating them, then forge split of a DuckDB
// output by meter and by time. 2,000 meters x 30 days at 15 minutes (5.76M readings).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const { resolveScenario } = await import(dist('scenario/scenario.js'));
const { buildFleet } = await import(dist('fleet/fleet.js'));
const { emitBatches } = await import(dist('emit/batch-emitter.js'));
const { LabelCollector } = await import(dist('generator/anomaly-labels.js'));
const { runBatchJob } = await import(dist('jobs/batch-job.js'));
const { DuckDbSink } = await import(dist('sinks/duckdb/duckdb-sink.js'));
const { splitDataset } = await import(dist('warehouse/dataset-split.js'));
const { labelCollectorAt } = await import(dist('generator/label-history.js'));
const { generationDays } = await import(dist('generator/calendar.js'));
const { ReadingGenerator } = await import(dist('generator/reading-generator.js'));

const scenario = resolveScenario({ meters: 2_000, days: 30, start: '2025-06-01' });
const collector = new LabelCollector(scenario, buildFleet(scenario));
let rows = 0;
let labelMs = 0;
let windows = 0;
const started = performance.now();
for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0 })) {
  const t = performance.now();
  collector.add(batch);
  if (unit.lastOfDay) windows += collector.endDay().length;
  labelMs += performance.now() - t;
  rows += batch.length;
  release();
}
windows += collector.finish().length;
const totalMs = performance.now() - started;
console.log('');
console.log('labels'.padEnd(46), 'rows'.padStart(13), 'seconds'.padStart(9), 'rows/s'.padStart(12));
console.log('LabelCollector (main thread)'.padEnd(46), rows.toLocaleString('en-US').padStart(13), (labelMs / 1000).toFixed(2).padStart(9), `${(rows / labelMs / 1000).toFixed(1)}M`.padStart(12),
  `(${windows.toLocaleString('en-US')} windows; ${((100 * labelMs) / totalMs).toFixed(1)}% of generating inline)`);

// A resumed job's look-back (label-history.ts): the collector an uninterrupted run has at a date's start, against
// generating one day of the fleet.
{
  const fleet = buildFleet(scenario);
  const days = generationDays(scenario);
  const generator = new ReadingGenerator(scenario, fleet);
  let t = performance.now();
  for (let i = 0; i < 3; i++) generator.generate(days[14], 0, scenario.meters);
  const dayMs = (performance.now() - t) / 3;
  for (const day of [15, 29]) {
    t = performance.now();
    const open = labelCollectorAt(scenario, fleet, days, day, 0, scenario.meters).finish().length;
    const ms = performance.now() - t;
    console.log(`resume look-back at day ${day}`.padEnd(46), `${(ms / 1000).toFixed(2)} s = ${(ms / dayMs).toFixed(2)} fleet-days of generation (${open} windows open)`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'forge-bench-labels-'));
try {
  const out = join(dir, 'forge.duckdb');
  await runBatchJob({ scenario, sinks: [new DuckDbSink({ path: out })] });
  for (const by of ['meter', 'time']) {
    const t = performance.now();
    await splitDataset({ source: out, by, ratios: [0.7, 0.15, 0.15], to: join(dir, `split-${by}`) });
    const s = (performance.now() - t) / 1000;
    console.log(`forge split --by ${by}`.padEnd(46), rows.toLocaleString('en-US').padStart(13), s.toFixed(2).padStart(9), `${(rows / s / 1e6).toFixed(2)}M`.padStart(12));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
