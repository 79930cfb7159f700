import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ForgeError } from '../util/forge-error.js';

/** Where stage files land: a local directory or an S3-compatible bucket and prefix. */
export type StageLocation =
  | { readonly kind: 'file'; readonly dir: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_PART = /^[A-Za-z0-9_.=-]+$/;

/**
 * Parses `--stage`: `file:///abs/path`, a plain path, or `s3://bucket/prefix`. Prefix parts are plain names (no `..`,
 * no empty parts): keys are built under the prefix and never escape it.
 */
export function parseStageLocation(text: string): StageLocation {
  const value = text.trim();
  if (value.startsWith('s3://')) {
    const [bucket = '', ...parts] = value.slice('s3://'.length).split('/');
    if (!BUCKET.test(bucket) || bucket.includes('..')) throw invalid(text, `bucket "${bucket}" is not a valid S3 bucket name`);
    const path = parts.filter((p, i) => p !== '' || i < parts.length - 1);
    for (const part of path) {
      if (!PREFIX_PART.test(part) || part === '..' || part === '.') throw invalid(text, `prefix part "${part}" must be letters, digits, '_', '.', '=' or '-'`);
    }
    return { kind: 's3', bucket, prefix: path.join('/') };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('file://')) throw invalid(text, 'expected file:///path, a path or s3://bucket/prefix');
  const path = value.startsWith('file://') ? fileURLToPath(value) : value;
  if (path === '') throw invalid(text, 'empty path');
  return { kind: 'file', dir: resolve(path) };
}

export function describeStage(location: StageLocation): string {
  return location.kind === 'file' ? `file://${location.dir}` : `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
}

const invalid = (text: string, why: string): ForgeError => new ForgeError('FORGE_ERR_INVALID_CONFIG', [`stage "${text}": ${why}`]);
