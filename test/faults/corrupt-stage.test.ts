import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageKey } from '../../src/stage/stage-keys.js';
import { duckNumber, forge, jobRecords } from '../support/faults.js';

/**
 * Corrupt files among a real stream's stage files, end to end through the CLI: `forge stream --sink stage`, then
 * corrupt files dropped into the same stage, `forge ingest`, `forge verify --job --pipeline`, a second ingest and
 * `forge pipeline status`. test/pipeline/stage-loader.test.ts covers the loader's quarantine of a non-gzip file, a
 * truncated gzip, malformed JSON and a line without the keys on handmade files; this adds the kinds it does not
 * (empty files, wrong value types, another JSON shape, a CSV of other columns, a broken Parquet file) and checks, with
 * verify, that silver holds the stream's readings exactly once.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-fault-stage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('corrupt stage files among a stream\'s files', () => {
  it('unreadable files are quarantined with their error and no rows, bad lines of readable ones rejected; the good rows load exactly once and verify clean', async () => {
    const stage = join(dir, 'stage');
    const stateDir = join(dir, 'jobs');
    const out = join(dir, 'pipeline.duckdb');
    const streamed = await forge(
      ['stream', '--meters', '30', '--from', '2026-06-01T00:00:00Z', '--duration', '6h', '--speed', 'max', '--sink', 'stage', '--stage', `file://${stage}`, '--stage-roll-rows', '200', '--state-dir', stateDir],
      dir,
    );
    expect(streamed.code, streamed.stderr).toBe(0);
    const [job] = await jobRecords(stateDir);
    // The readings files (raw/ami), not the job's transformer file beside them.
    const goodFiles = (await readdir(join(stage, 'raw', 'ami'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(goodFiles.length).toBeGreaterThan(1);

    const real = await readFile(goodFiles[0]!);
    const lines = gunzipSync(real).toString('utf8').split('\n').filter(Boolean);
    const wrongType = JSON.parse(lines[1]!) as { reading: { usage_kwh: unknown } };
    wrongType.reading.usage_kwh = 'lots';
    const t = Date.parse('2026-06-01T03:00:00Z');
    const corrupt: [string, string, Buffer | string, RegExp][] = [
      ['a 0-byte gzip file', 'json.gz', Buffer.alloc(0), /not a GZIP stream/i],
      ['a truncated gzip file (half of a real one)', 'json.gz', real.subarray(0, Math.floor(real.length / 2)), /malformed json|unexpected end|gzip/i],
      ['invalid JSON lines', 'json.gz', gzipSync(`${lines[0]}\nnot json at all\n`), /malformed json/i],
      ['a CSV of other columns', 'csv', 'a,b,c\n1,2,3\n', /meter_id/],
      ['a file that is not Parquet', 'parquet', Buffer.from('PAR1 not really a parquet file'), /magic bytes|parquet/i],
    ];
    const keys = new Map<string, [string, RegExp]>();
    for (const [i, [what, extension, body, error]] of corrupt.entries()) {
      const key = stageKey(t, 'bad', i + 1, extension);
      await mkdir(dirname(join(stage, key)), { recursive: true });
      await writeFile(join(stage, key), body);
      keys.set(key, [what, error]);
    }
    // Readable files with bad lines are not quarantined: their bad lines go to stage_rejects with the line and the
    // column, their good lines load (the stage loader's value checks).
    const lineKeys = new Map<string, [number, RegExp]>([
      [stageKey(t, 'rejects', 1, 'json'), [2, /usage_kwh/]],
      [stageKey(t, 'rejects', 2, 'json'), [1, /meter_id/]],
    ]);
    const lineBodies = [`${lines[2]}\n${JSON.stringify(wrongType)}\n`, `${JSON.stringify({ hello: 'world' })}\n`];
    for (const [i, key] of [...lineKeys.keys()].entries()) await writeFile(join(stage, key), lineBodies[i]!);
    // Empty but valid files are not corrupt: they load, with no rows.
    const emptyKeys = [stageKey(t, 'empty', 1, 'json.gz'), stageKey(t, 'empty', 2, 'json')];
    await writeFile(join(stage, emptyKeys[0]!), gzipSync(''));
    await writeFile(join(stage, emptyKeys[1]!), '');

    const ingest = await forge(['ingest', '--stage', `file://${stage}`, '--out', out, '--json'], dir);
    expect(ingest.code, ingest.stderr).toBe(0);
    const run = JSON.parse(ingest.stdout) as { load: { loaded: { key: string; rows: number }[]; quarantined: { key: string; error: string }[] } };
    expect(run.load.quarantined.map((q) => q.key).sort()).toEqual([...keys.keys()].sort());
    for (const q of run.load.quarantined) {
      const [what, error] = keys.get(q.key)!;
      expect(q.error, what).toMatch(error);
      expect(q.error).not.toContain(tmpdir());
    }
    const goodKeys = goodFiles.map((f) => relative(stage, f));
    // The stream's transformer file loads beside its readings (into ami_transformers, no bronze rows).
    const sideKeys = (await readdir(join(stage, 'raw', 'transformers'))).map((name) => `raw/transformers/${name}`);
    expect(sideKeys).toHaveLength(1);
    expect(run.load.loaded.map((l) => l.key).sort()).toEqual([...goodKeys, ...emptyKeys, ...lineKeys.keys(), ...sideKeys].sort());
    // Bronze holds exactly the good files' lines: nothing of a quarantined file, not even its readable first lines;
    // of the files with a bad line, only the good line (a copy of a real reading, which silver deduplicates).
    expect(await duckNumber(out, `SELECT count(*) FROM bronze_ami WHERE file_name NOT LIKE '%_rejects_%'`)).toBe(job!.stats.delivered);
    expect(await duckNumber(out, `SELECT count(*) FROM bronze_ami WHERE file_name LIKE '%_bad_%'`)).toBe(0);
    expect(await duckNumber(out, `SELECT count(*) FROM bronze_ami WHERE file_name LIKE '%_rejects_%'`)).toBe(1);
    for (const [key, [line, column]] of lineKeys) {
      expect(await duckNumber(out, `SELECT count(*) FROM stage_rejects WHERE file_name = '${key}'`), key).toBe(1);
      expect(await duckNumber(out, `SELECT line FROM stage_rejects WHERE file_name = '${key}'`), key).toBe(line);
      expect(await duckNumber(out, `SELECT count(*) FROM stage_rejects WHERE file_name = '${key}' AND regexp_matches(reason, '${column.source}')`), key).toBe(1);
    }
    expect(await duckNumber(out, `SELECT count(*) FROM stage_load_history WHERE status = 'QUARANTINED' AND rows = 0 AND length(error) > 0`)).toBe(keys.size);

    // Silver holds every reading of the stream exactly once, as generated.
    const verify = await forge(['verify', '--job', job!.jobId, '--state-dir', stateDir, '--pipeline', out, '--json'], dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).reports.at(-1)).toMatchObject({ expected: 30 * 24, found: 30 * 24, missing: 0, duplicates: 0, differing: 0 });

    // A second pass loads nothing again: neither the good files nor the quarantined ones.
    const again = JSON.parse((await forge(['ingest', '--stage', `file://${stage}`, '--out', out, '--json'], dir)).stdout) as { load: { loaded: unknown[]; quarantined: unknown[]; alreadyInHistory: number } };
    expect(again.load).toMatchObject({ loaded: [], quarantined: [], alreadyInHistory: goodKeys.length + emptyKeys.length + lineKeys.size + keys.size + sideKeys.length });
    expect(await duckNumber(out, `SELECT count(*) FROM bronze_ami WHERE file_name NOT LIKE '%_rejects_%'`)).toBe(job!.stats.delivered);
    const status = JSON.parse((await forge(['pipeline', 'status', '--out', out, '--json'], dir)).stdout) as { files: { quarantined: number }; quarantined: { file: string; error: string }[] };
    expect(status.files.quarantined).toBe(keys.size);
    expect(status.quarantined.map((q) => q.file).sort()).toEqual([...keys.keys()].sort());
  }, 120_000);
});
