/**
 * Worker-thread entry of the scenario tools (preview, fleet metrics, fleet map): answers each request with
 * answerScenarioTool over its own generator cache, so building a large fleet never holds up the server's event loop.
 * Protocol: the main thread posts { id, request }; this thread posts { id, answer } or { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import { errorText } from '../util/error-text.js';
import { loadScenarioFleet } from '../warehouse/fleet-file.js';
import { GeneratorCache } from './generator-cache.js';
import { answerScenarioTool, type ScenarioToolAnswer, type ScenarioToolRequest } from './scenario-tools.js';

export interface ScenarioToolsCall {
  readonly id: number;
  readonly request: ScenarioToolRequest;
}

export type ScenarioToolsReply =
  | { readonly id: number; readonly answer: ScenarioToolAnswer }
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (!port) throw new Error('scenario-tools-worker must run in a worker thread');
const cache = new GeneratorCache();

port.on('message', async ({ id, request }: ScenarioToolsCall) => {
  let reply: ScenarioToolsReply;
  try {
    // An imported fleet's file is read in this thread too (the main thread confined and checked it).
    await loadScenarioFleet(request.scenario);
    reply = { id, answer: answerScenarioTool(request, cache) };
  } catch (error) {
    // The main thread checked the scenario before asking: an error here is unexpected (answered as 500, logged).
    reply = { id, error: errorText(error) };
  }
  port.postMessage(reply);
});
