import type { Worker } from 'node:worker_threads';
import { ForgeError } from './forge-error.js';

/**
 * Reports a worker thread's failure as FORGE_ERR_WORKER: an uncaught error, or an exit that was not asked for (killed,
 * out of memory: a worker that dies without an 'error' event must not leave its caller waiting for ever).
 */
export function onWorkerFailure(worker: Worker, stopping: () => boolean, fail: (error: ForgeError) => void): void {
  worker.on('error', (error) => fail(new ForgeError('FORGE_ERR_WORKER', [error.message], { cause: error })));
  worker.on('exit', (code) => {
    if (!stopping()) fail(new ForgeError('FORGE_ERR_WORKER', [`worker exited with code ${code}`]));
  });
}
