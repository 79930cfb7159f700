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
 * The batch sequences of its job a stage file holds rows of, both included. `partial`: the file ends inside batch
 * `last` (a batch larger than a file's limits is split; the rest of it is in the writer's next file).
 */
export interface BatchRange {
  readonly first: number;
  readonly last: number;
  readonly partial?: boolean;
}

/**
 * The key of a stage file: `raw/ami/date=2026-11-29/hour=14/ami_stream_<sortable id>.<ext>`, partitioned by the UTC
 * date and hour of the first emission it holds. The id (13-digit epoch ms, the writer's id, the writer's file sequence
 * of at least 6 digits, then the range of the job's batch sequences the file holds, `p` when it ends inside the last)
 * sorts by time, so a listing in
 * key order is in landing order; names never collide between writers (stageWriter), and a job's files say how far it
 * got (its checkpoint) without a manifest. Keys without the batch range (written before it existed) still parse.
 */
export function stageKey(firstEmittedMs: number, writer: string, sequence: number, extension: string, batches?: BatchRange): string {
  const iso = new Date(firstEmittedMs).toISOString();
  const range = batches ? `_${batches.first}-${batches.last}${batches.partial ? 'p' : ''}` : '';
  const id = `${String(Math.floor(firstEmittedMs)).padStart(13, '0')}_${writer}_${String(sequence).padStart(6, '0')}${range}`;
  return `${RAW_PREFIX}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/ami_stream_${id}.${extension}`;
}

/**
 * A writer's id: the job's tag (util/job-tag.ts), its shard, and a random run tag, so two runs of one job (a resume,
 * or the same job started twice by mistake) never name a file alike either. `owner` is what every run of the job
 * (and shard) shares: see isWriterOf.
 */
export const stageWriterOwner = (jobTag: string, shardLabel: string | null): string => (shardLabel ? `${jobTag}-${shardLabel}` : jobTag);
export const stageWriter = (owner: string, run: string): string => `${owner}-${run}`;
/** True when `writer` is a run of `owner` (exactly: another shard of the job, or another job, is not). */
export const isWriterOf = (writer: string, owner: string): boolean => writer.startsWith(`${owner}-`) && /^[0-9a-z]{6}$/.test(writer.slice(owner.length + 1));

const KEY = /^raw\/ami\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/ami_stream_(\d{13})_([A-Za-z0-9-]+)_(\d{6,})(?:_(\d+)-(\d+)(p?))?\.(json|json\.gz|csv|csv\.gz|parquet)$/;

/** The parts of a stage key, or null for a file that is not one of ours (the loader reports and skips it). */
export function parseStageKey(
  key: string,
): { date: string; hour: number; firstEmittedMs: number; writer: string; sequence: number; batches: BatchRange | null; extension: string } | null {
  const m = KEY.exec(key);
  if (!m) return null;
  const batches = m[6] === undefined ? null : { first: Number(m[6]), last: Number(m[7]), partial: m[8] === 'p' };
  return { date: m[1]!, hour: Number(m[2]), firstEmittedMs: Number(m[3]), writer: m[4]!, sequence: Number(m[5]), batches, extension: m[9]! };
}
