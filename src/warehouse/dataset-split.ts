import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { listValue, LIST, VARCHAR } from '@duckdb/node-api';
import { LABEL_TABLE } from '../generator/label-columns.js';
import { ForgeError } from '../util/forge-error.js';
import { hash32 } from '../util/random.js';
import { quoteLiteral } from './sql-quote.js';
import { STAR_SCHEMA } from './star-schema.js';
import { Warehouse } from './warehouse.js';

/**
 * `forge split`: a job's output (a DuckDB file or a Parquet directory) as train / validation / test sets for ML,
 * without leakage:
 * - by meter: each meter is in exactly one split (meters ordered by a seeded hash of their id, then cut by the
 *   ratios), so a model is tested on customers it never saw;
 * - by time: the distinct interval starts are cut by the ratios into consecutive ranges, train earliest, so a model
 *   is tested on a future it never saw; the ranges do not overlap.
 * Labels follow their readings: by meter a meter's windows go with it, by time a window is cut at the range's
 * bounds (its `readings` then counts the flagged readings left in it). Each split is a directory holding
 * `readings.parquet` and `anomaly_labels.parquet` (when the source has labels), with `split.json` describing the cut.
 * The same source, ratios and seed give the same split.
 */
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
export const SPLIT_BY = ['meter', 'time'] as const;
export type SplitBy = (typeof SPLIT_BY)[number];

export interface SplitOptions {
  /** A DuckDB file written by the duckdb sink, or a directory written by the parquet sink. */
  readonly source: string;
  readonly by: SplitBy;
  /** Shares of train, validation and test: three numbers from 0 to 1 summing to 1. */
  readonly ratios: readonly [number, number, number];
  /** An empty or absent directory. */
  readonly to: string;
  /** Seeds the meter order (by meter). Default 42. */
  readonly seed?: number;
}

export interface SplitPart {
  readonly name: SplitName;
  readonly meters: number;
  readonly readings: number;
  readonly labels: number;
  /** By time: the part's range of interval starts [from, to), ISO UTC (null: open end). */
  readonly fromUtc?: string | null;
  readonly toUtc?: string | null;
}

export interface SplitReport {
  readonly source: string;
  readonly by: SplitBy;
  readonly ratios: readonly number[];
  readonly seed: number;
  readonly to: string;
  readonly parts: readonly SplitPart[];
}

/** Seeds the meter order; any stream number apart from the generator's would do. */
const SPLIT_STREAM = 0x5e11;

/** Parses `0.7,0.15,0.15`: three shares from 0 to 1 summing to 1 (within 1e-6). */
export function parseRatios(text: string): [number, number, number] {
  const parts = text.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p.trim())));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0 || p > 1)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`ratios: "${text}": expected three shares from 0 to 1 for train, validation and test, e.g. 0.7,0.15,0.15`]);
  }
  const sum = parts[0]! + parts[1]! + parts[2]!;
  if (Math.abs(sum - 1) > 1e-6) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`ratios: "${text}" sum to ${+sum.toFixed(6)}, not 1`]);
  return parts as [number, number, number];
}

/** Cut points of n items by the ratios: part i is [cuts[i], cuts[i + 1]). */
export function cutPoints(n: number, ratios: readonly number[]): number[] {
  const cuts = [0];
  let share = 0;
  for (let i = 0; i < ratios.length - 1; i++) {
    share += ratios[i]!;
    cuts.push(Math.min(n, Math.round(n * share)));
  }
  cuts.push(n);
  return cuts;
}

/** FNV-1a of a meter id, then the seeded hash: the meter's place in a by-meter split. */
function meterKey(seed: number, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash32(seed, SPLIT_STREAM, h, id.length);
}

/** Orders meters for a by-meter split (exported for tests): by seeded key, ties by id. */
export function meterOrder(seed: number, ids: readonly string[]): string[] {
  const keyed = ids.map((id) => ({ id, key: meterKey(seed, id) }));
  keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return keyed.map((k) => k.id);
}

export async function splitDataset(options: SplitOptions): Promise<SplitReport> {
  const source = resolve(options.source);
  const to = resolve(options.to);
  const seed = options.seed ?? 42;
  const ratios = options.ratios;
  if (!SPLIT_BY.includes(options.by)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`by: "${String(options.by)}" is not one of ${SPLIT_BY.join(', ')}`]);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`seed: ${seed} is not a whole number from 0 to 4294967295`]);
  if (!existsSync(source)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [source]);
  if (existsSync(to) && (!statSync(to).isDirectory() || (await readdir(to)).length > 0)) {
    throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`to: ${to} exists and is not an empty directory; split into a new one`]);
  }
  const directory = statSync(source).isDirectory();
  // A DuckDB source is opened read-only by attaching it: nothing is written to it.
  const w = await Warehouse.open(':memory:');
  const work = join(dirname(to), `.${basename(to)}.split-${process.pid}.tmp`);
  // DuckDB spills a sort bigger than its memory here: the system's temporary directory, not beside the target.
  const spill = await mkdtemp(join(tmpdir(), 'forge-split-'));
  try {
    await w.run(`SET temp_directory = ${quoteLiteral(spill)}`);
    await w.run(`SET memory_limit = '512MB'`);
    let hasLabels: boolean;
    if (directory) {
      const glob = join(source, 'date=*', '*.parquet');
      const parts = await readdir(source).then((names) => names.filter((n) => n.startsWith('date=')));
      if (parts.length === 0) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${source} (no date=YYYY-MM-DD partitions of Parquet readings)`]);
      await w.run(`CREATE VIEW readings AS SELECT * FROM read_parquet(${quoteLiteral(glob)}, hive_partitioning = false)`);
      const labelDir = `${source}_labels`;
      hasLabels = existsSync(labelDir) && (await readdir(labelDir)).some((n) => n.startsWith('date='));
      if (hasLabels) await w.run(`CREATE VIEW labels AS SELECT * FROM read_parquet(${quoteLiteral(join(labelDir, 'date=*', '*.parquet'))}, hive_partitioning = false)`);
    } else {
      try {
        await w.run(`ATTACH ${quoteLiteral(source)} AS src (READ_ONLY)`);
      } catch (e) {
        throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${source} (not a DuckDB file: ${(e as Error).message.split('\n')[0]})`]);
      }
      const tables = (await w.rows(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = 'src'`)).map((r) => String(r.table_name));
      if (!tables.includes(STAR_SCHEMA.readings)) throw new ForgeError('FORGE_ERR_OUTPUT_NOT_FOUND', [`${source} (no ${STAR_SCHEMA.readings})`]);
      await w.run(`CREATE VIEW readings AS SELECT * FROM src.${STAR_SCHEMA.readings}`);
      hasLabels = tables.includes(LABEL_TABLE);
      if (hasLabels) await w.run(`CREATE VIEW labels AS SELECT * FROM src.${LABEL_TABLE}`);
    }
    const parts: SplitPart[] = [];
    await mkdir(work, { recursive: true });
    if (options.by === 'meter') {
      const ids = (await w.rows(`SELECT DISTINCT meter_id FROM readings`)).map((r) => String(r.meter_id));
      const order = meterOrder(seed, ids);
      const cuts = cutPoints(order.length, ratios);
      const splitOf = order.map((_, i) => SPLIT_NAMES[cuts.findIndex((c, k) => k > 0 && i < c) - 1]!);
      await w.connection.run(`CREATE TABLE assignment AS SELECT unnest($1) AS meter_id, unnest($2) AS split`, [listValue(order), listValue(splitOf)], [LIST(VARCHAR), LIST(VARCHAR)]);
      for (const name of SPLIT_NAMES) {
        const where = `meter_id IN (SELECT meter_id FROM assignment WHERE split = ${quoteLiteral(name)})`;
        parts.push(await writePart(w, work, name, `SELECT * FROM readings WHERE ${where}`, hasLabels ? `SELECT * FROM labels WHERE ${where}` : null));
      }
    } else {
      const times = (await w.rows(`SELECT DISTINCT epoch_ms(reading_ts_utc) AS t FROM readings ORDER BY 1`)).map((r) => Number(r.t));
      const cuts = cutPoints(times.length, ratios);
      for (const [i, name] of SPLIT_NAMES.entries()) {
        const from = cuts[i]! < times.length ? times[cuts[i]!]! : null;
        const until = cuts[i + 1]! < times.length ? times[cuts[i + 1]!]! : null;
        const empty = cuts[i] === cuts[i + 1];
        const range = empty ? 'false' : `reading_ts_utc >= ${ts(from!)}${until === null ? '' : ` AND reading_ts_utc < ${ts(until)}`}`;
        const labels = hasLabels ? clippedLabels(empty, from, until) : null;
        const part = await writePart(w, work, name, `SELECT * FROM readings WHERE ${range}`, labels);
        parts.push({ ...part, fromUtc: empty ? null : new Date(from!).toISOString(), toUtc: empty || until === null ? null : new Date(until).toISOString() });
      }
    }
    const report: SplitReport = { source, by: options.by, ratios: [...ratios], seed, to, parts };
    await writeFile(join(work, 'split.json'), `${JSON.stringify(report, null, 2)}\n`);
    // Whole or nothing: the split appears under its name only once every file is written.
    if (existsSync(to)) await rm(to, { recursive: true });
    await rename(work, to);
    return report;
  } finally {
    w.close();
    await rm(work, { recursive: true, force: true });
    await rm(spill, { recursive: true, force: true });
  }
}

const ts = (ms: number): string => `make_timestamptz(${ms * 1000})`;

/**
 * Labels of a time range, cut at its bounds: a window is kept where it overlaps the range, its bounds moved to the
 * range's (the local bound to the reading's own local time at that instant), and its readings recounted; a window
 * left without readings of its own is dropped.
 */
function clippedLabels(empty: boolean, from: number | null, until: number | null): string {
  if (empty) return 'SELECT * FROM labels WHERE false';
  const lo = ts(from!);
  const hi = until === null ? null : ts(until);
  const overlap = `end_ts_utc > ${lo}${hi ? ` AND start_ts_utc < ${hi}` : ''}`;
  const newStart = `greatest(l.start_ts_utc, ${lo})`;
  const newEnd = hi ? `least(l.end_ts_utc, ${hi})` : 'l.end_ts_utc';
  const localAt = (utc: string, fallback: string): string =>
    `coalesce((SELECT min(r.reading_ts) FROM readings r WHERE r.meter_id = l.meter_id AND r.reading_ts_utc = ${utc}), ${fallback})`;
  // A theft window spans other events: cut, the part in range may hold none of its own readings, and is dropped.
  return `SELECT * FROM (SELECT l.job_id, l.meter_id, l.event_type,
      CASE WHEN l.start_ts_utc < ${lo} THEN ${localAt(lo, 'l.start_ts')} ELSE l.start_ts END AS start_ts,
      ${hi ? `CASE WHEN l.end_ts_utc > ${hi} THEN ${localAt(hi, 'l.end_ts')} ELSE l.end_ts END` : 'l.end_ts'} AS end_ts,
      ${newStart} AS start_ts_utc, ${newEnd} AS end_ts_utc,
      CAST((SELECT count(*) FROM readings r WHERE r.meter_id = l.meter_id AND r.reading_ts_utc >= ${newStart} AND r.reading_ts_utc < ${newEnd}
        AND (CASE WHEN r.event_type = 'LAST_GASP' THEN 'OUTAGE' ELSE r.event_type END) = l.event_type) AS INTEGER) AS readings,
      l.severity, l.source
    FROM labels l WHERE ${overlap}) WHERE readings > 0`;
}

/**
 * Writes one split's files straight from the source (nothing held whole in memory: DuckDB streams the COPY and spills
 * its sort to the split's temporary directory), then counts what it wrote from the file.
 */
async function writePart(w: Warehouse, work: string, name: SplitName, readings: string, labels: string | null): Promise<SplitPart> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'readings.parquet');
  await w.run(`COPY (${readings} ORDER BY meter_id, reading_ts_utc) TO ${quoteLiteral(file)} (FORMAT parquet)`);
  const [written] = await w.rows(`SELECT count(*) AS n, count(DISTINCT meter_id) AS meters FROM read_parquet(${quoteLiteral(file)})`);
  const count = Number(written!.n);
  const meters = Number(written!.meters);
  let labelCount = 0;
  if (labels) {
    await w.run(`CREATE TABLE part_labels AS ${labels}`);
    await w.run(`COPY (SELECT * FROM part_labels ORDER BY meter_id, start_ts_utc, event_type) TO ${quoteLiteral(join(dir, 'anomaly_labels.parquet'))} (FORMAT parquet)`);
    labelCount = await w.number(`SELECT count(*) FROM part_labels`);
    await w.run(`DROP TABLE part_labels`);
  }
  return { name, meters, readings: count, labels: labelCount };
}
