#!/usr/bin/env node
// Runs the vitest suite and ends with one plain line, "N passed, N failed, N skipped", read from vitest's JSON
// reporter (CI recognises that line; vitest's own summary is not). Exits with vitest's exit code.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
rmSync(results, { force: true });
const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let code = vitest.status ?? 1;
if (existsSync(results)) {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  const passed = report.numPassedTests ?? 0;
  // A test file that fails to load has no failed test of its own: count it once; otherwise count failed tests only.
  const failed = (report.numFailedTests ?? 0) || (report.numFailedTestSuites ?? 0);
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (passed + failed === 0) code = code || 1;
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
} else {
  process.stdout.write('\n0 passed, 1 failed\n');
  code = code || 1;
}
process.exit(code);
