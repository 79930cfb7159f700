// node bench/csv-encoder.mjs (after npm run build; part of npm run bench): the CSV sink's row encoder alone, in
// nanoseconds a row. One generated day of 1,000 meters (96,000 readings, the meters' text made by DuckDB as the sink
// makes it) is encoded over and over into one buffer; no file is written. What the sink's main thread spends per
// row on text (docs/PERFORMANCE.md).
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const { resolveScenario } = await import(dist('scenario/scenario.js'));
const { buildFleet } = await import(dist('fleet/fleet.js'));
const { generationDays } = await import(dist('generator/calendar.js'));
const { ReadingGenerator } = await import(dist('generator/reading-generator.js'));
const { Warehouse } = await import(dist('warehouse/warehouse.js'));
const { CsvMeterText } = await import(dist('sinks/files/csv-meter-text.js'));
const { CsvRowEncoder } = await import(dist('sinks/files/csv-row-encoder.js'));

const scenario = resolveScenario({ area: 'ERCOT', start: '2026-07-01', days: 1, meters: 1_000, seed: 7 });
const fleet = buildFleet(scenario);
const batch = new ReadingGenerator(scenario, fleet).generate(generationDays(scenario)[0], 0, fleet.meterIds.length);
const warehouse = await Warehouse.open(':memory:');
const meters = await CsvMeterText.build(warehouse.connection, fleet, scenario.area);
warehouse.close();
const encoder = new CsvRowEncoder(meters, { intervalMinutes: scenario.intervalMinutes, emissionPattern: scenario.emissionPattern });
const out = new Uint8Array(batch.length * encoder.maxRowBytes);

const REPEATS = 20;
const rounds = [];
for (let round = 0; round < 8; round++) {
  const started = process.hrtime.bigint();
  for (let r = 0; r < REPEATS; r++) {
    if (encoder.encode(batch, 0, out, 0) !== batch.length) throw new Error('the buffer did not hold the batch');
  }
  rounds.push(Number(process.hrtime.bigint() - started) / (REPEATS * batch.length));
}
// The first rounds warm the JIT up; the best of the rest is the figure, the spread shows the noise.
const settled = rounds.slice(3).sort((a, b) => a - b);
console.log(`\nCSV row encoder, ${batch.length.toLocaleString('en-US')} readings (${(encoder.end / batch.length).toFixed(0)} bytes a row):`);
console.log(`  ${settled[0].toFixed(0)} ns a row (rounds after warm-up: ${settled.map((ns) => ns.toFixed(0)).join(', ')})`);
