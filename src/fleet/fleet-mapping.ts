import { ForgeError } from '../util/forge-error.js';
import { FIELD_ALIASES, FLEET_FIELDS, type FleetField } from './fleet-import.js';

/** `--map meter_id=METER_NO,transformer_id=XFMR` (or a config file's `map` object) as field -> source column. */
export function parseFleetMap(text: string | Readonly<Record<string, string>> | undefined): Partial<Record<FleetField, string>> {
  if (text === undefined) return {};
  const pairs: [string, string][] =
    typeof text === 'string'
      ? text.split(',').filter((p) => p.trim() !== '').map((p) => {
          const eq = p.indexOf('=');
          if (eq < 0) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`map: "${p.trim()}" is not field=COLUMN (fields: ${FLEET_FIELDS.join(', ')})`]);
          return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
        })
      : Object.entries(text);
  const map: Partial<Record<FleetField, string>> = {};
  for (const [field, column] of pairs) {
    if (!FLEET_FIELDS.includes(field as FleetField)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`map: unknown field "${field}" (fields: ${FLEET_FIELDS.join(', ')})`]);
    if (typeof column !== 'string' || column === '') throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`map: ${field} needs a column name`]);
    map[field as FleetField] = column;
  }
  return map;
}

/**
 * Which source column gives each field: the mapped one (which must exist), else a column named like the field or one
 * of its aliases (case aside). The meter id is required.
 */
export function resolveFleetColumns(source: string, columns: readonly string[], map: Partial<Record<FleetField, string>>): Partial<Record<FleetField, string>> {
  const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const out: Partial<Record<FleetField, string>> = {};
  for (const field of FLEET_FIELDS) {
    const mapped = map[field];
    if (mapped !== undefined) {
      const column = columns.includes(mapped) ? mapped : byLower.get(mapped.toLowerCase());
      if (column === undefined) throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [source, `--map ${field}=${mapped}: no column "${mapped}" (columns: ${columns.join(', ')})`]);
      out[field] = column;
      continue;
    }
    for (const name of [field, ...(FIELD_ALIASES[field] ?? [])]) {
      const column = byLower.get(name);
      if (column !== undefined) {
        out[field] = column;
        break;
      }
    }
  }
  if (out.meter_id === undefined) {
    throw new ForgeError('FORGE_ERR_FLEET_IMPORT', [source, `no meter id column: name one with --map meter_id=COLUMN (columns: ${columns.join(', ')})`]);
  }
  return out;
}
