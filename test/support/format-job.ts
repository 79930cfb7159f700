import type { Fleet } from '../../src/fleet/fleet.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { workPlan } from '../../src/emit/work-plan.js';
import { ReadingGenerator } from '../../src/generator/reading-generator.js';
import type { ExchangeFormat } from '../../src/sinks/formats/exchange-format.js';
import { FormatSink } from '../../src/sinks/formats/format-sink.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import type { SinkResult } from '../../src/sinks/sink.js';

/** The real generator's readings of a scenario as a job sends them (work units in order), each batch a copy. */
export function* realBatches(scenario: Scenario, unitRows?: number) {
  const generator = new ReadingGenerator(scenario);
  for (const unit of workPlan(scenario, unitRows)) {
    const batch = generator.generate(unit.day, unit.meterStart, unit.meterEnd);
    yield { batch, info: { localDate: unit.day.localDate, lastOfDate: unit.lastOfDay, sequence: unit.sequence } };
  }
}

/** Runs an exchange-format sink over a scenario's real readings (a batch job without the job machinery). */
export async function runFormatJob(format: ExchangeFormat, scenario: Scenario, dir: string, options: { jobId?: string; fleet?: Fleet; stopAfter?: number; unitRows?: number } = {}): Promise<SinkResult | null> {
  const fleet = options.fleet ?? buildFleet(scenario);
  const sink = new FormatSink({ format, dir });
  await sink.open({ scenario, fleet, jobId: options.jobId ?? 'job-format-test' });
  let written = 0;
  for (const { batch, info } of realBatches(scenario, options.unitRows)) {
    if (options.stopAfter !== undefined && written === options.stopAfter) {
      await sink.abort(new Error('stopped by the test'));
      return null;
    }
    await sink.write(batch, info);
    written++;
  }
  return sink.close();
}
