import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ForgeError, isForgeError, type ErrorCode } from '../../src/util/forge-error.js';
import { formatIssues } from '../../src/util/format-zod-error.js';

const doc = readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8');
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

/** The "## FORGE_ERR_X" sections of docs/ERRORS.md, with their bodies. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = doc.split(/^## /m).slice(1);
  for (const part of parts) {
    const [heading, ...body] = part.split('\n');
    out.set(heading!.trim(), body.join('\n'));
  }
  return out;
}

describe('docs/ERRORS.md', () => {
  it('documents every code in ERROR_CODES, and only those', () => {
    const documented = [...sections().keys()];
    expect([...documented].sort()).toEqual([...codes].sort());
    // Codes mentioned anywhere in the file (the summary table, cross references) must exist too.
    const mentioned = new Set(doc.match(/FORGE_ERR_[A-Z_]+/g) ?? []);
    for (const code of mentioned) expect(codes, `${code} is in docs/ERRORS.md but not in ERROR_CODES`).toContain(code);
  });

  it('gives each code the HTTP status and exit code of the registry, in its section and in the table', () => {
    const bySection = sections();
    for (const code of codes) {
      const body = bySection.get(code)!;
      const def = ERROR_CODES[code];
      expect(body, code).toMatch(new RegExp(`\\*\\*HTTP status:\\*\\* ${def.status}\\b`));
      expect(body, code).toMatch(new RegExp(`\\*\\*Exit code:\\*\\* ${def.exitCode}\\b`));
      expect(body, code).toMatch(/\*\*When:\*\* \S/);
      expect(body, code).toMatch(/\*\*What to do:\*\* \S/);
      expect(doc, code).toMatch(new RegExp(`^\\| \`${code}\` \\| ${def.status} \\| ${def.exitCode} \\|$`, 'm'));
    }
  });

  it('shows each message template with its placeholders filled in by name', () => {
    const bySection = sections();
    for (const code of codes) {
      const fixed = ERROR_CODES[code].message.split('%s')[0]!.trim();
      expect(bySection.get(code)!, code).toContain(fixed);
    }
  });
});

describe('ForgeError', () => {
  it('fills the template in order and carries code, status and exit code', () => {
    const e = new ForgeError('FORGE_ERR_UNKNOWN_SINK', ['sink', 'kafka', 'duckdb, files, stdout']);
    expect(e.message).toBe('sink: unknown sink "kafka" (known: duckdb, files, stdout)');
    expect(e.code).toBe('FORGE_ERR_UNKNOWN_SINK');
    expect(e.status).toBe(400);
    expect(e.exitCode).toBe(2);
    expect(e.name).toBe('ForgeError');
    expect(isForgeError(e)).toBe(true);
    expect(isForgeError(new Error('x'))).toBe(false);
  });

  it('keeps a cause and leaves missing arguments empty', () => {
    const cause = new Error('disk full');
    const e = new ForgeError('FORGE_ERR_SINK_WRITE', ['duckdb'], { cause });
    expect(e.message).toBe('Sink duckdb failed: ');
    expect(e.cause).toBe(cause);
  });

  it('does not expand replacement patterns in arguments', () => {
    expect(new ForgeError('FORGE_ERR_INVALID_IDENTIFIER', ['a$&b', '$1']).message).toBe('Invalid identifier "a$&b": $1');
  });

  it('bad input exits 2 and a 4xx status, failures exit 1 (130, an interrupted job, is no error code)', () => {
    for (const code of codes) {
      const { status, exitCode } = ERROR_CODES[code];
      expect([1, 2], code).toContain(exitCode);
      if (exitCode === 2) expect(status, code).toBe(400);
    }
    expect(ERROR_CODES.FORGE_ERR_INVALID_CONFIG).toMatchObject({ status: 400, exitCode: 2 });
  });
});

describe('formatIssues', () => {
  it('gives one clause per issue, named by path, and lists unknown keys', () => {
    expect(
      formatIssues([
        { path: ['meters'], message: 'Too small' },
        { path: ['mix', 'RESIDENTIAL'], message: 'Too big' },
        { path: [], message: 'expected object' },
        { path: [], message: 'x', code: 'unrecognized_keys', keys: ['a', 'b'] },
        { path: ['sink'], message: 'x', code: 'unrecognized_keys', keys: ['c'] },
      ]),
    ).toBe('meters: Too small; mix.RESIDENTIAL: Too big; (input): expected object; unknown keys "a", "b"; sink: unknown key "c"');
    expect(formatIssues([{ path: ['x'], message: 'bad' }], 'output')).toBe('output.x: bad');
  });
});
