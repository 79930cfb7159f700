import { ReadingGenerator } from '../generator/reading-generator.js';
import { scenarioToInput, type Scenario } from '../scenario/scenario.js';

/** Meters the cached generators may hold together (a generator keeps its fleet: about 1 KB a meter). */
const MAX_CACHED_METERS = 1_200_000;

/**
 * The reading generators (and their fleets) of the scenarios the Generate page asked about last. One configuration
 * asks for fleet metrics, the map and two previews at once; building a 100,000-meter fleet takes about 1.5 s of the
 * server's main thread, so it is built once and shared. Least recently used first out, bounded by meters.
 */
export class GeneratorCache {
  private readonly entries = new Map<string, ReadingGenerator>();

  constructor(private readonly maxMeters = MAX_CACHED_METERS) {}

  get(scenario: Scenario): ReadingGenerator {
    const key = JSON.stringify(scenarioToInput(scenario));
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const generator = new ReadingGenerator(scenario);
    this.entries.set(key, generator);
    let held = 0;
    for (const g of this.entries.values()) held += g.fleet.size;
    for (const [k, g] of this.entries) {
      if (held <= this.maxMeters || this.entries.size === 1) break;
      this.entries.delete(k);
      held -= g.fleet.size;
    }
    return generator;
  }

  get size(): number {
    return this.entries.size;
  }
}
