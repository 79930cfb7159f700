// node bench/fleet-import.mjs [meters]: imports a generated inventory of 1,000,000 meters (CSV) into a fleet file and
// compares the memory an imported fleet holds per meter with an invented fleet's. Runs on dist/ (npm run build), or
// on the build in $FORGE_BENCH_DIST. Figures only: never asserted by tests.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.env.FORGE_BENCH_DIST ?? new URL('../dist/', import.meta.url).pathname;
const load = (path) => import(pathToFileURL(join(dist, path)).href);

if (process.argv[2] === 'child') {
  const [, , , what, csv, out, meters] = process.argv;
  const { FleetImporter } = await load('fleet/fleet-import.js');
  const { readInventory } = await load('warehouse/inventory-source.js');
  const { writeFleetFile, withFleetFile } = await load('warehouse/fleet-file.js');
  const { buildFleet } = await load('fleet/fleet.js');
  const { resolveScenario } = await load('scenario/scenario.js');
  const retained = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = retained();
  const started = performance.now();
  let fleet;
  if (what === 'import') {
    const importer = new FleetImporter({ seed: 42, area: 'TEXAS_GULF_COAST' });
    await readInventory(csv, { map: {} }, (row, line) => importer.add(row, line));
    const { fleet: imported, report } = importer.finish();
    if (!imported) throw new Error(`import refused: ${JSON.stringify(report.problemList.slice(0, 3))}`);
    await writeFleetFile(out, imported);
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  }
  if (what === 'imported') fleet = buildFleet(resolveScenario(await withFleetFile({ fleetFile: out, days: 1, start: '2026-07-01' })));
  else fleet = buildFleet(resolveScenario({ meters: Number(meters), days: 1, start: '2026-07-01' }));
  const seconds = (performance.now() - started) / 1000;
  const bytes = retained() - before;
  console.log(JSON.stringify({ seconds, bytesPerMeter: bytes / fleet.size, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const meters = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'forge-fleet-bench-'));
try {
  const csv = join(dir, 'inventory.csv');
  const out = join(dir, 'fleet.parquet');
  // An inventory as a utility exports one: ids, transformers of about six homes, feeders, substations, locations,
  // segments, PV and EV for some homes; the model fills nothing but the customers' behaviour.
  const file = createWriteStream(csv);
  file.write('meter_id,transformer_id,feeder_id,substation_id,latitude,longitude,segment,pv_kw,ev\n');
  for (let i = 0; i < meters; i++) {
    const seg = i % 10 === 9 ? 'COMMERCIAL' : i % 100 === 98 ? 'INDUSTRIAL' : 'RESIDENTIAL';
    const xfmr = seg === 'RESIDENTIAL' ? `T${Math.floor(i / 6)}` : `TC${i}`;
    const line = `UTIL${String(i).padStart(8, '0')},${xfmr},F${Math.floor(i / 996)},S${Math.floor(i / 4980)},${(29.5 + (i % 1000) / 2000).toFixed(6)},${(-95.5 + Math.floor(i / 1000) / 2000).toFixed(6)},${seg},${i % 17 === 0 ? '6.5' : ''},${i % 29 === 0 ? 'Y' : ''}\n`;
    if (!file.write(line)) await new Promise((resolve) => file.once('drain', resolve));
  }
  await new Promise((resolve) => file.end(resolve));
  const run = (what) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, 'child', what, csv, out, String(meters)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 }).trim().split('\n').pop());
  const imported = run('import');
  const fleetImported = run('imported');
  const fleetInvented = run('invented');
  console.log(`fleet import: ${meters.toLocaleString('en-US')} meters, CSV ${(statSync(csv).size / 2 ** 20).toFixed(0)} MB -> fleet file ${(statSync(out).size / 2 ** 20).toFixed(1)} MB`);
  console.log(`  import (read, check, fill, write): ${imported.seconds.toFixed(1)} s, peak RSS ${imported.peakRssMb.toFixed(0)} MB`);
  console.log(`  imported fleet (read file + build): ${fleetImported.seconds.toFixed(1)} s, ${fleetImported.bytesPerMeter.toFixed(0)} bytes/meter held`);
  console.log(`  invented fleet (buildFleet):        ${fleetInvented.seconds.toFixed(1)} s, ${fleetInvented.bytesPerMeter.toFixed(0)} bytes/meter held`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
