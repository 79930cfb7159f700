import { describe, expect, it } from 'vitest';
import { scenarioOf, type GenerateForm } from '../../ui/src/pages/generate-request.js';
import { moreScenario, NO_MORE_OPTIONS } from '../../ui/src/pages/more-options.js';

const form: GenerateForm = {
  template: 'quick', mode: 'batch', sinks: ['duckdb'], meters: 100, days: 7, area: 'TEXAS_GULF_COAST', segment: 'RESIDENTIAL',
  interval: 15, emissionPattern: 'UNIFORM', seed: 42, events: 'natural', speed: '', duration: '', paths: {}, settings: {}, more: NO_MORE_OPTIONS,
};

describe("the Generate page's fleet file", () => {
  it('sends the fleet file, and then none of the meters, area and segment the file decides', () => {
    expect(moreScenario({ ...NO_MORE_OPTIONS, fleetFile: ' fleets/mine.parquet ' }, 'batch')).toEqual({ fleetFile: 'fleets/mine.parquet' });
    const scenario = scenarioOf({ ...form, more: { ...NO_MORE_OPTIONS, fleetFile: 'fleets/mine.parquet' } });
    expect(scenario).toEqual({ days: 7, interval: 15, seed: 42, events: 'natural', emissionPattern: 'UNIFORM', fleetFile: 'fleets/mine.parquet' });
  });

  it('sends the invented fleet as before when it is empty', () => {
    expect(scenarioOf(form)).toEqual({ meters: 100, days: 7, area: 'TEXAS_GULF_COAST', interval: 15, seed: 42, events: 'natural', emissionPattern: 'UNIFORM', segment: 'RESIDENTIAL' });
  });
});
