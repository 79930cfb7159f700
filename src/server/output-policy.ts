import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputOptions } from '../jobs/output-options.js';
import { ForgeError } from '../util/forge-error.js';

/** The server's data directory unless told otherwise: every path an API body names must lie inside it. */
export const DEFAULT_DATA_DIR = './forge-data';

/**
 * Path confinement for output settings that arrive in API bodies (`POST /api/jobs`): the CLI writes wherever its user
 * may, but the server must not write wherever a caller says.
 *
 * - `out` and a local `stage` (`file:///dir` or a plain path): no `..` segment (also not percent-encoded), no NUL; a
 *   relative path is taken under `dataDir`, an absolute one must already lie inside it, and the nearest existing
 *   ancestor, symbolic links resolved, must too (a link inside the data directory cannot lead out of it).
 * - an `s3://bucket/prefix` stage: no `..` or `.` segment in the prefix (the bucket's own access policy is the
 *   operator's; keys are built under the prefix).
 * - `snowflakePrivateKey` names a file the server would read: refused from a body; the server's key comes from its own
 *   environment ($SNOWFLAKE_PRIVATE_KEY_PATH).
 *
 * Returns the options with `out` and a local `stage` as absolute paths inside the data directory; throws
 * FORGE_ERR_INVALID_CONFIG naming the field (`output.out`, `output.stage`, `output.snowflakePrivateKey`) otherwise.
 */
export function confineOutputPaths(output: OutputOptions, dataDir: string = DEFAULT_DATA_DIR): OutputOptions {
  const root = resolve(dataDir);
  const problems: string[] = [];
  let out = output.out;
  let stage = output.stage;
  if (out !== undefined) {
    const confined = confinePath(out, root);
    if (confined.problem) problems.push(`output.out: ${confined.problem}`);
    else out = confined.path;
  }
  if (stage !== undefined) {
    const text = stage.trim();
    if (text.startsWith('s3://')) {
      const segments = text.slice('s3://'.length).split('/');
      if (segments.some((s) => isDotSegment(s))) problems.push(`output.stage: "${stage}" has a "." or ".." segment; an S3 prefix is plain names`);
    } else {
      let path: string | undefined;
      if (text.startsWith('file://')) {
        if (hasDotDot(text)) {
          problems.push(`output.stage: "${stage}" has a ".." segment`);
        } else {
          try {
            path = fileURLToPath(text);
          } catch (e) {
            problems.push(`output.stage: "${stage}" is not a file URL (${(e as Error).message})`);
          }
        }
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
        problems.push(`output.stage: "${stage}" must be file:///dir, a path or s3://bucket/prefix`);
      } else {
        path = text;
      }
      if (path !== undefined) {
        const confined = confinePath(path, root);
        if (confined.problem) problems.push(`output.stage: ${confined.problem}`);
        else stage = confined.path;
      }
    }
  }
  if (output.snowflakePrivateKey !== undefined) {
    problems.push('output.snowflakePrivateKey: names a file on the server; the server reads its key from $SNOWFLAKE_PRIVATE_KEY_PATH, not from a request');
  }
  if (problems.length > 0) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [problems.join('; ')]);
  return { ...output, ...(out !== undefined ? { out } : {}), ...(stage !== undefined ? { stage } : {}) };
}

/**
 * A path an API call reads (a DuckDB file to validate, a pipeline database): inside the data directory like the
 * paths jobs write, relative ones taken under it. Throws FORGE_ERR_INVALID_CONFIG naming `field` otherwise.
 */
export function confinedReadPath(text: string, field: string, dataDir: string = DEFAULT_DATA_DIR): string {
  const confined = confinePath(text, resolve(dataDir));
  if (confined.problem) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`${field}: ${confined.problem}`]);
  return confined.path!;
}

/** A path under `root`, or why it is refused. */
function confinePath(text: string, root: string): { path?: string; problem?: string } {
  if (text.includes('\0')) return { problem: 'contains a NUL character' };
  if (hasDotDot(text)) return { problem: `"${text}" has a ".." segment; name a path inside the server's data directory` };
  const path = isAbsolute(text) ? resolve(text) : resolve(root, text);
  if (!inside(path, root)) return { problem: `"${text}" is outside the server's data directory ${root}` };
  // Symbolic links: resolved as far as the path exists, it must still be inside the data directory (resolved too).
  if (!inside(realPathOf(path), realPathOf(root))) return { problem: `"${text}" leads outside the server's data directory ${root} through a symbolic link` };
  return { path };
}

/** The path with its nearest existing ancestor's symbolic links resolved (the rest does not exist yet). */
function realPathOf(path: string): string {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return join(realpathSync(existing), relative(existing, path));
}

const inside = (path: string, root: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

const isDotSegment = (segment: string): boolean => segment === '..' || segment === '.' || /^(%2e|\.){1,2}$/i.test(segment);

/** A `..` segment, with either separator or percent-encoded dots. */
const hasDotDot = (text: string): boolean => text.split(/[/\\]/).some((s) => /^(\.|%2e){2}$/i.test(s));
