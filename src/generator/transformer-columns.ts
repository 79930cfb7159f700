import { NAMEPLATE_POWER_FACTOR } from '../fleet/transformer-ratings.js';
import { dialectType, type LogicalType, type SqlDialect } from './reading-columns.js';

/**
 * The `ami_transformers` table: one row per transformer with its rating (fleet/transformer-records.ts), beside the
 * readings wherever gold transformer loading is computed or can be: the pipeline of `forge ingest` (loaded from the
 * stage's raw/transformers files), the DuckDB warehouse (its transformer dimension) and the model `forge ddl` prints.
 * Gold loading joins it for each transformer's nameplate; a transformer it does not hold is taken as
 * DEFAULT_TRANSFORMER_KVA, and gold says so (nameplate_source). Snowflake upper-cases the names.
 */
export const TRANSFORMER_TABLE = 'ami_transformers';

/**
 * The nameplate of a transformer with no rating in ami_transformers (a stage landed before ratings, or readings from
 * elsewhere): the common 25 kVA pole-mounted unit for a handful of homes.
 */
export const DEFAULT_TRANSFORMER_KVA = 25;
export { NAMEPLATE_POWER_FACTOR };

/** gold_transformer_hourly.nameplate_source: the rating came from ami_transformers, or DEFAULT_TRANSFORMER_KVA was taken. */
export const NAMEPLATE_SOURCES = ['FLEET', 'DEFAULT_25_KVA'] as const;
export type NameplateSource = (typeof NAMEPLATE_SOURCES)[number];

const COLUMNS = [
  { name: 'transformer_id', type: 'text' },
  { name: 'kva', type: 'double' },
  { name: 'phases', type: 'small_integer' },
  { name: 'circuit_id', type: 'text' },
  { name: 'substation_id', type: 'text' },
  { name: 'meters', type: 'integer' },
] as const satisfies readonly { name: string; type: LogicalType | 'integer' }[];

export const TRANSFORMER_TABLE_COLUMNS = COLUMNS.map((c) => c.name);

/**
 * CREATE TABLE IF NOT EXISTS for the transformers in a dialect, keyed by transformer_id (informational in
 * Snowflake). `table` is already quoted (and schema-qualified) by the caller.
 */
export function transformerTableDdl(dialect: SqlDialect, table: string): string {
  const name = (n: string): string => (dialect === 'snowflake' ? n.toUpperCase() : n);
  const columns = COLUMNS.map((c) => {
    const type = c.type === 'integer' ? (dialect === 'snowflake' ? 'NUMBER(10,0)' : 'INTEGER') : dialectType(dialect, c.type);
    return `${name(c.name)} ${type}${c.name === 'transformer_id' || c.name === 'kva' ? ' NOT NULL' : ''}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')}, PRIMARY KEY (${name('transformer_id')}))`;
}

/**
 * The nameplate columns of gold loading from a rating expression that is NULL for an unknown transformer (a LEFT
 * JOIN of ami_transformers) and the hour's peak kW expression, in portable SQL, in gold's order: nameplate_kw (kVA x
 * the power factor), over_nameplate, nameplate_kva, nameplate_source. `q` quotes a column alias the caller's way.
 */
export function nameplateColumns(kva: string, peakKw: string, q: (name: string) => string = (n) => n): string {
  const rated = `COALESCE(${kva}, ${DEFAULT_TRANSFORMER_KVA})`;
  const kw = `${rated} * ${NAMEPLATE_POWER_FACTOR}`;
  return (
    `${kw} AS ${q('nameplate_kw')}, ${peakKw} > ${kw} AS ${q('over_nameplate')}, ${rated} AS ${q('nameplate_kva')}, ` +
    `CASE WHEN ${kva} IS NULL THEN '${NAMEPLATE_SOURCES[1]}' ELSE '${NAMEPLATE_SOURCES[0]}' END AS ${q('nameplate_source')}`
  );
}
