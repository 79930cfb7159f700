import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The one resolver for paths that must stay inside a root (the server's data directory): every path an API caller
 * names and every default the server produces goes through `confinedPath` before anything is created.
 *
 * Refused, whatever the file system holds: a NUL; a `..` segment (with `/` or `\`, also percent-encoded), so a
 * caller never climbs at all; a component over 255 bytes or a path over 4000; an absolute path not under the root.
 * Then the path is resolved as the kernel would open it, one component at a time with lstat: every symbolic link is
 * followed (a dangling one too: its target is where the open would create the file), chains of links, a linked
 * parent directory, a `..` that a link's target brings; what does not exist yet is taken as written. The result must lie inside the root (itself resolved).
 *
 * Returns the resolved real path, so a sink opens the place that was checked, not a name a link could be swapped
 * into later. What remains (SECURITY.md): someone with write access to the data directory can still replace a
 * component by a link between this check and the sink's open; the job worker checks again just before it opens.
 */
export type Confinement = { readonly path: string; readonly problem?: undefined } | { readonly path?: undefined; readonly problem: string };

/** Links followed before a path counts as a loop (Linux's own limit is 40). */
const MAX_LINKS = 40;

export function confinedPath(text: string, root: string): Confinement {
  if (text.includes('\0')) return { problem: 'contains a NUL character' };
  if (text.trim() === '') return { problem: 'is empty' };
  if (hasDotDot(text)) return { problem: `"${text}" has a ".." segment; name a path inside the server's data directory` };
  // The kernel's limits (NAME_MAX, PATH_MAX), checked here so a name too long is a clear refusal, not a failed job.
  if (text.split(/[/\\]/).some((part) => Buffer.byteLength(part) > 255)) return { problem: 'has a path component longer than 255 bytes' };
  if (Buffer.byteLength(text) > 4_000) return { problem: 'is longer than 4000 bytes' };
  const absoluteRoot = resolve(root);
  let realRoot: string;
  try {
    realRoot = physicalPath(absoluteRoot);
  } catch (e) {
    return { problem: `the server's data directory ${absoluteRoot} cannot be resolved (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const path = isAbsolute(text) ? resolve(text) : resolve(absoluteRoot, text);
  // Under the root as named or as resolved: a record keeps resolved paths, checked again when the job's worker starts.
  if (!isInside(path, absoluteRoot) && !isInside(path, realRoot)) return { problem: `"${text}" is outside the server's data directory ${absoluteRoot}` };
  let real: string;
  try {
    real = physicalPath(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { problem: `"${text}" cannot be resolved (${code === 'ELOOP' ? 'a loop of symbolic links' : code})` };
  }
  if (!isInside(real, realRoot)) return { problem: `"${text}" leads outside the server's data directory ${absoluteRoot} through a symbolic link` };
  return { path: real };
}

/**
 * Where opening `path` would land: each existing component lstat'ed and, when it is a link, replaced by its target
 * (relative targets against the link's directory), the rest appended as written. Throws ELOOP after MAX_LINKS links,
 * and any lstat error other than "does not exist" (EACCES: refused rather than guessed).
 */
export function physicalPath(path: string): string {
  const pending = resolve(path).split(sep).filter(Boolean);
  let current: string = sep;
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = resolve(current, '..');
      continue;
    }
    const next = join(current, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      // Nothing more exists: the rest would be created as written (a `..` in it would fail to open, so drop it lexically).
      return resolve(next, ...pending);
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > MAX_LINKS) throw Object.assign(new Error(`too many symbolic links at ${next}`), { code: 'ELOOP' });
    const target = readlinkSync(next);
    pending.unshift(...target.split(sep).filter(Boolean));
    if (isAbsolute(target)) current = sep;
  }
  // The root itself may be reached through links above it (macOS /var -> /private/var): the same answer as realpath.
  try {
    return realpathSync(current);
  } catch {
    return current;
  }
}

/** Whether `path` is `root` or below it (both absolute). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** A `..` segment, with either separator or percent-encoded dots. */
export const hasDotDot = (text: string): boolean => text.split(/[/\\]/).some((s) => /^(\.|%2e){2}$/i.test(s));

/** A `.` or `..` segment, also percent-encoded (S3 prefixes: plain names only). */
export const isDotSegment = (segment: string): boolean => /^(%2e|\.){1,2}$/i.test(segment);
