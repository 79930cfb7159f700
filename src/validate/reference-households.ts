import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HouseholdPanel } from './household-statistics.js';

/**
 * The measured reference: half-hourly use of 622 households in central Scotland, March to May 2009 (EDRP, see
 * ../shared/reference-data/README.md). The file is read where it lies, at run time; it is never copied into the
 * project, nor is any table derived from it.
 */
export const REFERENCE_FILE = 'edrp_scotland_622hh_30min_2009MarMay.csv';

/** Environment variable naming the reference CSV, or the directory holding it. */
export const REFERENCE_ENV = 'FORGE_REFERENCE_DATA';

export interface ReferenceHouseholds extends HouseholdPanel {
  readonly path: string;
  /** Column names of the households (X1 ... X622). */
  readonly names: readonly string[];
  /** Minutes between consecutive timestamps (30 for the EDRP file). */
  readonly intervalMinutes: number;
}

/**
 * The repository root: the nearest directory above this module holding a package.json (the same from src/ under tsx
 * and from dist/ once built).
 */
export function repositoryRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * Where the reference CSV is: $FORGE_REFERENCE_DATA (the file, or a directory holding it) if set, else
 * <repository>/../shared/reference-data/<REFERENCE_FILE>.
 */
export function referenceDataPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[REFERENCE_ENV];
  if (override) {
    const path = resolve(override);
    return existsSync(path) && statSync(path).isDirectory() ? join(path, REFERENCE_FILE) : path;
  }
  return resolve(repositoryRoot(), '..', 'shared', 'reference-data', REFERENCE_FILE);
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** Powers of ten exact in a double: a decimal with at most 15 digits divided by one of them is correctly rounded. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Parses one numeric cell of bytes [start, end). Plain decimals (digits, one dot, at most 15 digits) take an exact
 * fast path, integer mantissa over a power of ten, which rounds the same as Number(); anything else goes through
 * Number() on the text. Returns NaN for an empty or non-numeric cell.
 */
function parseCell(bytes: Buffer, start: number, end: number): number {
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === DOT && scale < 0) {
      scale = 0;
    } else {
      digits = -1;
      break;
    }
  }
  if (digits > 0 && digits <= 15) return scale > 0 ? mantissa / POWERS_OF_TEN[scale]! : mantissa;
  const text = bytes.toString('latin1', start, end).trim();
  return text === '' ? Number.NaN : Number(text);
}

/** "YYYY-MM-DD HH:MM[:SS]" (or with a T) as wall-clock milliseconds; NaN if it is not one. */
function parseTimestamp(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim().replace(/^"|"$/g, ''));
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

/**
 * Loads a wide household CSV: a header `timestamp,<name>,<name>...`, then one line per interval with the timestamp
 * and one kWh value per household. The timestamps are taken as local wall-clock time as written (for EDRP, probably
 * UTC, i.e. the Scottish clock in winter; see the README). Parses the bytes directly into one Float64Array per
 * household. Throws, naming the line, on a missing or non-numeric value, a ragged line, an unreadable timestamp or
 * uneven spacing of the timestamps.
 */
export function loadReferenceHouseholds(path: string = referenceDataPath()): ReferenceHouseholds {
  if (!existsSync(path)) {
    throw new Error(
      `reference data not found at ${path}: put ${REFERENCE_FILE} in ../shared/reference-data/ beside the repository, or set ${REFERENCE_ENV} to its path`,
    );
  }
  const bytes = readFileSync(path);

  // Line boundaries first (ends exclude CR LF), so the series can be allocated at their final length.
  const lineStarts: number[] = [];
  const lineEnds: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const lf = bytes.indexOf(LF, i);
    let end = lf < 0 ? bytes.length : lf;
    if (end > i && bytes[end - 1] === CR) end--;
    lineStarts.push(i);
    lineEnds.push(end);
    i = lf < 0 ? bytes.length : lf + 1;
  }
  const lineEnd = (k: number): number => lineEnds[k]!;
  // Blank trailing lines are not intervals.
  let lines = lineStarts.length;
  while (lines > 0 && lineEnd(lines - 1) === lineStarts[lines - 1]) lines--;
  if (lines < 2) throw new Error(`${path}: expected a header line and at least one line of readings`);

  const header = bytes.toString('utf8', lineStarts[0], lineEnd(0)).replace(/^\uFEFF/, '').split(',');
  const names = header.slice(1).map((n) => n.trim().replace(/^"|"$/g, ''));
  if (names.length === 0) throw new Error(`${path}: the header names no household column`);
  const H = names.length;
  const T = lines - 1;
  const wallClockMs = new Float64Array(T);
  const households = names.map(() => new Float64Array(T));

  for (let t = 0; t < T; t++) {
    const lineNumber = t + 2;
    const start = lineStarts[t + 1]!;
    const end = lineEnd(t + 1);
    let comma = bytes.indexOf(COMMA, start);
    if (comma < 0 || comma > end) throw new Error(`${path}:${lineNumber}: expected ${H + 1} values, found 1`);
    wallClockMs[t] = parseTimestamp(bytes.toString('latin1', start, comma));
    if (Number.isNaN(wallClockMs[t])) {
      throw new Error(`${path}:${lineNumber}: unreadable timestamp "${bytes.toString('latin1', start, comma)}" (expected YYYY-MM-DD HH:MM:SS)`);
    }
    let cellStart = comma + 1;
    for (let h = 0; h < H; h++) {
      comma = bytes.indexOf(COMMA, cellStart);
      const cellEnd = comma < 0 || comma > end ? end : comma;
      if (cellStart > end || (h < H - 1 && cellEnd === end)) {
        throw new Error(`${path}:${lineNumber}: expected ${H + 1} values, found ${h + 2}`);
      }
      const value = parseCell(bytes, cellStart, cellEnd);
      if (!Number.isFinite(value)) {
        throw new Error(`${path}:${lineNumber}: household ${names[h]} has no numeric value ("${bytes.toString('latin1', cellStart, cellEnd)}")`);
      }
      households[h]![t] = value;
      cellStart = cellEnd + 1;
    }
    if (cellStart <= end) throw new Error(`${path}:${lineNumber}: more values than the ${H + 1} columns of the header`);
  }

  const stepMs = T > 1 ? wallClockMs[1]! - wallClockMs[0]! : 30 * 60_000;
  for (let t = 1; t < T; t++) {
    if (wallClockMs[t]! - wallClockMs[t - 1]! !== stepMs || stepMs <= 0) {
      throw new Error(`${path}:${t + 2}: timestamps are not evenly spaced (expected one every ${stepMs / 60_000} minutes)`);
    }
  }
  return { path, names, wallClockMs, households, intervalMinutes: stepMs / 60_000 };
}
