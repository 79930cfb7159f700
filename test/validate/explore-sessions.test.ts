import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/jobs/batch-job.js';
import { resolveScenario } from '../../src/scenario/scenario.js';
import { DuckDbSink } from '../../src/sinks/duckdb/duckdb-sink.js';
import { isForgeError } from '../../src/util/forge-error.js';
import { ExploreSessions } from '../../src/validate/explore-sessions.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';

const dir = mkdtempSync(join(tmpdir(), 'forge-explore-sessions-'));
const path = join(dir, 'forge.duckdb');
beforeAll(async () => {
  await runBatchJob({ scenario: resolveScenario({ meters: 5, days: 1, seed: 3 }), sinks: [new DuckDbSink({ path })], jobId: 'job-a', workers: 0 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (w: Warehouse): Promise<number> => w.number(`SELECT count(*) FROM ami_fact`);

describe('ExploreSessions', () => {
  it('shares one read-only session between uses that follow each other, and opens a new one once the file has changed', async () => {
    const sessions = new ExploreSessions();
    try {
      const first = await sessions.use(path, async (s) => s.w);
      const second = await sessions.use(path, async (s) => s.w);
      expect(second).toBe(first);
      expect(await sessions.use(path, async (s) => s.source.kind)).toBe('star');
      expect(await sessions.use(path, (s) => count(s.w))).toBe(5 * 96);
      // Another job appends: the next use sees its rows through a new session.
      await runBatchJob({ scenario: resolveScenario({ meters: 5, days: 1, seed: 4 }), sinks: [new DuckDbSink({ path, append: true })], jobId: 'job-b', workers: 0 });
      const third = await sessions.use(path, async (s) => s.w);
      expect(third).not.toBe(first);
      expect(await sessions.use(path, (s) => count(s.w))).toBe(2 * 5 * 96);
    } finally {
      await sessions.closeAll();
    }
  }, 60_000);

  it('refuses a database that is neither an output nor a pipeline database, and keeps no session for it', async () => {
    const empty = join(dir, 'empty.duckdb');
    (await Warehouse.open(empty)).close();
    const sessions = new ExploreSessions();
    const code = await sessions.use(empty, async () => 'opened').then((v) => v, (e: unknown) => (isForgeError(e) ? e.code : String(e)));
    expect(code).toBe('FORGE_ERR_OUTPUT_NOT_FOUND');
    await sessions.closeAll();
  });
});
