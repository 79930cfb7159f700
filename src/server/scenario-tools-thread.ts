import { Worker } from 'node:worker_threads';
import { workerEntry } from '../util/worker-entry.js';
import type { ScenarioToolAnswer, ScenarioToolRequest } from './scenario-tools.js';
import type { ScenarioToolsCall, ScenarioToolsReply } from './scenario-tools-worker.js';

/**
 * The server's scenario tools (preview, fleet metrics, fleet map) on one worker thread, started on first use: a
 * 100,000-meter fleet takes about 1.5 s to build, which on the main thread would hold up every other request (job
 * lists, health checks, live events). Requests are answered in order; the thread keeps its generator cache between
 * them. A thread that dies fails the requests in flight and is started again on the next one.
 */
export class ScenarioToolsThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (answer: ScenarioToolAnswer) => void; reject: (error: Error) => void }>();

  ask(request: ScenarioToolRequest): Promise<ScenarioToolAnswer> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, request } satisfies ScenarioToolsCall);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    const entry = workerEntry(import.meta.url, 'scenario-tools-worker');
    const worker = new Worker(entry.script, { eval: entry.eval });
    // The thread is idle between requests: it must not keep the process alive.
    worker.unref();
    worker.on('message', (reply: ScenarioToolsReply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!call) return;
      if ('error' in reply) call.reject(new Error(`scenario tools: ${reply.error}`));
      else call.resolve(reply.answer);
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`scenario tools thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
