import { extname } from 'node:path';
import type { JobRecord } from '../jobs/job-store.js';
import { mapOutPaths } from '../jobs/output-paths.js';

/** A body of POST /api/jobs (checked by JobManager like any other). */
export interface JobBody {
  readonly kind: 'batch' | 'stream';
  readonly scenario: Record<string, unknown>;
  readonly output: Record<string, unknown>;
  readonly stream?: Record<string, unknown>;
}

/**
 * The request that runs a recorded job again: the same scenario, sinks and settings. A path output gets a fresh name
 * beside the first (the first job's tables and files stay as they are, and a DuckDB file never takes a second copy of
 * the same readings); a stream that started from "now" starts now again, one from a fixed instant at that instant.
 */
export function rerunRequest(record: JobRecord, now = new Date()): JobBody {
  const { out: _out, ...output } = record.output;
  // Each path sink's path from pathOf's reading of out (a string in records from before per-sink paths, else per sink).
  const out = mapOutPaths(record.output, (_sink, path) => (path === undefined ? undefined : freshPath(path, now)));
  const fresh = out === undefined ? {} : { out };
  if (record.kind === 'batch') return { kind: 'batch', scenario: { ...record.scenario }, output: { ...output, ...fresh, append: false } };
  const window = record.stream!;
  const rates = record.emission ?? {};
  const pick = (key: string): Record<string, unknown> => (rates[key] === undefined ? {} : { [key]: rates[key] });
  return {
    kind: 'stream',
    // The window decides the days: the recorded start and days were those of the first run's window.
    scenario: Object.fromEntries(Object.entries(record.scenario).filter(([key]) => key !== 'start' && key !== 'days')),
    output: { ...output, ...fresh, append: false },
    stream: {
      from: window.fromNow ? 'now' : window.fromUtc,
      ...(window.toUtc === null ? {} : { duration: `${Date.parse(window.toUtc) - Date.parse(window.fromUtc)}ms` }),
      speed: window.speed === null ? 'max' : window.speed,
      ...pick('missingRate'),
      ...pick('lateRate'),
      ...pick('outOfOrderRate'),
      ...pick('duplicateRate'),
      ...pick('batchRows'),
    },
  };
}

/** `forge-data/quick.duckdb` -> `forge-data/quick-rerun-20261129-101500.duckdb` (a directory gets the suffix). */
function freshPath(path: string, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const ext = extname(path);
  const stem = ext ? path.slice(0, -ext.length) : path;
  return `${stem.replace(/-rerun-\d{8}-\d{6}$/, '')}-rerun-${stamp}${ext}`;
}
