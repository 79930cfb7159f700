import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { camelConfigKeys } from '../../src/cli/config-keys.js';
import { scenarioFromFlags } from '../../src/cli/scenario-flags.js';
import { ForgeError } from '../../src/util/forge-error.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-config-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config file keys written as flags', () => {
  it('takes a flag\'s name (pv-share) for the schema\'s key (pvShare), and leaves nested keys alone', () => {
    expect(camelConfigKeys({ 'pv-share': 0.2, 'emission-pattern': 'UNIFORM', 'id-prefix': 'AB', meters: 5, mix: { RESIDENTIAL: 90, COMMERCIAL: 9, INDUSTRIAL: 1 } }, 'f.yaml')).toEqual({
      pvShare: 0.2,
      emissionPattern: 'UNIFORM',
      idPrefix: 'AB',
      meters: 5,
      mix: { RESIDENTIAL: 90, COMMERCIAL: 9, INDUSTRIAL: 1 },
    });
  });

  it('refuses one setting spelt both ways, naming both', () => {
    const both = (): unknown => camelConfigKeys({ pvShare: 0.1, 'pv-share': 0.2 }, 'f.yaml');
    expect(both).toThrow(ForgeError);
    expect(both).toThrow(/f\.yaml: pvShare and pv-share are the same setting/);
  });

  it('gives a JSON or YAML file with flag spellings the same scenario as one with the schema\'s', async () => {
    writeFileSync(join(dir, 'kebab.yaml'), 'meters: 12\ndays: 2\nstart: 2025-03-01\nev-share: 0.3\nanomaly-rate: 0.01\n');
    writeFileSync(join(dir, 'camel.json'), JSON.stringify({ meters: 12, days: 2, start: '2025-03-01', evShare: 0.3, anomalyRate: 0.01 }));
    const kebab = await scenarioFromFlags({ config: join(dir, 'kebab.yaml') });
    expect(kebab).toMatchObject({ evShare: 0.3, meters: 12 });
    expect(kebab).toEqual(await scenarioFromFlags({ config: join(dir, 'camel.json') }));
  });

  it('still refuses a key that is no flag in either spelling', async () => {
    writeFileSync(join(dir, 'typo.yaml'), 'meters: 12\npv-shar: 0.3\n');
    await expect(scenarioFromFlags({ config: join(dir, 'typo.yaml') })).rejects.toThrow(/pvShar/);
  });
});
