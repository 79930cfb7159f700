import { buildFleet, type Fleet } from '../fleet/fleet.js';
import { DemoEvents } from '../generator/demo-events.js';
import { FEEDER_OUTAGES, forcedStormUtcMs, outageWindows, stormOutage, storms, TRANSFORMER_OUTAGES } from '../generator/outages.js';
import { SEGMENTS } from '../scenario/enums.js';
import { scenarioEndUtcMs, scenarioStartUtcMs, serviceAreaOf, type Scenario } from '../scenario/scenario.js';

/** Meters a map shows at most: an even sample of a larger fleet (a browser draws 10,000 points at once easily). */
export const MAX_MAP_METERS = 10_000;

export interface FleetMap {
  readonly meters: number;
  readonly shown: number;
  readonly segments: readonly string[];
  /** Per shown meter, columnar. */
  readonly latitude: number[];
  readonly longitude: number[];
  /** Index into segments. */
  readonly segment: number[];
  /** 1 when the meter's transformer or feeder has an outage (or a storm takes its feeder out) in the scenario's range. */
  readonly outage: number[];
  readonly transformers: number;
  readonly feeders: number;
  readonly substations: number;
}

/**
 * Where a scenario's meters are, and which of them lose power during its range: the same outage windows the
 * generator draws (transformer failures, feeder faults, natural and forced storms, a demo's scheduled outages; none for
 * a quiet fleet), so the map agrees with the data.
 */
export function fleetMap(scenario: Scenario, maxMeters = MAX_MAP_METERS, fleet: Fleet = buildFleet(scenario)): FleetMap {
  const step = Math.max(1, fleet.size / maxMeters);
  const from = scenarioStartUtcMs(scenario);
  const to = scenarioEndUtcMs(scenario);
  // A quiet fleet has no outage; a demo adds its scheduled transformer outages (events, scenario/event-mode.ts).
  const quiet = scenario.events === 'none';
  const demo = scenario.events === 'demo' ? new DemoEvents(scenario, fleet) : null;
  const stormList = quiet ? [] : storms(scenario.seed, forcedStormUtcMs(scenario.storm, serviceAreaOf(scenario).timeZone), from, to);
  const windows: number[] = [];
  const transformerOut = new Map<number, boolean>();
  const feederOut = new Map<number, boolean>();
  const out = (cache: Map<number, boolean>, asset: number, draw: () => void): boolean => {
    let known = cache.get(asset);
    if (known === undefined) {
      windows.length = 0;
      draw();
      known = windows.length > 0;
      cache.set(asset, known);
    }
    return known;
  };
  const map: FleetMap = { meters: fleet.size, shown: 0, segments: SEGMENTS, latitude: [], longitude: [], segment: [], outage: [], transformers: fleet.transformerIds.length, feeders: fleet.feederIds.length, substations: fleet.substationIds.length };
  for (let k = 0; k < fleet.size / step && k < maxMeters; k++) {
    const m = Math.floor(k * step);
    const xfmr = fleet.transformer[m]!;
    const feeder = fleet.feeder[m]!;
    const dark =
      // A storm's restoration ends per transformer (feeder, lateral, then transformer), so storms go with it.
      out(transformerOut, xfmr, () => {
        if (!quiet) outageWindows(scenario.seed, TRANSFORMER_OUTAGES, xfmr, from, to, windows);
        for (const storm of stormList) stormOutage(scenario.seed, storm, feeder, xfmr, from, to, windows);
        demo?.outageWindows(xfmr, from, to, windows);
      }) ||
      (!quiet && out(feederOut, feeder, () => outageWindows(scenario.seed, FEEDER_OUTAGES, feeder, from, to, windows)));
    map.latitude.push(Math.round(fleet.latitude[m]! * 1e5) / 1e5);
    map.longitude.push(Math.round(fleet.longitude[m]! * 1e5) / 1e5);
    map.segment.push(fleet.segment[m]!);
    map.outage.push(dark ? 1 : 0);
  }
  return { ...map, shown: map.latitude.length };
}
