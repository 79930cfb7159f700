import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { confineOutputPaths } from '../../src/server/output-policy.js';
import { ForgeError } from '../../src/util/forge-error.js';

const base = mkdtempSync(join(tmpdir(), 'forge-policy-'));
const dataDir = join(base, 'data');
mkdirSync(join(dataDir, 'inside'), { recursive: true });
mkdirSync(join(base, 'elsewhere'));
// A link inside the data directory that leads out of it.
symlinkSync(join(base, 'elsewhere'), join(dataDir, 'escape'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const confine = (output: Record<string, unknown>) => confineOutputPaths(parseOutputOptions(output), dataDir);

function refusal(output: Record<string, unknown>): ForgeError {
  try {
    confine(output);
  } catch (e) {
    return e as ForgeError;
  }
  throw new Error(`accepted ${JSON.stringify(output)}`);
}

describe('confineOutputPaths (API bodies write inside the server data directory only)', () => {
  it.each([
    ['a relative out', { out: 'live.duckdb' }, join(dataDir, 'live.duckdb')],
    ['a relative out in a sub-directory', { out: 'inside/live.duckdb' }, join(dataDir, 'inside', 'live.duckdb')],
    ['an absolute out inside', { out: join(dataDir, 'x.duckdb') }, join(dataDir, 'x.duckdb')],
    ['a file sink directory', { sink: ['parquet'], out: 'parquet-out' }, join(dataDir, 'parquet-out')],
  ])('accepts %s and returns it as an absolute path inside', (_what, output, expected) => {
    expect(confine(output).out).toBe(expected);
  });

  it('accepts a local stage inside (path or file://) and an s3 prefix, leaving other settings alone', () => {
    expect(confine({ sink: ['stage'], stage: 'landing' }).stage).toBe(join(dataDir, 'landing'));
    expect(confine({ sink: ['stage'], stage: `file://${join(dataDir, 'landing')}` }).stage).toBe(join(dataDir, 'landing'));
    expect(confine({ sink: ['stage'], stage: 's3://bucket-a/raw/ami' }).stage).toBe('s3://bucket-a/raw/ami');
    expect(confine({ sink: ['postgres'], pgTable: 'x' })).toMatchObject({ pgTable: 'x', sink: ['postgres'] });
  });

  it.each([
    ['out with ..', { out: '../x.duckdb' }, /output\.out: "\.\.\/x\.duckdb" has a "\.\." segment/],
    ['out with .. in the middle', { out: 'inside/../../x.duckdb' }, /output\.out: .* has a "\.\." segment/],
    ['out with a backslash ..', { out: 'inside\\..\\..\\x.duckdb' }, /output\.out: .* has a "\.\." segment/],
    ['an absolute out elsewhere', { out: '/etc/forge.duckdb' }, /output\.out: "\/etc\/forge\.duckdb" is outside the server's data directory/],
    ['an absolute out beside the data directory', { out: `${dataDir}-other/x.duckdb` }, /output\.out: .* is outside/],
    ['out through a symbolic link', { out: 'escape/x.duckdb' }, /output\.out: .* through a symbolic link/],
    ['out with a NUL', { out: 'a\0b.duckdb' }, /output\.out: contains a NUL/],
    ['a stage with ..', { sink: ['stage'], stage: '../landing' }, /output\.stage: .* has a "\.\." segment/],
    ['a file:// stage with ..', { sink: ['stage'], stage: `file://${dataDir}/../landing` }, /output\.stage: .* has a "\.\." segment/],
    ['a file:// stage with encoded ..', { sink: ['stage'], stage: `file://${dataDir}/%2e%2e/landing` }, /output\.stage: .* has a "\.\." segment/],
    ['a file:// stage elsewhere', { sink: ['stage'], stage: 'file:///tmp/landing' }, /output\.stage: .* is outside/],
    ['an absolute stage elsewhere', { sink: ['stage'], stage: '/var/landing' }, /output\.stage: .* is outside/],
    ['a private key file named by the caller', { sink: ['snowflake'], snowflakePrivateKey: '/etc/shadow' }, /output\.snowflakePrivateKey: names a file on the server/],
  ])('refuses %s with FORGE_ERR_INVALID_CONFIG naming the field', (_what, output, message) => {
    const error = refusal(output);
    expect(error).toBeInstanceOf(ForgeError);
    expect(error.code).toBe('FORGE_ERR_INVALID_CONFIG');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('refuses an s3 prefix with a .. segment even when the option schema is bypassed', () => {
    // parseOutputOptions already refuses it; the policy checks again for callers that build options themselves.
    const options = { ...parseOutputOptions({ sink: ['stage'], stage: 's3://bucket-a/raw' }), stage: 's3://bucket-a/raw/../other' };
    expect(() => confineOutputPaths(options, dataDir)).toThrow(/output\.stage: .* "\." or "\.\." segment/);
  });

  it('reports every refused field at once', () => {
    const options = { ...parseOutputOptions({ sink: ['stage'], stage: '/x' }), out: '/y' };
    expect(() => confineOutputPaths(options, dataDir)).toThrow(/output\.out: .*; output\.stage: /);
  });

  it('defaults the data directory to ./forge-data', () => {
    expect(() => confineOutputPaths(parseOutputOptions({ out: '/etc/x.duckdb' }))).toThrow(/forge-data/);
  });
});
