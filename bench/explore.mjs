// Explore's queries on the `se` preset (1,000 meters x 90 days at 15 minutes = 8.64M rows), from every reading of a
// DuckDB output (not part of npm run bench: it generates 8.64M rows first). Prints, with the machine's load:
//   - cold: every panel computed one after another, no cache (what `forge report` does), per panel and in all;
//   - first visit: as the Explore page asks, the overview, then every other panel at once, computed one at a time
//     (quick ones first) as the server does, with an empty cache: when the first chart and the last one arrive;
//   - again: the same requests answered by the server's cache (memory), and by a new cache over the same directory
//     (a restarted server: answers read from disk).
//   npm run build && node bench/explore.mjs [--db existing.duckdb] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(flag('--runs', '3'));
const dir = mkdtempSync(join(tmpdir(), 'forge-bench-explore-'));
const { EXPLORE_PANELS, exploreOutput, explorePanels } = await import(new URL('../dist/validate/explore-queries.js', import.meta.url).href);
const { ExploreCache } = await import(new URL('../dist/validate/explore-cache.js', import.meta.url).href);
const { ExploreGate } = await import(new URL('../dist/validate/explore-gate.js', import.meta.url).href);
const { ExploreSessions } = await import(new URL('../dist/validate/explore-sessions.js', import.meta.url).href);

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

/** The page's requests: the overview, then the other panels side by side; when each arrived, from the start. */
async function pageVisit(db, cache) {
  const gate = new ExploreGate();
  const sessions = new ExploreSessions();
  const start = performance.now();
  await explorePanels(db, ['overview'], { cache, gate, sessions });
  const overview = performance.now() - start;
  const arrived = await Promise.all(
    EXPLORE_PANELS.filter((p) => p !== 'overview').map(async (p) => {
      const [answer] = await explorePanels(db, [p], { cache, gate, sessions });
      return { panel: p, at: performance.now() - start, cached: answer.cached };
    }),
  );
  const ats = arrived.map((a) => a.at);
  await sessions.closeAll();
  return { overview, first: Math.min(...ats), last: Math.max(...ats), arrived };
}

try {
  let db = flag('--db', undefined);
  if (db === undefined) {
    db = join(dir, 'se.duckdb');
    const forge = new URL('../dist/cli/main.js', import.meta.url).pathname;
    const made = spawnSync(process.execPath, [forge, 'generate', '--preset', 'se', '--out', db, '--state-dir', join(dir, 'jobs')], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (made.status !== 0) throw new Error('forge generate --preset se failed');
  }
  console.log(`load average at start: ${load()}`);
  const totals = [];
  const panels = {};
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const data = await exploreOutput(db);
    totals.push(performance.now() - start);
    for (const [name, t] of Object.entries(data.timingsMs)) (panels[name] ??= []).push(t);
    if (i === 0) console.log(`explore: ${data.rows.toLocaleString('en-US')} readings of ${data.meters.toLocaleString('en-US')} meters, ${data.days} days (${db})`);
  }
  console.log(`cold, every panel one after another (no cache): median ${ms(median(totals))} of ${runs} runs (${totals.map(Math.round).join(', ')})`);
  for (const [name, times] of Object.entries(panels)) console.log(`  ${name.padEnd(12)} median ${ms(median(times))}`);

  const visits = { first: [], memory: [], disk: [] };
  for (let i = 0; i < runs; i++) {
    const cacheDir = join(dir, `cache-${i}`);
    const cache = new ExploreCache(cacheDir);
    visits.first.push(await pageVisit(db, cache));
    visits.memory.push(await pageVisit(db, cache));
    visits.disk.push(await pageVisit(db, new ExploreCache(cacheDir)));
  }
  for (const [name, list] of Object.entries(visits)) {
    const label = { first: 'first visit, empty cache', memory: 'again, from the cache in memory', disk: 'again after a restart, from the cache on disk' }[name];
    console.log(
      `${label}: overview ${ms(median(list.map((v) => v.overview)))}, first chart ${ms(median(list.map((v) => v.first)))}, every chart ${ms(median(list.map((v) => v.last)))} (medians of ${runs})`,
    );
  }
  const order = visits.first[0].arrived.sort((a, b) => a.at - b.at).map((a) => `${a.panel} ${ms(a.at)}`);
  console.log(`  first visit, when each panel arrived (run 1): ${order.join(', ')}`);
  console.log(`load average at end: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
