// node bench/reliability.mjs (after npm run build; run.mjs runs it last): how long forge report reliability takes on
// a DuckDB output, and its peak memory. Writes 5,000 meters x 90 days hourly with a forced storm (10.8M readings) to a
// temporary DuckDB file, then times reliabilityReport in a fresh process (so peak RSS is the report's own).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'forge-bench-reliability-'));
const out = join(dir, 'year.duckdb');
const scenario = { area: 'TEXAS_GULF_COAST', meters: 5_000, days: 90, start: '2025-07-01', interval: 60, storm: '2025-08-15' };
try {
  const flags = Object.entries(scenario).flatMap(([k, v]) => [`--${k}`, String(v)]);
  execFileSync(process.execPath, ['dist/cli/main.js', 'generate', ...flags, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const script = `
    const { reliabilityReport } = await import(${JSON.stringify(new URL('../dist/validate/reliability-report.js', import.meta.url).href)});
    const started = performance.now();
    const report = await reliabilityReport(${JSON.stringify(out)});
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ seconds, interruptions: report.all.interruptions, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  `;
  const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split('\n').pop());
  const rows = scenario.meters * scenario.days * 24;
  console.log('');
  console.log('forge report reliability'.padEnd(46), 'rows'.padStart(13), 'seconds'.padStart(9), 'rows/s'.padStart(12), 'peak RSS'.padStart(10));
  console.log(
    `${scenario.meters.toLocaleString('en-US')} meters x ${scenario.days} days, storm`.padEnd(46),
    rows.toLocaleString('en-US').padStart(13),
    result.seconds.toFixed(1).padStart(9),
    `${(rows / result.seconds / 1e6).toFixed(2)}M`.padStart(12),
    `${result.peakRssMb.toFixed(0)} MB`.padStart(10),
    `(${result.interruptions.toLocaleString('en-US')} customer interruptions)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
