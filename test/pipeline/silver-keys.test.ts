import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { ensurePipelineSchema } from '../../src/pipeline/pipeline-schema.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { byHour, engineReadings, HOUR_MS, ndjson, type EngineReading } from '../support/pipeline.js';

let readings: EngineReading[];
let dir: string;
let sequence = 0;
beforeAll(async () => {
  readings = await engineReadings();
  dir = await mkdtemp(join(tmpdir(), 'forge-silver-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyOf = (r: EngineReading): string => `${r.record.meter.meter_id}@${r.tsUtcMs}`;
/** The reading delivered again with another usage: silver must keep the first copy's. */
const altered = (r: EngineReading, copy: number): EngineReading => {
  const record = { ...r.record, reading: { ...r.record.reading, usage_kwh: r.record.reading.usage_kwh + copy + 1 } };
  return { ...r, record, line: JSON.stringify(record) };
};

/**
 * A database made before silver kept its keys by the refresh: silver_ami with its primary key. The refresh must
 * behave the same on it.
 */
async function keyedSilver(w: Warehouse): Promise<void> {
  await ensurePipelineSchema(w);
  const sql = String((await w.rows(`SELECT sql FROM duckdb_tables() WHERE table_name = 'silver_ami'`))[0]!.sql);
  await w.run('DROP TABLE silver_ami');
  await w.run(sql.replace(/\)\s*;?\s*$/, ', PRIMARY KEY (meter_id, reading_ts_utc));'));
  expect(await w.number(`SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'silver_ami' AND constraint_type = 'PRIMARY KEY'`)).toBe(1);
}

describe('silver: one row per (meter, interval), the first copy in bronze order, over passes', () => {
  it.each([
    { schema: 'without a primary key (new databases)', keyed: false },
    { schema: 'with the primary key of older databases', keyed: true },
  ])(
    'generated deliveries: hour files spread over passes, copies (other values) re-delivered in later passes and within a file, silver typed in chunks of any size: $schema',
    async ({ keyed }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.nat(), { minLength: 24, maxLength: 24 }),
          fc.array(fc.integer({ min: 0, max: readings.length - 1 }), { maxLength: 40 }),
          // Bronze ids typed at a time: the default (a pass in one chunk here) or a few, so copies fall in other chunks.
          fc.option(fc.integer({ min: 16, max: 97 }), { nil: undefined }),
          async (passes, passOfHour, copies, silverChunkRows) => {
            const root = join(dir, `case-${sequence++}`);
            await mkdir(root, { recursive: true });
            const stage = new LocalStageStore(join(root, 'stage'));
            const w = await Warehouse.open(join(root, 'p.duckdb'));
            try {
              if (keyed) await keyedSilver(w);
              const hours = byHour(readings);
              const firstUsage = new Map<string, number>();
              let file = 0;
              for (let pass = 0; pass < passes; pass++) {
                for (const [h, hour] of hours.entries()) {
                  if (passOfHour[h]! % passes !== pass) continue;
                  for (const r of hour) firstUsage.set(keyOf(r), r.record.reading.usage_kwh);
                  await stage.put(stageKey(hour[0]!.tsUtcMs + HOUR_MS, 'hours', file++, 'json.gz'), gzipSync(ndjson(hour)));
                }
                // Copies of readings delivered in this pass or before, twice in one file, with other values.
                const again = copies
                  .map((i) => readings[i]!)
                  .filter((r) => passOfHour[hours.findIndex((g) => g.includes(r))]! % passes <= pass)
                  .flatMap((r, n) => [altered(r, n), altered(r, n + 1)]);
                if (again.length > 0) await stage.put(stageKey(readings.at(-1)!.tsUtcMs + 2 * HOUR_MS + pass, 'again', file++, 'json.gz'), gzipSync(ndjson(again)));
                await runPipelineOnce(w, stage, { silverChunkRows });
              }
              expect(await w.number(`SELECT count(*) FROM silver_ami`)).toBe(readings.length);
              const rows = await w.rows(`SELECT meter_id, epoch_ms(reading_ts_utc) AS t, usage_kwh FROM silver_ami`);
              const wrong = rows.filter((r) => firstUsage.get(`${String(r.meter_id)}@${Number(r.t)}`) !== Number(r.usage_kwh));
              expect(wrong).toEqual([]);
            } finally {
              w.close();
              await rm(root, { recursive: true, force: true });
            }
          },
        ),
        { seed: 20261207, numRuns: 10 },
      );
    },
    240_000,
  );
});
