// A process that makes a stream's first days with a day worker and never closes the source: it must still exit.
import { buildFleet } from '../../src/fleet/fleet.js';
import { generationDays } from '../../src/generator/calendar.js';
import { resolveScenario, scenarioEndUtcMs, scenarioStartUtcMs } from '../../src/scenario/scenario.js';
import { emissionDaySource } from '../../src/stream/emission-day-source.js';
import { resolveEmission } from '../../src/stream/emission-settings.js';

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-06-01', days: 4, meters: 30, seed: 5 });
const days = generationDays(scenario);
const window = { fromUtcMs: scenarioStartUtcMs(scenario), toUtcMs: scenarioEndUtcMs(scenario) };
const source = emissionDaySource({ scenario, fleet: buildFleet(scenario), settings: resolveEmission('UNIFORM'), window, days, workers: 1 });
const first = await source.get(days[0]!);
const second = await source.get(days[1]!);
process.stdout.write(`${first.readings + second.readings}\n`);
