import { previewRecords } from '../generator/preview-records.js';
import type { FlatReading, NestedReading, Shape } from '../generator/reading-records.js';
import { resolveScenario } from '../scenario/scenario.js';
import type { ScenarioInput } from '../scenario/scenario-schema.js';
import { fleetMap, MAX_MAP_METERS, type FleetMap } from './fleet-map.js';
import type { GeneratorCache } from './generator-cache.js';

/** Readings a sample is measured on for the fleet metrics' row size. */
const SAMPLE_ROWS = 500;

/** What a fleet sends, from the measured encoded size of its own readings. */
export interface FleetMetrics {
  readonly meters: number;
  readonly intervalMinutes: number;
  readonly readingsPerMinute: number;
  readonly eventsPerMinute: number;
  readonly rowsPerHour: number;
  readonly bytesPerRow: number;
  readonly mbPerHour: number;
  readonly gbPerDay: number;
}

/** A question about a scenario the Generate page asks (the scenario already checked, as its exact input). */
export type ScenarioToolRequest =
  | { readonly tool: 'preview'; readonly scenario: ScenarioInput; readonly n: number; readonly shape: Shape }
  | { readonly tool: 'metrics'; readonly scenario: ScenarioInput }
  | { readonly tool: 'map'; readonly scenario: ScenarioInput };

export type ScenarioToolAnswer = { readonly records: (FlatReading | NestedReading)[] } | FleetMetrics | FleetMap;

/**
 * Answers a scenario tool with the scenario's generator from `cache` (built once for the page's four questions about
 * one configuration). Runs in the scenario-tools worker thread (ScenarioTools), where building a large fleet holds
 * nothing else up.
 */
export function answerScenarioTool(request: ScenarioToolRequest, cache: GeneratorCache): ScenarioToolAnswer {
  const scenario = resolveScenario(request.scenario);
  const generator = cache.get(scenario);
  switch (request.tool) {
    case 'preview':
      return { records: previewRecords(scenario, request.n, request.shape, generator) };
    case 'map':
      return fleetMap(scenario, MAX_MAP_METERS, generator.fleet);
    case 'metrics': {
      // The encoded size is measured, not assumed: the mean NDJSON length of a sample of the scenario's own readings.
      const sample = previewRecords(scenario, Math.min(SAMPLE_ROWS, scenario.meters * 24), 'flat', generator);
      const bytesPerRow = sample.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0) / sample.length;
      const events = sample.filter((r) => 'event_type' in r && r.event_type !== null).length / sample.length;
      const readingsPerMinute = scenario.meters / scenario.intervalMinutes;
      const rowsPerHour = readingsPerMinute * 60;
      return {
        meters: scenario.meters,
        intervalMinutes: scenario.intervalMinutes,
        readingsPerMinute,
        eventsPerMinute: readingsPerMinute * events,
        rowsPerHour,
        bytesPerRow: Math.round(bytesPerRow),
        mbPerHour: (rowsPerHour * bytesPerRow) / 1e6,
        gbPerDay: (rowsPerHour * 24 * bytesPerRow) / 1e9,
      };
    }
  }
}
