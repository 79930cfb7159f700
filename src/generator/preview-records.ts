import type { Scenario } from '../scenario/scenario.js';
import { generationDays } from './calendar.js';
import { ReadingGenerator } from './reading-generator.js';
import { recordOf, type FlatReading, type NestedReading, type Shape } from './reading-records.js';

/**
 * Sample readings of a scenario for a preview: one reading per meter at the first intervals of the first day, so a
 * sample crosses the fleet's segments; `n` readings at most. A caller that already holds the scenario's generator
 * (the server's cache) passes it: building one for a large fleet is the expensive part.
 */
export function previewRecords(scenario: Scenario, n: number, shape: Shape, generator = new ReadingGenerator(scenario)): (FlatReading | NestedReading)[] {
  const day = generationDays(scenario)[0]!;
  const meters = Math.min(scenario.meters, n);
  const batch = generator.generate(day, 0, meters);
  const out: (FlatReading | NestedReading)[] = [];
  for (let t = 0; t < day.intervals && out.length < n; t++) {
    for (let m = 0; m < meters && out.length < n; m++) out.push(recordOf(batch, m * day.intervals + t, generator.fleet, scenario.area, shape));
  }
  return out;
}
