import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The machine's message brokers for integration tests: Mosquitto (MQTT) and NATS with JetStream. Tests skip, saying
 * why, when a broker is absent, except on CI (env CI set), where absence must fail: see `brokerGate`.
 */
export const MQTT_URL = process.env.FORGE_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
export const NATS_URL = process.env.FORGE_NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.FORGE_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BrokerStatus {
  readonly available: boolean;
  /** Why it is not available (empty when it is). */
  readonly reason: string;
}

/** Whether something accepts TCP connections at the URL's host and port, within `timeoutMs`. */
export function checkBroker(url: string, defaultPort: number, timeoutMs = 1_000): Promise<BrokerStatus> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (status: BrokerStatus): void => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(timeoutMs, () => done({ available: false, reason: `no answer from ${host}:${port} within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ available: true, reason: '' }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ available: false, reason: `${host}:${port}: ${e.code ?? e.message}` }));
  });
}

export const mqttBroker = (): Promise<BrokerStatus> => checkBroker(MQTT_URL, 1883);
export const natsBroker = (): Promise<BrokerStatus> => checkBroker(NATS_URL, 4222);
export const redisServer = (): Promise<BrokerStatus> => checkBroker(REDIS_URL, 6379);

export interface BrokerGate {
  /** Run the broker's tests: it is there, or CI requires it (they then fail, as they should). */
  readonly run: boolean;
  /** A suffix for the suite title: why it is skipped, or that CI requires it. */
  readonly note: string;
  readonly required: boolean;
}

/** Decides whether a broker's suite runs, and prints why when it is skipped. */
export function brokerGate(name: string, url: string, status: BrokerStatus): BrokerGate {
  const required = Boolean(process.env.CI);
  if (status.available) return { run: true, note: '', required };
  if (required) return { run: true, note: ` (required on CI; ${name} unavailable: ${status.reason})`, required };
  const note = ` (skipped: ${name} at ${url} unavailable: ${status.reason}; set CI to make absence a failure)`;
  console.warn(`${name} tests${note}`);
  return { run: false, note, required };
}

/** A fresh name part for topics, subjects and streams, so runs (and concurrent runs) never see each other's messages. */
export const runId = (): string => randomUUID().replace(/-/g, '').slice(0, 10);

/** A TCP port nothing listens on (bound, then released), for "broker unreachable" tests. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ForgeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/**
 * Runs the forge CLI from source like test/support/run-forge.ts, but without blocking: a subscriber in the test process
 * must keep reading (and acknowledging) while the CLI publishes, or the broker queues and drops for it.
 */
export function runForgeAsync(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<ForgeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface TcpProxy {
  /** The service URL through the proxy (same scheme, user and path; the proxy's port). */
  readonly url: string;
  /** Connections accepted so far (a reconnect makes a new one). */
  readonly connections: number;
  /** Drops every open connection; new ones are still relayed. */
  cut(): void;
  /** The service "goes away" (a restart, a network outage): open connections are dropped and new ones reset, until `up`. */
  down(): void;
  /** The service is back: connections are relayed again. */
  up(): void;
  /** Stops relaying: drops every connection and refuses new ones. */
  close(): Promise<void>;
}

/**
 * A TCP relay (node:net) in front of a real service whose connections can be cut, or the service taken away for a
 * while and brought back, to watch a client reconnect (or fail to, once closed).
 */
export async function tcpProxy(serviceUrl: string, defaultPort: number): Promise<TcpProxy> {
  const target = new URL(serviceUrl);
  const sockets = new Set<Socket>();
  let connections = 0;
  let isDown = false;
  const server: Server = createServer((client) => {
    connections++;
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || defaultPort), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(serviceUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as AddressInfo).port);
  const cut = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: proxied.toString(),
    get connections() {
      return connections;
    },
    cut,
    down: () => {
      isDown = true;
      cut();
    },
    up: () => {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cut();
      }),
  };
}
