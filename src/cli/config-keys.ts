import { ForgeError } from '../util/forge-error.js';

/** `pv-share` -> `pvShare`: a flag's name as `--help` writes it, as the schema's key. */
const camel = (key: string): string => key.replace(/-([a-z0-9])/g, (_match, c: string) => c.toUpperCase());

/**
 * A config file's top-level keys in the schema's spelling: a key may be written as its flag is in `--help`
 * (`pv-share`, `emission-pattern`) or as the API and the schema name it (`pvShare`), so a file can be written from
 * either. One setting spelt both ways is refused rather than one silently winning. Nested values (a mix, a column
 * map) keep their keys: they are data, not flags.
 */
export function camelConfigKeys(value: Readonly<Record<string, unknown>>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelt = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const name = camel(key);
    const before = spelt.get(name);
    if (before !== undefined) throw new ForgeError('FORGE_ERR_CONFIG_FILE', [path, `${before} and ${key} are the same setting: give it once`]);
    spelt.set(name, key);
    out[name] = v;
  }
  return out;
}
