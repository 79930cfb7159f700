import type { DdlOptions } from './ddl-options.js';
import { columnType, goldQueries, MEDALLION, MESSAGE_PATH, READING_COLUMNS } from './medallion-model.js';
import { quoteName } from './sql-identifier.js';

/**
 * The same model in Postgres or DuckDB: the readings table (what the postgres and duckdb sinks write), bronze with a
 * load history, silver typed and deduplicated, and the gold aggregates as views over silver. The schema is created
 * when absent; run it with psql or the duckdb CLI.
 */
export function relationalDdl(target: 'postgres' | 'duckdb', o: DdlOptions): string {
  const q = (name: string): string => quoteName(target, name);
  const schema = q(o.schema);
  const name = (n: string): string => `${schema}.${q(n)}`;
  const json = target === 'postgres' ? 'jsonb' : 'JSON';
  const now = target === 'postgres' ? 'now()' : 'current_timestamp';
  const path = (column: (typeof READING_COLUMNS)[number]): string => {
    const [group, key] = MESSAGE_PATH[column].split('.') as [string, string];
    const text = target === 'postgres' ? `${q('raw')} -> '${group}' ->> '${key}'` : `json_extract_string(${q('raw')}, '$.${group}.${key}')`;
    return `CAST(${text} AS ${columnType(target, column)}) AS ${q(column)}`;
  };
  const hourOf = (col: string): string => `date_trunc('hour', ${col})`;
  const gold = goldQueries(q, hourOf);
  return [
    `-- Flux Data Forge: the AMI medallion model on ${target === 'postgres' ? 'Postgres' : 'DuckDB'} (forge ddl --target ${target}).`,
    `CREATE SCHEMA IF NOT EXISTS ${schema};`,
    '',
    '-- Readings (the flat schema, then when a stream emitted each)',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.readings)} (\n${READING_COLUMNS.map((c) => `  ${q(c)} ${columnType(target, c)}${c === 'event_type' || c === 'emitted_at' ? '' : ' NOT NULL'}`).join(',\n')},\n  PRIMARY KEY (${q('meter_id')}, ${q('reading_ts_utc')})\n);`,
    '',
    '-- Bronze: raw head-end messages as landed, and the load history that makes loading exactly once',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.bronze)} (\n  ${q('raw')} ${json} NOT NULL,\n  ${q('file_name')} ${columnType(target, 'meter_id')} NOT NULL,\n  ${q('row_number')} BIGINT NOT NULL,\n  ${q('loaded_at')} ${columnType(target, 'emitted_at')} NOT NULL DEFAULT ${now}\n);`,
    `CREATE TABLE IF NOT EXISTS ${name('stage_load_history')} (\n  ${q('file_name')} ${columnType(target, 'meter_id')} PRIMARY KEY,\n  ${q('size')} BIGINT NOT NULL,\n  ${q('status')} ${columnType(target, 'meter_id')} NOT NULL,\n  ${q('rows')} BIGINT NOT NULL,\n  ${q('error')} ${columnType(target, 'meter_id')},\n  ${q('loaded_at')} ${columnType(target, 'emitted_at')} NOT NULL DEFAULT ${now}\n);`,
    '',
    '-- Silver: typed, one row per (meter_id, reading_ts_utc); refresh with the INSERT below (new keys only: late arrivals merge in)',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.silver)} (\n${READING_COLUMNS.map((c) => `  ${q(c)} ${columnType(target, c)}`).join(',\n')},\n  ${q('loaded_at')} ${columnType(target, 'emitted_at')},\n  PRIMARY KEY (${q('meter_id')}, ${q('reading_ts_utc')})\n);`,
    `INSERT INTO ${name(MEDALLION.silver)}\nSELECT ${READING_COLUMNS.map(path).join(',\n  ')},\n  ${q('loaded_at')}\nFROM ${name(MEDALLION.bronze)}\nON CONFLICT DO NOTHING;`,
    '',
    '-- Gold: views over silver',
    ...Object.entries(gold).map(([view, query]) => `CREATE OR REPLACE VIEW ${name(view)} AS\n${query.replaceAll(q(MEDALLION.silver), name(MEDALLION.silver))};`),
    '',
  ].join('\n');
}
