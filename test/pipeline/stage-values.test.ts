import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAT_COLUMNS, type FlatReading, type NestedReading } from '../../src/generator/reading-records.js';
import { runPipelineOnce } from '../../src/pipeline/pipeline-runner.js';
import { GOLD_TABLES } from '../../src/pipeline/pipeline-schema.js';
import { LocalStageStore } from '../../src/stage/local-stage-store.js';
import { ndjsonToParquet } from '../../src/stage/ndjson-to-parquet.js';
import { stageKey } from '../../src/stage/stage-keys.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { engineReadings, type EngineReading } from '../support/pipeline.js';

/**
 * Hostile values per column, as the JSON text a line carries. `json` only: the value is valid once it is CSV text
 * ("15" is how CSV writes 15). `parquet`: the value fits the stage sink's Parquet column type (a string cannot sit in
 * a BOOLEAN column), so a Parquet file can hold it.
 */
interface Hostile {
  readonly column: (typeof FLAT_COLUMNS)[number];
  readonly text: (r: FlatReading) => string;
  readonly jsonOnly?: boolean;
  readonly parquet?: boolean;
}
const q = (s: string): string => JSON.stringify(s);
const shiftUtc = (iso: string, minutes: number): string => new Date(Date.parse(iso) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
/** Usage over the segment's bound for 15 minutes (100 kW, 10 MW, 100 MW import): 120 kW, 12 MW, 120 MW. */
const overBound = (r: FlatReading): string => ({ RESIDENTIAL: '30', COMMERCIAL: '3000', INDUSTRIAL: '30000' })[r.customer_segment];

const HOSTILE: readonly Hostile[] = [
  { column: 'meter_id', text: () => q(''), parquet: true },
  { column: 'meter_id', text: () => q('   '), parquet: true },
  { column: 'meter_id', text: () => 'null', parquet: true },
  { column: 'meter_id', text: () => '42', jsonOnly: true },
  { column: 'meter_id', text: () => q('M'.repeat(65)), parquet: true },
  { column: 'reading_ts_utc', text: () => q('infinity'), parquet: true },
  { column: 'reading_ts_utc', text: (r) => q(shiftUtc(r.reading_ts_utc, 7)), parquet: true },
  { column: 'reading_ts_utc', text: () => q('not a time'), parquet: true },
  { column: 'reading_ts_utc', text: (r) => q(r.reading_ts_utc.replace('T', ' ').replace('Z', '')), parquet: true },
  { column: 'reading_ts_utc', text: () => q('0050-03-01T00:00:00Z'), parquet: true },
  { column: 'reading_ts_utc', text: () => q('9999-12-31T00:00:00Z'), parquet: true },
  { column: 'reading_ts_utc', text: () => 'null', parquet: true },
  { column: 'reading_ts', text: () => q('infinity'), parquet: true },
  { column: 'reading_ts', text: () => q('2026-13-40 00:00:00'), parquet: true },
  { column: 'reading_ts', text: (r) => q(shiftUtc(`${r.reading_ts.replace(' ', 'T')}Z`, 7).replace('T', ' ').replace('Z', '')), parquet: true },
  { column: 'interval_minutes', text: () => '0', parquet: true },
  { column: 'interval_minutes', text: () => '-15', parquet: true },
  { column: 'interval_minutes', text: () => '7', parquet: true },
  { column: 'interval_minutes', text: () => '15.5' },
  { column: 'interval_minutes', text: () => q('15'), jsonOnly: true },
  { column: 'interval_minutes', text: () => 'null', parquet: true },
  { column: 'usage_kwh', text: () => '-1e300', parquet: true },
  { column: 'usage_kwh', text: () => '1e300', parquet: true },
  { column: 'usage_kwh', text: () => '1e999', parquet: true },
  { column: 'usage_kwh', text: () => '-1e999', parquet: true },
  { column: 'usage_kwh', text: (r) => overBound(r), parquet: true },
  { column: 'usage_kwh', text: () => q('0.3'), jsonOnly: true },
  { column: 'usage_kwh', text: () => 'true' },
  { column: 'usage_kwh', text: () => 'null', parquet: true },
  { column: 'voltage', text: () => '-5', parquet: true },
  { column: 'voltage', text: () => '5000', parquet: true },
  { column: 'voltage', text: () => '1e999', parquet: true },
  { column: 'voltage', text: () => q('120'), jsonOnly: true },
  { column: 'power_factor', text: () => '1.5', parquet: true },
  { column: 'temperature_c', text: () => '-273', parquet: true },
  { column: 'latitude', text: () => '91', parquet: true },
  { column: 'longitude', text: () => '-181', parquet: true },
  // An empty CSV field is a null, which an optional id may be.
  { column: 'transformer_id', text: () => q(''), jsonOnly: true, parquet: true },
  { column: 'circuit_id', text: () => '7', jsonOnly: true },
  { column: 'service_area', text: () => q('ATLANTIS'), parquet: true },
  { column: 'customer_segment', text: () => q('HOUSE'), parquet: true },
  { column: 'customer_segment', text: () => 'null', parquet: true },
  { column: 'is_outage', text: () => q('yes') },
  { column: 'is_outage', text: () => '1' },
  { column: 'is_outage', text: () => q('true'), jsonOnly: true },
  { column: 'is_outage', text: () => 'null', parquet: true },
  { column: 'data_quality', text: () => q('BANANA'), parquet: true },
  { column: 'data_quality', text: () => q('valid'), parquet: true },
  { column: 'data_quality', text: () => 'null', parquet: true },
  { column: 'data_quality', text: () => '3', jsonOnly: true },
  { column: 'event_type', text: () => q('ZAP'), parquet: true },
  { column: 'event_type', text: () => q(''), jsonOnly: true, parquet: true },
  { column: 'emission_pattern', text: () => q('FAST'), parquet: true },
];

const FORMATS = ['ndjson', 'ndjson.gz', 'ndjson-flat', 'csv', 'csv.gz', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const fits = (h: Hostile, format: Format): boolean => (format.startsWith('csv') ? !h.jsonOnly : format === 'parquet' ? h.parquet === true : true);

function groupOf(column: string): keyof NestedReading {
  if (['meter_id', 'transformer_id', 'circuit_id', 'substation_id', 'service_area', 'customer_segment', 'latitude', 'longitude'].includes(column)) return 'meter';
  if (['is_outage', 'data_quality', 'event_type'].includes(column)) return 'quality';
  if (column === 'emission_pattern') return 'metadata';
  return 'reading';
}

const flatOf = (r: EngineReading): FlatReading => {
  const { meter, reading, quality, metadata } = r.record;
  return { ...meter, ...reading, ...quality, emission_pattern: metadata.emission_pattern } as FlatReading;
};

/** One line as JSON text with the column's value replaced by `text` (raw JSON), nested or flat. */
function jsonLine(r: EngineReading, shape: 'nested' | 'flat', hostile?: { column: string; text: string }): string {
  const MARK = '"__HOSTILE__"';
  if (shape === 'flat') {
    const flat: Record<string, unknown> = { ...flatOf(r) };
    if (hostile) flat[hostile.column] = '__HOSTILE__';
    return JSON.stringify(flat).replace(MARK, hostile?.text ?? MARK);
  }
  const nested = structuredClone(r.record) as unknown as Record<string, Record<string, unknown>>;
  if (hostile) nested[groupOf(hostile.column)]![hostile.column] = '__HOSTILE__';
  return JSON.stringify(nested).replace(MARK, hostile?.text ?? MARK);
}

/** A CSV line as the stage sink writes it, with the column's text replaced (a JSON string's content, null as empty). */
function csvLine(r: EngineReading, hostile?: { column: string; text: string }): string {
  const flat = flatOf(r) as unknown as Record<string, unknown>;
  return FLAT_COLUMNS.map((c) => {
    let text = flat[c] === null ? '' : String(flat[c]);
    if (hostile?.column === c) text = hostile.text === 'null' ? '' : hostile.text.startsWith('"') ? (JSON.parse(hostile.text) as string) : hostile.text;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }).join(',');
}

interface Line {
  readonly reading: EngineReading;
  readonly hostile?: { readonly column: string; readonly text: string };
}

/** The file of `lines` in `format`, with its stage extension, and each line's line number in it (CSV: after the header). */
async function fileOf(lines: readonly Line[], format: Format): Promise<{ body: Buffer; extension: string; lineNumbers: number[] }> {
  const numbers = lines.map((_, i) => (format.startsWith('csv') ? i + 2 : i + 1));
  if (format.startsWith('csv')) {
    const text = `${FLAT_COLUMNS.join(',')}\n${lines.map((l) => csvLine(l.reading, l.hostile)).join('\n')}\n`;
    return { body: format === 'csv.gz' ? gzipSync(text) : Buffer.from(text), extension: format === 'csv.gz' ? 'csv.gz' : 'csv', lineNumbers: numbers };
  }
  const text = `${lines.map((l) => jsonLine(l.reading, format === 'ndjson-flat' ? 'flat' : 'nested', l.hostile)).join('\n')}\n`;
  if (format === 'parquet') return { body: await ndjsonToParquet(Buffer.from(text)), extension: 'parquet', lineNumbers: numbers };
  return { body: format === 'ndjson.gz' ? gzipSync(text) : Buffer.from(text), extension: format === 'ndjson.gz' ? 'json.gz' : 'json', lineNumbers: numbers };
}

let readings: EngineReading[];
let dir: string;
let sequence = 0;

beforeAll(async () => {
  readings = await engineReadings();
  dir = await mkdtemp(join(tmpdir(), 'forge-stage-values-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Lands one file of `lines` in a fresh stage, runs the pipeline once on a fresh database and checks the promise:
 * the good lines are in silver exactly (every column as the engine made it), each bad line is in stage_rejects with
 * its file, line and a reason naming its column, and gold holds only finite numbers.
 */
async function checkFile(lines: readonly Line[], format: Format): Promise<void> {
  const root = join(dir, `case-${sequence++}`);
  const stage = new LocalStageStore(join(root, 'stage'));
  const { body, extension, lineNumbers } = await fileOf(lines, format);
  const key = stageKey(lines[0]!.reading.tsUtcMs, 'values', sequence, extension);
  await stage.put(key, body);
  const w = await Warehouse.open(':memory:');
  try {
    const run = await runPipelineOnce(w, stage);
    const good = lines.filter((l) => !l.hostile);
    const bad = lines.map((l, i) => ({ ...l, line: lineNumbers[i]! })).filter((l) => l.hostile);
    expect(run.load.quarantined, format).toEqual([]);
    expect(run.load.loaded, format).toEqual([{ key, rows: good.length, rejected: bad.length }]);

    const silver = await w.rows(
      `SELECT meter_id, strftime(reading_ts, '%Y-%m-%d %H:%M:%S') AS reading_ts, epoch_ms(reading_ts_utc) AS utc_ms, interval_minutes, usage_kwh,
              voltage, power_factor, temperature_c, transformer_id, circuit_id, substation_id, service_area, customer_segment, latitude, longitude,
              is_outage, data_quality, event_type, emission_pattern
       FROM silver_ami ORDER BY meter_id, reading_ts_utc`,
    );
    const expected = good
      .map((l) => flatOf(l.reading))
      .sort((a, b) => (a.meter_id < b.meter_id ? -1 : a.meter_id > b.meter_id ? 1 : Date.parse(a.reading_ts_utc) - Date.parse(b.reading_ts_utc)))
      .map((f) => ({ ...f, reading_ts_utc: undefined, utc_ms: String(Date.parse(f.reading_ts_utc)) }));
    expect(silver.map((r) => ({ ...r, reading_ts_utc: undefined })), format).toEqual(expected);

    const rejects = await w.rows(`SELECT file_name, line, reason FROM stage_rejects ORDER BY line`);
    expect(rejects.map((r) => [r.file_name, Number(r.line)]), format).toEqual(bad.map((l) => [key, l.line]));
    for (const [i, l] of bad.entries()) expect(String(rejects[i]!.reason), `${format} ${l.hostile!.column}=${l.hostile!.text}`).toContain(`${l.hostile!.column}: `);

    for (const table of GOLD_TABLES) {
      const doubles = (await w.rows(`SELECT column_name FROM duckdb_columns() WHERE table_name = $1 AND data_type = 'DOUBLE'`, [table])).map((r) => String(r.column_name));
      if (doubles.length === 0) continue;
      expect(await w.number(`SELECT count(*) FROM ${table} WHERE NOT (${doubles.map((c) => `coalesce(isfinite(${c}), true)`).join(' AND ')})`), table).toBe(0);
    }
  } finally {
    w.close();
    await rm(root, { recursive: true, force: true });
  }
}

describe('stage loader: every value checked against the reading schema', () => {
  it.each(FORMATS)('%s: every hostile value of the table is rejected with file, line and column; the good lines of the file land in silver exactly', async (format) => {
    const hostiles = HOSTILE.filter((h) => fits(h, format));
    // Good and bad lines interleaved, each on its own reading (distinct keys).
    const lines: Line[] = [];
    hostiles.forEach((h, i) => {
      lines.push({ reading: readings[2 * i]! });
      const r = readings[2 * i + 1]!;
      lines.push({ reading: r, hostile: { column: h.column, text: h.text(flatOf(r)) } });
    });
    lines.push({ reading: readings[2 * hostiles.length]! });
    await checkFile(lines, format);
  }, 60_000);

  it('generated cases (fast-check, fixed seed): random hostile values mixed with good rows, in every stage format', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        fc.uniqueArray(fc.integer({ min: 0, max: 1_919 }), { minLength: 2, maxLength: 12 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 12, maxLength: 12 }),
        async (format, picks, choices) => {
          const hostiles = HOSTILE.filter((h) => fits(h, format));
          const lines: Line[] = picks.map((p, i) => {
            const [bad, which] = choices[i]!;
            const reading = readings[p]!;
            if (!bad || i === 0) return { reading };
            const h = hostiles[which % hostiles.length]!;
            return { reading, hostile: { column: h.column, text: h.text(flatOf(reading)) } };
          });
          await checkFile(lines, format);
        },
      ),
      { seed: 20_261_206, numRuns: 24 },
    );
  }, 300_000);
});
