import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addOutputFlags, outputFromFlags } from '../../src/cli/output-flags.js';
import { parseOutputOptions } from '../../src/jobs/output-options.js';
import { createSinks } from '../../src/jobs/sink-factory.js';
import { STREAM_SINKS } from '../../src/jobs/job-plan.js';
import { redactSecrets } from '../../src/util/redact-secrets.js';
import { flagOf, PATH_SINKS, SINK_NAMES, SINK_PLUGINS, SINK_SETTINGS, sinkPlugin } from '../../src/sinks/registry.js';
import { sinkCatalog } from '../../src/sinks/sink-catalog.js';
import type { SinkOption } from '../../src/sinks/sink-plugin.js';
import { VERIFIABLE_SINKS } from '../../src/verify/verify-targets.js';

const SINKS_DIR = fileURLToPath(new URL('../../src/sinks/', import.meta.url));

/** Every `<name>-plugin.ts` under src/sinks, relative to it. */
function pluginFiles(dir = SINKS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return pluginFiles(path);
    return entry.name.endsWith('-plugin.ts') && entry.name !== 'sink-plugin.ts' ? [relative(SINKS_DIR, path)] : [];
  });
}

/** A value the setting's schema accepts, for generated cases. */
function validValue(key: string, option: SinkOption): unknown {
  const samples: Record<string, unknown> = {
    pgUrl: 'postgres://u@h:5432/db',
    pgTable: 'readings',
    onConflict: 'skip',
    mqttUrl: 'mqtt://broker:1883',
    natsUrl: 'nats://nats:4222',
    redisUrl: 'redis://cache:6379/1',
    redisStream: 'ami:test',
    redisMaxlen: 10,
    redisGroup: 'ml',
    stage: '/tmp/stage',
    stageFormat: 'csv',
    stageGzip: false,
    stageGzipLevel: 1,
    stageRollSeconds: 2,
    stageRollRows: 1000,
    stageRollMb: 8,
    s3Endpoint: 'http://127.0.0.1:9000',
    s3Region: 'eu-west-1',
    snowflakeAccount: 'myorg-acct',
    snowflakeUser: 'LOADER',
    snowflakeDatabase: 'DB2',
    snowflakeSchema: 'S2',
    snowflakeAuth: 'oauth',
    snowflakePrivateKey: '/keys/k.p8',
    snowflakeUrl: 'https://acct.example.com',
    snowflakeWarehouse: 'WH',
    snowflakeTable: 'T2',
    snowflakePipe: 'P2',
    snowflakeStage: 'ST2',
    greenbuttonFeed: 'customer',
    nem12From: 'MDP2',
    nem12To: 'RET2',
    cimFormat: 'xml',
  };
  if (!(key in samples)) throw new Error(`no sample value for the setting ${key}: add one here`);
  const value = samples[key];
  expect(option.schema.safeParse(value).success, key).toBe(true);
  expect(value, `${key}'s sample must differ from its default`).not.toEqual(option.default);
  return value;
}

describe('the sink registry', () => {
  it('lists every plugin file of src/sinks (a sink folder without its registry line fails here)', async () => {
    const found: unknown[] = [];
    for (const file of pluginFiles()) {
      const exported = Object.values(await import(join(SINKS_DIR, file))) as unknown[];
      const plugins = exported.filter((v) => typeof v === 'object' && v !== null && 'create' in v && 'name' in v);
      expect(plugins.length, `${file} exports no plugin`).toBeGreaterThan(0);
      for (const plugin of plugins) expect(SINK_PLUGINS, `${file}: ${(plugin as { name: string }).name} is not in SINK_PLUGINS`).toContain(plugin);
      found.push(...plugins);
    }
    // And the registry lists nothing but plugin files' plugins.
    expect(new Set(found)).toEqual(new Set(SINK_PLUGINS));
  });

  it('names each sink once, in a form --sink takes, and describes it', () => {
    expect(new Set(SINK_NAMES).size).toBe(SINK_NAMES.length);
    for (const plugin of SINK_PLUGINS) {
      expect(plugin.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(plugin.title.length).toBeGreaterThan(2);
      expect(plugin.summary.length).toBeGreaterThan(10);
      if (plugin.path) expect(plugin.path.default.startsWith('./forge-data/')).toBe(true);
      for (const key of [...(plugin.required ?? []), ...(plugin.uiFields ?? [])]) expect(Object.keys(plugin.options)).toContain(key);
    }
    expect(PATH_SINKS).toEqual(['duckdb', 'parquet', 'csv', 'ndjson', 'mdm-csv', 'greenbutton', 'nem12', 'cim']);
    expect(STREAM_SINKS).toEqual(SINK_PLUGINS.filter((p) => p.streams).map((p) => p.name));
    expect(VERIFIABLE_SINKS).toEqual(['duckdb', 'mdm-csv', 'greenbutton', 'nem12', 'cim', 'postgres']);
  });

  it('refuses a name it does not know with FORGE_ERR_UNKNOWN_SINK, naming the field and the known sinks', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((s) => !SINK_NAMES.includes(s as never)), (name) => {
        expect(() => sinkPlugin(name)).toThrow(expect.objectContaining({ code: 'FORGE_ERR_UNKNOWN_SINK', message: expect.stringContaining(`sink: unknown sink "${name}"`) }));
        expect(() => parseOutputOptions({ sink: ['duckdb', name] }, 'output.sink')).toThrow(expect.objectContaining({ code: 'FORGE_ERR_UNKNOWN_SINK', message: expect.stringMatching(/^output\.sink: .*known: duckdb, parquet/) }));
      }),
      { seed: 13, numRuns: 60 },
    );
  });

  it('takes each setting with a sink that declares it, and refuses it, naming its flag, with every other sink alone', () => {
    const cases = SINK_SETTINGS.flatMap(({ key, option, sinks }) => SINK_NAMES.map((sink) => ({ key, option, sinks, sink })));
    fc.assert(
      fc.property(fc.constantFrom(...cases), ({ key, option, sinks, sink }) => {
        const value = validValue(key, option);
        // A sink that needs settings of its own gets them, so only `key` is on trial.
        const needs = Object.fromEntries((sinkPlugin(sink).required ?? []).filter((k) => k !== key).map((k) => [k, validValue(k, SINK_SETTINGS.find((s) => s.key === k)!.option)]));
        const input = { sink: [sink], ...needs, [key]: value };
        if ((sinks as readonly string[]).includes(sink)) expect((parseOutputOptions(input) as Record<string, unknown>)[key]).toEqual(value);
        else expect(() => parseOutputOptions(input)).toThrow(`${key}: ${flagOf(key)} applies to `);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('refuses a sink started without a setting it needs, naming the flag', () => {
    for (const plugin of SINK_PLUGINS) {
      for (const key of plugin.required ?? []) {
        expect(() => parseOutputOptions({ sink: [plugin.name] })).toThrow(`${key}: the ${plugin.name} sink needs ${flagOf(key)}`);
      }
    }
  });

  it('gives the CLI one flag per setting, and flags come back as the same settings', () => {
    const command = addOutputFlags(new Command());
    const attributes = command.options.map((o) => o.attributeName());
    for (const { key } of SINK_SETTINGS) expect(attributes).toContain(key);
    // Every setting given as text on the command line arrives parsed, as the API would give it.
    for (const { key, option, sinks } of SINK_SETTINGS) {
      const value = validValue(key, option);
      const needs = Object.fromEntries((sinkPlugin(sinks[0]!).required ?? []).filter((k) => k !== key).map((k) => [k, validValue(k, SINK_SETTINGS.find((s) => s.key === k)!.option)]));
      const parsed = outputFromFlags({ sink: sinks[0], ...needs, [key]: typeof value === 'boolean' ? value : String(value) }) as Record<string, unknown>;
      // (The one file setting's sample is absolute already: the CLI makes a relative one absolute.)
      expect(parsed[key], key).toEqual(value);
    }
  });

  it('builds every sink from its settings (never opening it), each named as its plugin', async () => {
    const env = { SNOWFLAKE_ACCOUNT: 'acct', SNOWFLAKE_USER: 'LOADER', SNOWFLAKE_OAUTH_TOKEN: 'tok-secret-1234' };
    for (const plugin of SINK_PLUGINS) {
      const needs = Object.fromEntries((plugin.required ?? []).map((k) => [k, validValue(k, SINK_SETTINGS.find((s) => s.key === k)!.option)]));
      const [sink] = await createSinks(parseOutputOptions({ sink: [plugin.name], ...needs }), {}, env);
      expect(sink!.name.startsWith(plugin.name === 'snowflake' ? 'snowflake' : plugin.name), plugin.name).toBe(true);
    }
  });

  it('never shows a password a URL setting carries, in a record view of the options', () => {
    const schemes: Record<string, string> = { pgUrl: 'postgres', mqttUrl: 'mqtt', natsUrl: 'nats', redisUrl: 'redis' };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(schemes)), fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (key, password) => {
        const entry = SINK_SETTINGS.find((s) => s.key === key)!;
        const options = parseOutputOptions({ sink: [entry.sinks[0]], [key]: `${schemes[key]}://user:${password}@host:1234/0` });
        const shown = JSON.stringify(redactSecrets(options));
        expect(shown).not.toContain(password);
        expect(shown).toContain('user:***@host:1234');
      }),
      { seed: 3, numRuns: 60 },
    );
  });

  it('describes every sink and setting in the catalogue forge sinks and GET /api/sinks show', () => {
    const catalog = sinkCatalog();
    expect(catalog.map((s) => s.name)).toEqual([...SINK_NAMES]);
    const settingsShown = new Set(catalog.flatMap((s) => s.settings.map((x) => x.key)));
    expect([...settingsShown].sort()).toEqual(SINK_SETTINGS.map((s) => s.key).sort());
    expect(catalog.find((s) => s.name === 'stage')!.settings.find((s) => s.key === 'stage')).toMatchObject({ required: true, ui: true, flag: '--stage' });
    expect(catalog.find((s) => s.name === 'stage')!.settings.find((s) => s.key === 'stageGzip')).toMatchObject({ flag: '--no-stage-gzip', default: true });
    expect(catalog.find((s) => s.name === 'parquet')).toMatchObject({ modes: ['batch'], path: { kind: 'directory' }, verifiable: false });
  });
});
