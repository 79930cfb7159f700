import { brokerGate, checkBroker, type BrokerGate, type BrokerStatus } from './brokers.js';

/**
 * The machine's database services for integration tests, alongside the message brokers of brokers.ts and with the
 * same rule: a suite whose service is absent is skipped with the reason printed, except on CI (env CI set), where it
 * runs and fails (`serviceGate`), and a test asserts the service is there.
 */
export type ServiceStatus = BrokerStatus;
export type ServiceGate = BrokerGate;

/** The Postgres the tests write to: database `test` of the local server (trust auth), or FORGE_PG_URL. */
export const PG_TEST_URL = process.env.FORGE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Decides whether a service's suite runs, and prints why when it is skipped (brokers.ts's `brokerGate`). */
export const serviceGate = (name: string, url: string, status: ServiceStatus): ServiceGate => brokerGate(name, url, status);

/** The Postgres server at `url` accepts a TCP connection, then a login and `select 1`. */
export async function postgresService(url: string): Promise<ServiceStatus> {
  const tcp = await checkBroker(url, 5432);
  if (!tcp.available) return tcp;
  // Loaded here, so a test that needs only brokers does not load the client library.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return { available: true, reason: '' };
  } catch (e) {
    return { available: false, reason: (e as Error).message || String((e as { code?: unknown }).code) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
