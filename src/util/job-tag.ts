import { createHash, randomBytes } from 'node:crypto';

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

/**
 * A job's id as it appears in the names of the files it writes (file-sink parts, stage keys): the id itself when it is
 * a plain name (letters, digits, '-'; at most 40, as generated ids `job-20261205234842-ab12cd34` are), otherwise 'h'
 * and 16 hex digits of its SHA-256. One id always gives one tag, and distinct ids distinct tags, so a directory's
 * file names say which job wrote each file (what resume and per-job checkpoints read back). Never contains '_' or '.'.
 */
export function jobTag(jobId: string): string {
  return PLAIN.test(jobId) ? jobId : `h${createHash('sha256').update(jobId).digest('hex').slice(0, 16)}`;
}

/** Six lowercase letters or digits from the OS's random source: names two runs of one job apart. */
export function runTag(): string {
  return Array.from(randomBytes(6), (b) => '0123456789abcdefghijklmnopqrstuvwxyz'[b % 36]).join('');
}
