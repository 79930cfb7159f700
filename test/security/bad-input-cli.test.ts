import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForgeAsync, type ForgeRun } from '../support/brokers.js';

/**
 * Bad input on the command line and in config files (DESIGN.md invariant 5): each case exits 2 with a message naming
 * the field, and writes nothing: it runs in an empty directory (where forge's defaults would write ./forge-data) with
 * every output path inside it, and the directory is still empty afterwards. Config files live in another directory.
 */

const root = mkdtempSync(join(tmpdir(), 'forge-bad-cli-'));
const configs = join(root, 'configs');
beforeAll(async () => {
  await mkdir(configs);
  const files: Record<string, string> = {
    'malformed.json': '{"meters": 10,',
    'malformed.yaml': 'meters: [10\ndays: 1\n',
    'unknown-key.json': '{"meters": 10, "days": 1, "meterz": 3}',
    'unknown-key.yaml': 'meters: 10\ndays: 1\nsink: postgres\n',
    'wrong-type.yaml': 'meters: many\ndays: 1\n',
    'wrong-type.json': '{"meters": [10], "days": {"n": 1}}',
    'negative.yaml': 'meters: -10\ndays: 1\n',
    'huge.json': '{"meters": 1e12, "days": 1}',
    'array.yaml': '- meters: 10\n',
    'scalar.json': '"meters"',
    'bad-date.yaml': 'meters: 10\ndays: 1\nstart: 2026-02-30\n',
    'sql-prefix.yaml': "meters: 10\ndays: 1\nidPrefix: \"M'; DROP TABLE ami_fact;--\"\n",
    'proto.json': '{"__proto__": {"meters": 5}, "constructor": {"prototype": {"x": 1}}, "days": 1}',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(configs, name), text);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const cfg = (name: string): string => join(configs, name);
const tiny = ['--meters', '2', '--days', '1', '--start', '2026-06-01'];
const stream = (...args: string[]): string[] => ['stream', '--meters', '2', '--from', '2026-06-01T00:00:00Z', '--duration', '1h', '--speed', 'max', ...args];

/** [what, argv, message naming the field]; every one must exit 2 and write nothing. */
const cases: [string, string[], RegExp][] = [
  // Wrong types, negatives, zero, huge values.
  ['meters not a number', ['generate', '--meters', 'abc'], /meters/],
  ['negative meters', ['generate', '--meters', '-5'], /meters/],
  ['zero meters', ['generate', '--meters', '0'], /meters/],
  ['huge meters', ['generate', '--meters', '99999999999'], /meters/],
  ['meters as a fraction', ['generate', '--meters', '2.5'], /meters/],
  ['zero days', ['generate', '--meters', '2', '--days', '0'], /days/],
  ['huge days', ['generate', '--meters', '2', '--days', '100000'], /days/],
  ['negative seed', ['generate', ...tiny, '--seed', '-1'], /seed/],
  ['seed past 32 bits', ['generate', ...tiny, '--seed', '4294967296'], /seed/],
  ['interval not allowed', ['generate', ...tiny, '--interval', '7'], /interval/],
  ['pv share over 1', ['generate', ...tiny, '--pv-share', '2'], /pvShare/],
  ['negative ev share', ['generate', ...tiny, '--ev-share', '-0.1'], /evShare/],
  ['mix of two shares', ['generate', ...tiny, '--mix', '1/2'], /mix/],
  ['zero batch size', ['generate', ...tiny, '--batch-size', '0'], /batchSize/],
  ['huge batch size', ['generate', ...tiny, '--batch-size', '1e12'], /batchSize/],
  ['negative workers', ['generate', ...tiny, '--workers', '-1'], /workers/],
  ['too many workers', ['generate', ...tiny, '--workers', '1000'], /workers/],
  ['unknown sink', ['generate', ...tiny, '--sink', 'kafka'], /sink/],
  ['unknown shape', ['generate', ...tiny, '--shape', 'round'], /shape/],
  ['unknown flag', ['generate', ...tiny, '--meterz', '3'], /unknown option '--meterz'/],
  // Bad dates and time zones.
  ['a date that is not on the calendar', ['generate', '--meters', '2', '--days', '1', '--start', '2026-02-30'], /start/],
  ['a date with a time', ['generate', '--meters', '2', '--days', '1', '--start', '2026-06-01T00:00:00Z'], /start/],
  ['an unknown area (time zone)', ['generate', ...tiny, '--area', 'Mars/Olympus_Mons'], /area/],
  ['stream from a date not on the calendar', ['stream', '--meters', '2', '--from', '2026-02-30T00:00:00Z', '--duration', '1h'], /from "2026-02-30T00:00:00Z" is not a calendar date/],
  ['stream from a time without a zone', ['stream', '--meters', '2', '--from', '2026-06-01T00:00:00', '--duration', '1h'], /from .* has no time zone/],
  ['stream from an impossible offset', ['stream', '--meters', '2', '--from', '2026-06-01T00:00:00+25:00', '--duration', '1h'], /from/],
  ['stream from a word', ['stream', '--meters', '2', '--from', 'yesterday', '--duration', '1h'], /from "yesterday"/],
  ['negative duration', stream('--duration', '-5h'), /duration/],
  ['zero speed', stream('--speed', '0'), /speed/],
  ['negative speed', stream('--speed', '-3600'), /speed/],
  ['late rate over the limit', stream('--late-rate', '2'), /lateRate|late/],
  ['zero batch rows', stream('--batch-rows', '0'), /batch-rows/],
  ['a file sink for a stream', stream('--sink', 'parquet'), /parquet cannot take a stream/],
  ['verify from a time without a zone', ['verify', ...tiny, '--from', '2026-06-01 06:00'], /from/],
  // Identifiers with quotes, semicolons and SQL.
  ['pg table with a semicolon', ['generate', ...tiny, '--sink', 'postgres', '--pg-table', 'x; DROP TABLE y'], /pgTable: Invalid identifier/],
  ['pg table with a quote', ['generate', ...tiny, '--sink', 'postgres', '--pg-table', 'a"b'], /pgTable: Invalid identifier/],
  ['pg table with SQL', ['generate', ...tiny, '--sink', 'postgres', '--pg-table', "readings'); DROP TABLE students;--"], /pgTable: Invalid identifier/],
  ['pg table with three parts', ['generate', ...tiny, '--sink', 'postgres', '--pg-table', 'db.schema.table'], /pgTable/],
  ['pg table in upper case', ['generate', ...tiny, '--sink', 'postgres', '--pg-table', 'Readings'], /pgTable/],
  ['pg url of another scheme', ['generate', ...tiny, '--sink', 'postgres', '--pg-url', 'http://127.0.0.1/x'], /pgUrl/],
  ['meter id prefix with SQL', ['generate', ...tiny, '--id-prefix', "M';DROP"], /idPrefix/],
  ['snowflake database with a quote', ['generate', ...tiny, '--sink', 'snowflake', '--snowflake-database', 'FORGE"; DROP'], /snowflakeDatabase/],
  ['snowflake table with a semicolon', ['generate', ...tiny, '--sink', 'snowflake-insert', '--snowflake-table', 'T;DROP'], /snowflakeTable/],
  ['ddl schema with a semicolon', ['ddl', '--schema', 'AMI; DROP SCHEMA X'], /schema/],
  ['ddl database with a quote', ['ddl', '--database', 'A"B'], /database/],
  ['ddl warehouse with a comment', ['ddl', '--warehouse', "WH'--"], /warehouse/],
  ['ddl target lag with SQL', ['ddl', '--target-lag', "1 minute'; DROP TABLE X;--"], /target/i],
  ['ddl unknown target', ['ddl', '--target', 'oracle'], /target/],
  // Path traversal in stage prefixes (local paths are the CLI user's own; the API confines them: output-policy.ts).
  ['stage s3 prefix with ..', stream('--sink', 'stage', '--stage', 's3://bucket-a/../etc'), /stage/],
  ['stage s3 prefix with .. inside', stream('--sink', 'stage', '--stage', 's3://bucket-a/raw/../../b'), /stage/],
  ['stage s3 bucket with ..', stream('--sink', 'stage', '--stage', 's3://a..b/raw'), /stage/],
  ['stage of another scheme', stream('--sink', 'stage', '--stage', 'http://evil.example/x'), /stage/],
  ['ddl stage url with ..', ['ddl', '--stage-url', 's3://bucket-a/../x'], /stage/i],
  // Config files, JSON and YAML.
  ['a missing config file', ['generate', '--config', 'no-such.json'], /Cannot read config file no-such\.json/],
  ['malformed JSON config', ['generate', '--config', cfg('malformed.json')], /Cannot read config file .*malformed\.json/],
  ['malformed YAML config', ['generate', '--config', cfg('malformed.yaml')], /Cannot read config file .*malformed\.yaml/],
  ['unknown key in JSON config', ['generate', '--config', cfg('unknown-key.json')], /unknown key "meterz"/],
  ['output key in a scenario YAML', ['generate', '--config', cfg('unknown-key.yaml')], /unknown key "sink"/],
  ['wrong type in YAML config', ['generate', '--config', cfg('wrong-type.yaml')], /meters/],
  ['wrong types in JSON config', ['generate', '--config', cfg('wrong-type.json')], /meters.*days|days.*meters/],
  ['negative in YAML config', ['generate', '--config', cfg('negative.yaml')], /meters/],
  ['huge in JSON config', ['generate', '--config', cfg('huge.json')], /meters/],
  ['a YAML list, not an object', ['generate', '--config', cfg('array.yaml')], /expected an object/],
  ['a JSON string, not an object', ['generate', '--config', cfg('scalar.json')], /expected an object/],
  ['bad date in YAML config', ['generate', '--config', cfg('bad-date.yaml')], /start/],
  ['SQL in a YAML id prefix', ['generate', '--config', cfg('sql-prefix.yaml')], /idPrefix/],
  ['__proto__ and constructor keys in JSON', ['generate', '--config', cfg('proto.json')], /unknown key/],
  // The server's flags.
  ['serve on a port out of range', ['serve', '--port', '99999'], /port/],
  ['serve on a port that is not a number', ['serve', '--port', 'http'], /port/],
];

/** Runs the cases a few at a time (each is a process). */
async function runAll(): Promise<Map<string, { run: ForgeRun; left: string[] }>> {
  const results = new Map<string, { run: ForgeRun; left: string[] }>();
  const queue = [...cases.entries()];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [i, [what, args]] = next;
      const cwd = join(root, `case-${i}`);
      await mkdir(cwd);
      const run = await runForgeAsync([...args, ...(['generate', 'stream'].includes(args[0]!) ? ['--state-dir', join(cwd, 'jobs')] : [])], cwd, { FORGE_API_TOKEN: '' });
      results.set(what, { run, left: await readdir(cwd, { recursive: true }) });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return results;
}

let results: Map<string, { run: ForgeRun; left: string[] }>;

describe('bad CLI flags and config files: exit 2, the field named, nothing written', () => {
  beforeAll(async () => {
    results = await runAll();
  }, 240_000);

  it.each(cases)('%s', (what, _args, message) => {
    const { run, left } = results.get(what)!;
    expect(run.stderr, run.stdout).toMatch(message);
    expect(run.stderr).toMatch(/^forge: .*\[FORGE_ERR_[A-Z_]+\]$|error: unknown option/m);
    expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(run.code).toBe(2);
    expect(left).toEqual([]);
  });
});
