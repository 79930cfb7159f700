/**
 * Worker-thread entry of a stream's day source: builds the scenario's fleet and an EmissionDayMaker once, then makes
 * the days it is asked for and transfers (not copies) their buffers back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFleet } from '../fleet/fleet.js';
import { rememberInventory } from '../fleet/imported-fleets.js';
import type { GenerationDay } from '../generator/calendar.js';
import { EmissionDayMaker, emissionDayBuffers } from './emission-day.js';
import type { DayReply, DayWorkerData } from './emission-day-messages.js';

const port = parentPort;
if (!port) throw new Error('emission-day-worker must run in a worker thread');
const data = workerData as DayWorkerData;
if (data.inventory) rememberInventory(data.inventory);
const maker = new EmissionDayMaker(data.scenario, buildFleet(data.scenario), data.settings, data.window);

port.on('message', (day: GenerationDay) => {
  let reply: DayReply;
  try {
    const made = maker.make(day);
    reply = { index: day.index, day: made };
    port.postMessage(reply, emissionDayBuffers(made));
  } catch (error) {
    reply = { index: day.index, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    port.postMessage(reply);
  }
});
