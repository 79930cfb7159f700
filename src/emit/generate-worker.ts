/**
 * Worker-thread entry: builds the scenario's generator once, then answers work units with batches whose buffers are
 * transferred (not copied) back to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FleetInventory } from '../fleet/fleet-inventory.js';
import { rememberInventory } from '../fleet/imported-fleets.js';
import { batchBuffers } from '../generator/reading-batch.js';
import { ReadingGenerator } from '../generator/reading-generator.js';
import type { Scenario } from '../scenario/scenario.js';
import type { WorkerReply, WorkerRequest } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('generate-worker must run in a worker thread');
// The scenario, or with an imported fleet the scenario and the fleet file's inventory (batch-emitter.ts).
const data = workerData as Scenario | { scenario: Scenario; inventory: FleetInventory };
if ('inventory' in data) rememberInventory(data.inventory);
const generator = new ReadingGenerator('inventory' in data ? data.scenario : data);

port.on('message', (request: WorkerRequest) => {
  try {
    const batch = generator.generate(request.day, request.meterStart, request.meterEnd, request.recycled);
    const reply: WorkerReply = { sequence: request.sequence, batch };
    port.postMessage(reply, batchBuffers(batch));
  } catch (error) {
    const reply: WorkerReply = { sequence: request.sequence, error: error instanceof Error ? error.stack ?? error.message : String(error) };
    port.postMessage(reply);
  }
});
