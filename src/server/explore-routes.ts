import { opendir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JobStore } from '../jobs/job-store.js';
import { pathOf } from '../jobs/output-paths.js';
import { ForgeError } from '../util/forge-error.js';
import { formatIssues } from '../util/format-zod-error.js';
import { ExploreCache } from '../validate/explore-cache.js';
import { ExploreGate } from '../validate/explore-gate.js';
import { ExploreSessions } from '../validate/explore-sessions.js';
import { EXPLORE_PANELS, exploreOutput, explorePanels, type ExploreOptions } from '../validate/explore-queries.js';
import { exploreReportHtml } from '../validate/explore-report.js';
import { documentedRoute } from './documented-route.js';
import { confinedReadPath } from './output-policy.js';

/** Which output to explore: a recorded job's DuckDB output, or a DuckDB file (an output or a pipeline database) in the data directory. */
export const exploreQuery = z.strictObject({
  job: z.string().min(1).optional().describe('a job id whose DuckDB output to explore'),
  path: z.string().min(1).optional().describe('a DuckDB output or pipeline database inside the data directory'),
  meter: z.string().min(1).max(200).optional().describe("the meter whose week to show (default: the first meter id)"),
  panel: z.enum(EXPLORE_PANELS).optional().describe('one panel only (its data, time and whether it was cached); without: every panel at once'),
});

type ExploreQuery = z.infer<typeof exploreQuery>;

/** How deep under the data directory `GET /api/explore/files` looks for DuckDB files, and how many it lists. */
const FILES_DEPTH = 4;
const FILES_MAX = 200;

/** The DuckDB file a query names, confined to the data directory either way (a CLI job may have written anywhere). */
export async function exploreTarget(query: ExploreQuery, store: JobStore, dataDir: string): Promise<string> {
  if ((query.job === undefined) === (query.path === undefined)) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['give exactly one of job or path']);
  if (query.path !== undefined) return confinedReadPath(query.path, 'path', dataDir);
  const record = await store.load(query.job!);
  const duckdb = pathOf(record.output, 'duckdb');
  if (duckdb === undefined) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`job: ${query.job} wrote no DuckDB output (sinks: ${record.output.sink.join(', ')})`]);
  return confinedReadPath(duckdb, 'job', dataDir);
}

const parseQuery = (input: unknown): ExploreQuery => {
  const parsed = exploreQuery.safeParse(input ?? {});
  if (!parsed.success) throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [formatIssues(parsed.error.issues as never)]);
  return parsed.data;
};

/** The `*.duckdb` files under the data directory (DuckDB outputs and pipeline databases), newest first. */
async function duckdbFiles(dataDir: string): Promise<{ path: string; bytes: number; modified: string }[]> {
  const root = resolve(dataDir);
  const found: { path: string; bytes: number; modified: string }[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await opendir(dir);
    } catch {
      return;
    }
    for await (const entry of entries) {
      if (found.length >= FILES_MAX) return;
      const full = join(dir, entry.name);
      if (entry.isDirectory() && depth < FILES_DEPTH && !entry.name.startsWith('.')) await walk(full, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.duckdb')) {
        const s = await stat(full).catch(() => null);
        if (s) found.push({ path: relative(root, full), bytes: s.size, modified: s.mtime.toISOString() });
      }
    }
  };
  await walk(root, 0);
  return found.sort((a, b) => b.modified.localeCompare(a.modified) || a.path.localeCompare(b.path));
}

/**
 * The Explore page's data and the `forge report` HTML of the same output, both computed by DuckDB from every reading.
 * Answers are cached per panel and database state, in memory and under `<state dir>/explore-cache` (the job records
 * ignore that directory): an unchanged output is explored again without reading its rows. The panels of one file are
 * computed one at a time, quick ones first (ExploreGate), so the page's side-by-side requests do not share the cores,
 * on one read-only session kept open for a moment (ExploreSessions).
 */
export function registerExploreRoutes(app: FastifyInstance, store: JobStore, dataDir: string): void {
  const cache = new ExploreCache(join(store.dir, 'explore-cache'));
  const gate = new ExploreGate();
  const sessions = new ExploreSessions();
  app.addHook('onClose', async () => sessions.closeAll());
  const optionsOf = (query: ExploreQuery): ExploreOptions => ({ cache, gate, sessions, ...(query.meter !== undefined ? { meterId: query.meter } : {}) });

  app.get('/api/explore', documentedRoute({ summary: 'Explore an output: load profiles, heat map, consumption, voltage, PV/EV, outages, events, realism (from every reading); one panel with ?panel=', tags: ['tools'], querystring: exploreQuery }), async (request) => {
    const query = parseQuery(request.query);
    const path = await exploreTarget(query, store, dataDir);
    if (query.panel === undefined) return exploreOutput(path, optionsOf(query));
    const [answer] = await explorePanels(path, [query.panel], optionsOf(query));
    return answer;
  });

  app.get('/api/explore/files', documentedRoute({ summary: 'The DuckDB files (outputs and pipeline databases) under the data directory, to explore by path', tags: ['tools'] }), async () => duckdbFiles(dataDir));

  app.get('/api/explore/report', documentedRoute({ summary: 'The same charts as one self-contained HTML file (forge report)', tags: ['tools'], querystring: exploreQuery }), async (request, reply) => {
    const query = parseQuery(request.query);
    const data = await exploreOutput(await exploreTarget(query, store, dataDir), optionsOf(query));
    return reply.type('text/html; charset=utf-8').header('content-disposition', 'inline; filename="forge-report.html"').send(exploreReportHtml(data));
  });
}
