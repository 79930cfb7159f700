import { dialectType, isNullable, READING_KEY, READING_TABLE_COLUMNS, sqlType, type ReadingTableColumn } from '../generator/reading-columns.js';
import type { DdlOptions } from './ddl-options.js';
import { GOLD_SOURCES, goldQueries, MEDALLION, MESSAGE_PATH } from './medallion-model.js';
import { transformerTableDdl } from '../generator/transformer-columns.js';
import { quoteName } from './sql-identifier.js';
import { LABEL_TABLE, labelTableDdl } from '../generator/label-columns.js';

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
  const text = dialectType(target, 'text');
  const instant = dialectType(target, 'utc_timestamp');
  const key = READING_KEY.map(q).join(', ');
  const path = (column: ReadingTableColumn): string => {
    const [group, field] = MESSAGE_PATH[column].split('.') as [string, string];
    const value = target === 'postgres' ? `${q('raw')} -> '${group}' ->> '${field}'` : `json_extract_string(${q('raw')}, '$.${group}.${field}')`;
    return `CAST(${value} AS ${sqlType(target, column)}) AS ${q(column)}`;
  };
  const hourOf = (col: string): string => `date_trunc('hour', ${col})`;
  const gold = goldQueries(q, hourOf);
  return [
    `-- Flux Data Forge: the AMI medallion model on ${target === 'postgres' ? 'Postgres' : 'DuckDB'} (forge ddl --target ${target}).`,
    `CREATE SCHEMA IF NOT EXISTS ${schema};`,
    '',
    '-- Readings (the flat schema, then when a stream emitted each)',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.readings)} (\n${READING_TABLE_COLUMNS.map((c) => `  ${q(c)} ${sqlType(target, c)}${isNullable(c) ? '' : ' NOT NULL'}`).join(',\n')},\n  PRIMARY KEY (${key})\n);`,
    '-- Ground truth for ML beside it: one row per labelled event window (label-columns.ts), as the sinks write it',
    `${labelTableDdl(target, name(LABEL_TABLE))};`,
    '-- Transformer ratings for gold loading: load each raw/transformers/*.ndjson(.gz) file of the stage into it (one',
    '-- JSON object a line with these names, e.g. DuckDB: INSERT OR REPLACE INTO ... SELECT * FROM read_json(<file>))',
    `${transformerTableDdl(target, name(MEDALLION.transformers))};`,
    '',
    '-- Bronze: raw head-end messages as landed, and the load history that makes loading exactly once',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.bronze)} (\n  ${q('raw')} ${json} NOT NULL,\n  ${q('file_name')} ${text} NOT NULL,\n  ${q('row_number')} BIGINT NOT NULL,\n  ${q('loaded_at')} ${instant} NOT NULL DEFAULT ${now}\n);`,
    `CREATE TABLE IF NOT EXISTS ${name('stage_load_history')} (\n  ${q('file_name')} ${text} PRIMARY KEY,\n  ${q('size')} BIGINT NOT NULL,\n  ${q('status')} ${text} NOT NULL,\n  ${q('rows')} BIGINT NOT NULL,\n  ${q('error')} ${text},\n  ${q('loaded_at')} ${instant} NOT NULL DEFAULT ${now}\n);`,
    '',
    '-- Silver: typed, one row per (meter_id, reading_ts_utc); refresh with the INSERT below (new keys only: late and backfilled readings merge in)',
    `CREATE TABLE IF NOT EXISTS ${name(MEDALLION.silver)} (\n${READING_TABLE_COLUMNS.map((c) => `  ${q(c)} ${sqlType(target, c)}`).join(',\n')},\n  ${q('loaded_at')} ${instant},\n  PRIMARY KEY (${key})\n);`,
    // The first landed copy of a key wins (bronze order: load time, file, line), as in forge ingest; a key already in
    // silver is kept. Postgres has no QUALIFY: DISTINCT ON picks the same row.
    target === 'postgres'
      ? `INSERT INTO ${name(MEDALLION.silver)}\nSELECT DISTINCT ON (${key}) ${READING_TABLE_COLUMNS.map(path).join(',\n  ')},\n  ${q('loaded_at')}\nFROM ${name(MEDALLION.bronze)}\n` +
        `ORDER BY ${key}, ${q('loaded_at')}, ${q('file_name')}, ${q('row_number')}\nON CONFLICT DO NOTHING;`
      : `INSERT INTO ${name(MEDALLION.silver)}\nSELECT ${READING_TABLE_COLUMNS.map(path).join(',\n  ')},\n  ${q('loaded_at')}\nFROM ${name(MEDALLION.bronze)}\n` +
        `QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${q('loaded_at')}, ${q('file_name')}, ${q('row_number')}) = 1\nON CONFLICT DO NOTHING;`,
    '',
    '-- Gold: views over silver',
    ...Object.entries(gold).map(([view, query]) => `CREATE OR REPLACE VIEW ${name(view)} AS\n${GOLD_SOURCES.reduce((sql, t) => sql.replaceAll(q(t), name(t)), query)};`),
    '',
  ].join('\n');
}
