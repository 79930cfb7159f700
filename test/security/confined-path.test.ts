import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { confineOutputPaths, confineRecordedOutput, withDataDirDefaults } from '../../src/server/output-policy.js';
import { confinedPath, physicalPath } from '../../src/util/confined-path.js';

/**
 * The resolver itself (src/util/confined-path.ts): a data directory reached through a link, what a record keeps and
 * the re-check the job worker makes before its sinks open (a link swapped in after the request was accepted).
 */

const base = realpathSync(mkdtempSync(join(tmpdir(), 'forge-confined-')));
const real = join(base, 'real-data');
const linked = join(base, 'data-link');
const outside = join(base, 'outside');
mkdirSync(real);
mkdirSync(outside);
symlinkSync(real, linked);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('confinedPath', () => {
  it('takes a data directory reached through a link, and answers with the resolved path', () => {
    expect(confinedPath('a.duckdb', linked)).toEqual({ path: join(real, 'a.duckdb') });
    // What a record keeps (the resolved path) passes again, as the worker checks it.
    expect(confinedPath(join(real, 'a.duckdb'), linked)).toEqual({ path: join(real, 'a.duckdb') });
    expect(confinedPath(join(linked, 'a.duckdb'), linked)).toEqual({ path: join(real, 'a.duckdb') });
    expect(confinedPath(join(outside, 'a.duckdb'), linked).problem).toMatch(/is outside/);
  });

  it('follows a dangling link to where an open would create the file', () => {
    symlinkSync(join(outside, 'nothing-yet', 'x.duckdb'), join(real, 'dangling'));
    expect(physicalPath(join(real, 'dangling'))).toBe(join(outside, 'nothing-yet', 'x.duckdb'));
    expect(confinedPath('dangling', real).problem).toMatch(/through a symbolic link/);
  });

  it('refuses a component over 255 bytes and an empty path', () => {
    expect(confinedPath(`${'é'.repeat(128)}.duckdb`, real).problem).toMatch(/longer than 255 bytes/);
    expect(confinedPath('  ', real).problem).toMatch(/is empty/);
  });
});

describe('the re-check before the sinks open', () => {
  it('refuses a recorded path once a link to outside has been put in its place', () => {
    const accepted = confineOutputPaths(parseOutputOptions({ sink: ['duckdb', 'parquet'], out: { duckdb: 'late/a.duckdb', parquet: 'pq' } }), real);
    expect(accepted.out).toEqual({ duckdb: join(real, 'late', 'a.duckdb'), parquet: join(real, 'pq') });
    // Between the request and the worker's start, `late` appears as a link leading out.
    symlinkSync(outside, join(real, 'late'));
    expect(() => confineOutputPaths(accepted, real)).toThrow(/output\.out\.duckdb: .* through a symbolic link/);
  });

  it('fills every path sink default inside the data directory, and a resume needs every path named', () => {
    const filled = withDataDirDefaults(parseOutputOptions({ sink: ['duckdb', 'csv', 'postgres'] }), real);
    expect(filled.out).toEqual({ duckdb: join(real, 'forge.duckdb'), csv: join(real, 'csv') });
    expect(withDataDirDefaults(parseOutputOptions({ sink: ['ndjson'] }), real).out).toBe(join(real, 'ndjson'));
    expect(withDataDirDefaults(parseOutputOptions({ sink: ['postgres'] }), real).out).toBeUndefined();
    // A CLI job's record without out: its defaults were relative to its own working directory.
    expect(() => confineRecordedOutput(parseOutputOptions({ sink: ['duckdb', 'csv'] }), real)).toThrow(/output\.out: the record names no path for duckdb, csv/);
    expect(() => confineRecordedOutput(parseOutputOptions({ sink: ['duckdb'], out: '/etc/x.duckdb' }), real)).toThrow(/output\.out: .* is outside/);
    expect(confineRecordedOutput(filled, real).out).toEqual(filled.out);
  });
});
