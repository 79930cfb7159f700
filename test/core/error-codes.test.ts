import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/util/forge-error.js';

/**
 * The registry lists only errors a user can meet: every code is raised by a `new ForgeError('CODE'` somewhere in
 * src/ (the registry's own file aside), and every code src/ names (code, strings, comments) is registered. Read from
 * the source, as docs/ERRORS.md is by errors.test.ts, because a code nobody raises cannot be reached by any test.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const REGISTRY = join(SRC, 'util', 'forge-error.ts');
const registered = Object.keys(ERROR_CODES);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface Scan {
  /** Code -> the files that raise it. */
  readonly raised: Map<string, string[]>;
  /** Every FORGE_ERR_ name written anywhere, with the file. */
  readonly named: { code: string; file: string }[];
  /** `new ForgeError(` whose first argument is not a quoted code: the scan could not tell what it raises. */
  readonly unreadable: string[];
}

/** What the given source texts raise and name; a pure function of the texts so it can be tested on its own. */
function scan(files: readonly { file: string; text: string }[]): Scan {
  const raised = new Map<string, string[]>();
  const named: { code: string; file: string }[] = [];
  const unreadable: string[] = [];
  for (const { file, text } of files) {
    for (const m of text.matchAll(/FORGE_ERR_[A-Z0-9_]+/g)) named.push({ code: m[0], file });
    for (const m of text.matchAll(/new\s+ForgeError\(\s*(?:'(FORGE_ERR_[A-Z0-9_]+)'|"(FORGE_ERR_[A-Z0-9_]+)"|([^,)\s]*))/g)) {
      const code = m[1] ?? m[2];
      if (code === undefined) {
        unreadable.push(`${file}: new ForgeError(${m[3] ?? ''}`);
        continue;
      }
      raised.set(code, [...(raised.get(code) ?? []), file]);
    }
  }
  return { raised, named, unreadable };
}

const tree = scan(
  sourceFiles(SRC)
    .filter((path) => path !== REGISTRY)
    .map((path) => ({ file: relative(SRC, path), text: readFileSync(path, 'utf8') })),
);

describe('error codes in src/', () => {
  it('raises every registered code somewhere outside the registry', () => {
    const unraised = registered.filter((code) => !tree.raised.has(code));
    expect(unraised, 'registered but never raised with new ForgeError: raise them where they happen, or remove them').toEqual([]);
  });

  it('raises and names only registered codes', () => {
    const unknown = tree.named.filter(({ code }) => !registered.includes(code)).map(({ code, file }) => `${file}: ${code}`);
    expect(unknown).toEqual([]);
  });

  it('gives every ForgeError a literal code, so this scan sees all of them', () => {
    expect(tree.unreadable).toEqual([]);
    // The scan found the constructor at all: a rename of the class would otherwise pass the checks above vacuously.
    expect(tree.raised.size).toBeGreaterThan(10);
  });
});

describe('the scan', () => {
  it('reads codes across lines and in either quote, and flags a code it cannot read', () => {
    const result = scan([
      { file: 'a.ts', text: "throw new ForgeError('FORGE_ERR_SINK_WRITE', [name]);" },
      { file: 'b.ts', text: 'throw new ForgeError(\n  "FORGE_ERR_SINK_CONNECT",\n  [a, b, c],\n);' },
      { file: 'c.ts', text: 'const e = new ForgeError(code, []); // FORGE_ERR_NO_SUCH_CODE' },
    ]);
    expect([...result.raised.keys()].sort()).toEqual(['FORGE_ERR_SINK_CONNECT', 'FORGE_ERR_SINK_WRITE']);
    expect(result.raised.get('FORGE_ERR_SINK_WRITE')).toEqual(['a.ts']);
    expect(result.unreadable).toEqual(['c.ts: new ForgeError(code']);
    expect(result.named.map((n) => n.code)).toContain('FORGE_ERR_NO_SUCH_CODE');
  });

  it('does not count a code only mentioned, compared or sent as a body as raised', () => {
    const result = scan([
      { file: 'a.ts', text: "if (e.code === 'FORGE_ERR_SINK_CONNECT') retry(); reply.send({ code: 'FORGE_ERR_INTERNAL' });" },
    ]);
    expect(result.raised.size).toBe(0);
    expect(result.named.map((n) => n.code)).toEqual(['FORGE_ERR_SINK_CONNECT', 'FORGE_ERR_INTERNAL']);
  });
});
