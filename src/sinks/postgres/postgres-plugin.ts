import { z } from 'zod';
import { checkedText, defineSink } from '../sink-plugin.js';
import { DEFAULT_PG_TABLE, defaultPgUrl, pgTableProblem, pgUrlProblem } from './postgres-options.js';
import { ON_CONFLICT_MODES } from './postgres-options.js';

/** A Postgres table through binary COPY, each batch one transaction with the job's checkpoint. */
export const postgresPlugin = defineSink({
  name: 'postgres',
  title: 'Postgres table',
  summary: 'a Postgres table by binary COPY, each batch one transaction with its checkpoint (exactly once)',
  streams: true,
  options: {
    pgUrl: {
      schema: checkedText(pgUrlProblem),
      arg: '<url>',
      help: 'Postgres connection URL (default: $FORGE_PG_URL, $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)',
    },
    pgTable: { schema: checkedText(pgTableProblem), arg: '<name>', help: 'table, name or schema.name', default: DEFAULT_PG_TABLE },
    onConflict: {
      schema: z.enum(ON_CONFLICT_MODES),
      arg: '<mode>',
      help: 'readings whose key the table holds: error (the same values are skipped, different ones refuse the batch), skip (keep the table\'s) or replace',
      default: 'error',
    },
  },
  uiFields: ['pgUrl', 'pgTable'],
  readBack: {
    settings: ['pgUrl', 'pgTable'],
    target: (values, { env }) => ({ kind: 'postgres', url: values.pgUrl ?? defaultPgUrl(env), table: values.pgTable ?? DEFAULT_PG_TABLE }),
  },
  create: async (values, { append, onStatus, env }) =>
    (await import('./postgres-sink.js')).PostgresSink.fromTableName(values.pgTable ?? DEFAULT_PG_TABLE, {
      url: values.pgUrl ?? defaultPgUrl(env),
      append,
      ...(values.onConflict ? { onConflict: values.onConflict } : {}),
      ...(onStatus ? { onStatus } : {}),
    }),
});
