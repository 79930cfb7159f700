/** Where raw head-end messages land under a stage's root. */
export const RAW_PREFIX = 'raw/ami';

export const STAGE_FORMATS = ['ndjson', 'csv', 'parquet'] as const;
export type StageFormat = (typeof STAGE_FORMATS)[number];

/** The file extension of a stage file: .json.gz (NDJSON, gzip), .json, .csv(.gz) or .parquet. */
export function stageExtension(format: StageFormat, gzip: boolean): string {
  const base = format === 'ndjson' ? 'json' : format;
  return format !== 'parquet' && gzip ? `${base}.gz` : base;
}

/**
 * The key of a stage file: `raw/ami/date=2026-11-29/hour=14/ami_stream_<sortable id>.<ext>`, partitioned by the UTC
 * date and hour of the first emission it holds. The id (13-digit epoch ms, the writer's id, a 6-digit sequence) sorts
 * by time, so a listing in key order is in landing order, and names never collide between writers.
 */
export function stageKey(firstEmittedMs: number, writer: string, sequence: number, extension: string): string {
  const iso = new Date(firstEmittedMs).toISOString();
  const id = `${String(Math.floor(firstEmittedMs)).padStart(13, '0')}_${writer}_${String(sequence).padStart(6, '0')}`;
  return `${RAW_PREFIX}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/ami_stream_${id}.${extension}`;
}

const KEY = /^raw\/ami\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/ami_stream_(\d{13})_([A-Za-z0-9-]+)_(\d{6})\.(json|json\.gz|csv|csv\.gz|parquet)$/;

/** The parts of a stage key, or null for a file that is not one of ours (the loader reports and skips it). */
export function parseStageKey(key: string): { date: string; hour: number; firstEmittedMs: number; writer: string; sequence: number; extension: string } | null {
  const m = KEY.exec(key);
  if (!m) return null;
  return { date: m[1]!, hour: Number(m[2]), firstEmittedMs: Number(m[3]), writer: m[4]!, sequence: Number(m[5]), extension: m[6]! };
}
