// A batch job into the Redis Streams sink, run as its own process so a test can kill -9 it anywhere:
// argv: url stream jobId meters chunkRows unitRows. Prints "open", then "batch <sequence>" after each batch the sink accepted.
import { emitBatches } from '../../src/emit/batch-emitter.js';
import { buildFleet } from '../../src/fleet/fleet.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { RedisStreamSink } from '../../src/sinks/redis/redis-stream-sink.js';

const [url, stream, jobId, meters, chunkRows, unitRows] = process.argv.slice(2) as [string, string, string, string, string, string];
const scenario = resolveScenario({ meters: Number(meters), days: 2, start: '2026-03-07', seed: 3 });
const sink = new RedisStreamSink({ url, stream, chunkRows: Number(chunkRows), maxLen: 0 });
await sink.open({ scenario, fleet: buildFleet(scenario), jobId });
process.stdout.write('open\n');
for await (const { batch, unit, release } of emitBatches(scenario, { workers: 0, unitRows: Number(unitRows) })) {
  await sink.write(batch, { localDate: unit.day.localDate, lastOfDate: unit.lastOfDay, sequence: unit.sequence });
  process.stdout.write(`batch ${unit.sequence}\n`);
  release();
}
await sink.close();
process.stdout.write('done\n');
