import type pg from 'pg';
import { LABEL_SOURCE, type AnomalyLabel } from '../../generator/anomaly-labels.js';
import { LABEL_KEY, LABEL_TABLE, LABEL_TABLE_COLUMNS, labelTableDdl } from '../../generator/label-columns.js';
import { quotePgIdentifier } from './postgres-options.js';
import type { PgTable } from './postgres-table.js';

/** anomaly_labels in the schema of the sink's readings table, quoted. */
export const pgLabelTable = (t: PgTable): string => (t.schema ? `${quotePgIdentifier(t.schema)}.` : '') + quotePgIdentifier(LABEL_TABLE);

export async function createLabelTable(client: pg.Client, table: string): Promise<void> {
  await client.query(labelTableDdl('postgres', table));
}

const keyList = LABEL_KEY.join(', ');
const updated = LABEL_TABLE_COLUMNS.filter((c) => !(LABEL_KEY as readonly string[]).includes(c)).map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * Adds a day's windows in one statement (arrays unnested side by side, no row per window in SQL text). A window the
 * table holds for the job already (same meter, type and start: a resumed run's) takes the values sent last.
 * Timestamps travel as epoch milliseconds: local ones are wall-clock fields encoded as if UTC (like the reading's).
 */
export async function insertLabels(client: pg.Client, table: string, jobId: string, labels: readonly AnomalyLabel[], meterIds: readonly string[]): Promise<void> {
  await client.query(
    `INSERT INTO ${table} (${LABEL_TABLE_COLUMNS.join(', ')})
     SELECT $1, m, e, to_timestamp(sl / 1000.0) AT TIME ZONE 'UTC', to_timestamp(el / 1000.0) AT TIME ZONE 'UTC', to_timestamp(su / 1000.0), to_timestamp(eu / 1000.0), n, s, $10
     FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::int[], $9::float8[]) AS u(m, e, sl, el, su, eu, n, s)
     ON CONFLICT (${keyList}) DO UPDATE SET ${updated}`,
    [
      jobId,
      labels.map((l) => meterIds[l.meterIndex]!),
      labels.map((l) => l.eventType),
      labels.map((l) => l.startLocalMs),
      labels.map((l) => l.endLocalMs),
      labels.map((l) => l.startUtcMs),
      labels.map((l) => l.endUtcMs),
      labels.map((l) => l.readings),
      labels.map((l) => l.severity),
      LABEL_SOURCE,
    ],
  );
}
