import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { GOLD_TABLES } from '../../src/pipeline/pipeline-schema.js';
import { pipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { loadStage } from '../../src/pipeline/stage-loader.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { byHour, engineReadings, HOUR_MS, type EngineReading } from '../support/pipeline.js';

/**
 * A pass types a batch's good lines into silver as the checks read them, in the batch's transaction; silver typed
 * from bronze (databases whose bronze is ahead of silver, and the catch-up after a load without a refresh) must give
 * the same rows, and a pass that dies after its loads must leave nothing for the next pass to miss.
 */

let readings: EngineReading[];
let dir: string;
let sequence = 0;
beforeAll(async () => {
  readings = await engineReadings();
  dir = await mkdtemp(join(tmpdir(), 'forge-silver-typing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A reading as a flat line (the flat schema's columns, no header): its message id and emission time are rebuilt. */
const flatLine = (r: EngineReading): string =>
  JSON.stringify({ ...r.record.meter, ...r.record.reading, ...r.record.quality, emission_pattern: r.record.metadata.emission_pattern });

/** Lines whose message id is not a string, whose ids hold escapes, or that fail a check. */
function oddLine(r: EngineReading, kind: number): string {
  const m = structuredClone(r.record) as unknown as { header: Record<string, unknown>; meter: Record<string, unknown>; reading: Record<string, unknown> };
  if (kind === 0) m.header.message_id = 42;
  if (kind === 1) m.meter.transformer_id = `${String(m.meter.transformer_id)} "\u00e9\\\n"`;
  if (kind === 2) m.reading.interval_minutes = '15';
  if (kind === 3) delete m.header.emitted_at;
  return JSON.stringify(m);
}

interface Delivery {
  readonly key: string;
  readonly body: Buffer;
}

/** The stage's files: hour files of nested, flat or odd lines, some hours delivered twice (other writer, later). */
function deliveries(shapes: readonly number[], twice: readonly boolean[]): Delivery[] {
  const out: Delivery[] = [];
  for (const [h, hour] of byHour(readings).entries()) {
    const shape = shapes[h % shapes.length]!;
    const lines = hour.map((r, i) => (shape === 0 ? r.line : shape === 1 ? flatLine(r) : oddLine(r, i % 4)));
    const body = gzipSync(lines.join('\n') + '\n');
    out.push({ key: stageKey(hour[0]!.tsUtcMs + HOUR_MS, 'typing', sequence++, 'json.gz'), body });
    if (twice[h % twice.length]) out.push({ key: stageKey(hour[0]!.tsUtcMs + 2 * HOUR_MS, 'again', sequence++, 'json.gz'), body });
  }
  return out;
}

/** Silver (every column but the load time) and every gold table, as text in a stable order. */
async function contents(w: Warehouse): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of ['silver_ami', ...GOLD_TABLES]) {
    const rows = await w.rows(table === 'silver_ami' ? `SELECT * EXCLUDE (loaded_at) FROM silver_ami` : `SELECT * FROM ${table}`);
    // Gold's sums to 12 digits: a sum's last bits depend on the order DuckDB meets the rows in.
    tables[table] = rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'number' && table !== 'silver_ami' ? Number(v.toPrecision(12)) : v))).sort();
  }
  return tables;
}

describe('silver typed by the checks as the lines load', () => {
  it('generated stages (fast-check, fixed seed): a pass gives the silver and gold of silver typed from bronze, and a pass that dies after its loads is completed by the next', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 23 }),
        async (shapes, twice, cut) => {
          const files = deliveries(shapes, twice);
          const stage = new LocalStageStore(join(dir, `stage-${sequence++}`));
          for (const f of files.slice(0, cut)) await stage.put(f.key, f.body);
          const typed = await Warehouse.open(':memory:');
          const fromBronze = await Warehouse.open(':memory:');
          const died = await Warehouse.open(':memory:');
          try {
            // Typed as loaded: one pass, then a second over the rest of the stage.
            await runPipelineOnce(typed, stage);
            // From bronze: the loads alone (no refresh), then the pass, whose refresh types what bronze holds.
            await loadStage(fromBronze, stage);
            await runPipelineOnce(fromBronze, stage);
            // A pass that died after its loads (silver rows of refresh 1, no gold, no history row), then a pass.
            await loadStage(died, stage, { refreshId: 1 });
            expect(await died.number(`SELECT count(*) FROM silver_ami WHERE refresh_id = 1`)).toBeGreaterThan(0);
            expect(await died.number(`SELECT count(*) FROM gold_usage_hourly`)).toBe(0);
            // pipeline status counts them as not yet published (lag from their oldest emission), until the next pass.
            const oldest = await died.number(`SELECT epoch_ms(min(coalesce(emitted_at, loaded_at))) FROM silver_ami`);
            const now = Date.now();
            expect((await pipelineStatus(died, null, now)).lagMs).toBeGreaterThanOrEqual(now - oldest);
            const resumed = await runPipelineOnce(died, stage);
            expect(resumed.refreshId).toBe(1);
            expect(resumed.silverRows).toBe(await died.number(`SELECT count(*) FROM silver_ami`));
            expect((await pipelineStatus(died, null)).lagMs).toBe(0);

            for (const f of files.slice(cut)) await stage.put(f.key, f.body);
            for (const w of [typed, fromBronze, died]) await runPipelineOnce(w, stage);
            const expected = await contents(fromBronze);
            expect(expected.silver_ami!.length).toBeGreaterThan(0);
            expect(await contents(typed)).toEqual(expected);
            expect(await contents(died)).toEqual(expected);
            const rejected = await typed.number(`SELECT count(*) FROM stage_rejects`);
            expect(rejected).toBe(await fromBronze.number(`SELECT count(*) FROM stage_rejects`));
          } finally {
            for (const w of [typed, fromBronze, died]) w.close();
          }
        },
      ),
      { seed: 20_261_207, numRuns: 12 },
    );
  }, 300_000);
});
