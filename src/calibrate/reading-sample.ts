import { extname } from 'node:path';
import { SEGMENTS, type Segment } from '../scenario/enums.js';
import { errorText } from '../util/error-text.js';
import { ForgeError } from '../util/forge-error.js';
import { DAY_MS, MINUTE_MS } from '../util/time-zone.js';
import { quoteLiteral } from '../warehouse/sql-quote.js';
import { Warehouse } from '../warehouse/warehouse.js';
import type { SamplePanel } from './fit-calibration.js';
import { sumPanelPairs } from './sum-panel-pairs.js';

/** The columns `forge calibrate` reads; `--map field=column` names them in the source. */
export const READING_FIELDS = ['meter_id', 'ts', 'kwh', 'segment', 'temperature_c'] as const;
export type ReadingField = (typeof READING_FIELDS)[number];

/** Fewest meters and days of a segment worth fitting (spreads and day-to-day correlation need both). */
export const MIN_METERS = 10;
export const MIN_DAYS = 7;
/** A meter is kept if it has at least this share of its intervals; its gaps are filled with its own mean at that hour. */
export const MIN_COMPLETENESS = 0.9;
/** Largest sample read (meters x intervals): the same bound as the realism panels. */
export const MAX_SAMPLE_VALUES = 20_000_000;

export interface ReadingSource {
  /** A CSV, Parquet or NDJSON file, or a DuckDB database file (with `table`). */
  readonly path: string;
  readonly table?: string;
  /** Source column of each field; defaults to the field's own name. */
  readonly map?: Partial<Record<ReadingField, string>>;
  /** Segment of every meter when the source has no segment column. Default RESIDENTIAL. */
  readonly segment?: Segment;
  /**
   * A fleet file (`forge fleet import`): each meter's segment comes from it, and readings of meters it does not list
   * are left out (counted in the report).
   */
  readonly fleetFile?: string;
  /** What messages call the source, when not its path (a Postgres table copied to a file first). */
  readonly label?: string;
}

export interface ReadingSample {
  readonly intervalMinutes: 15 | 30 | 60;
  readonly days: number;
  /** Per segment present: the panel (at 30 minutes, or 60 for hourly readings) of the meters kept. */
  readonly panels: Partial<Record<Segment, SamplePanel>>;
  /** What was left out and filled, for the report: counts only. */
  readonly report: { readonly rows: number; readonly meters: number; readonly metersDropped: number; readonly valuesFilled: number; readonly metersNotInFleet: number };
}

/** "meter_id=METER_NO,ts=READ_AT" as a field -> column map; unknown fields and empty names are refused. */
export function parseReadingMap(text: string): Partial<Record<ReadingField, string>> {
  const map: Partial<Record<ReadingField, string>> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const field = (eq < 0 ? part : part.slice(0, eq)).trim() as ReadingField;
    const column = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!READING_FIELDS.includes(field)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`map: unknown field "${field}" (fields: ${READING_FIELDS.join(', ')})`]);
    }
    if (column === '') throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`map: ${field} names no column (expected ${field}=<column>)`]);
    map[field] = column;
  }
  return map;
}

const identifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function relationOf(source: ReadingSource): string {
  const ext = extname(source.path).toLowerCase();
  if (source.table !== undefined) return source.table.split('.').map(identifier).join('.');
  if (ext === '.parquet') return `read_parquet(${quoteLiteral(source.path)})`;
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return `read_json(${quoteLiteral(source.path)}, format = 'newline_delimited')`;
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return `read_csv(${quoteLiteral(source.path)}, header = true, all_varchar = true)`;
  throw new ForgeError('FORGE_ERR_READINGS', [source.path, `unknown file type "${ext}": expected .csv, .parquet, .ndjson, or a DuckDB file with --table`]);
}

/**
 * Reads interval readings (one row per meter and interval: meter id, interval start as local wall-clock time, kWh)
 * with DuckDB in process, checks them, and lays each segment's meters out as a panel over the whole local days the
 * sample covers: 15-minute readings summed to 30 minutes, 30 and 60 kept. Meters with less than MIN_COMPLETENESS of
 * their intervals are left out; the rest have their gaps filled with their own mean at that hour. Throws
 * FORGE_ERR_READINGS naming the problem (a missing column, a value that is not a number or a time, two readings of
 * a meter in one interval, an interval other than 15, 30 or 60 minutes, an unknown segment, too few meters or days).
 * The ids are used only to group the readings; none leaves this function.
 */
export async function readReadingSample(source: ReadingSource): Promise<ReadingSample> {
  const where = source.label ?? (source.table !== undefined ? `${source.path} (table ${source.table})` : source.path);
  const fail = (reason: string): never => {
    throw new ForgeError('FORGE_ERR_READINGS', [where, reason]);
  };
  const relation = relationOf(source);
  let warehouse: Warehouse;
  try {
    warehouse = await Warehouse.open(source.table !== undefined ? source.path : ':memory:', source.table !== undefined ? { access_mode: 'READ_ONLY' } : {});
  } catch (e) {
    return fail(errorText(e));
  }
  try {
    let columns: string[];
    try {
      columns = (await warehouse.rows(`DESCRIBE SELECT * FROM ${relation}`)).map((r) => String(r.column_name));
    } catch (e) {
      return fail(errorText(e));
    }
    const col = (field: ReadingField): string | null => {
      const name = source.map?.[field] ?? field;
      if (columns.includes(name)) return identifier(name);
      if ((field === 'segment' || field === 'temperature_c') && source.map?.[field] === undefined) return null;
      return fail(`no column "${name}" for ${field} (columns: ${columns.join(', ')}; name it with --map ${field}=<column>)`);
    };
    const meter = col('meter_id')!;
    const ts = col('ts')!;
    const kwh = col('kwh')!;
    const segment = col('segment');
    const temperature = col('temperature_c');
    const defaultSegment = source.segment ?? 'RESIDENTIAL';
    await warehouse.run(
      `CREATE TEMP TABLE sample AS SELECT CAST(${meter} AS VARCHAR) AS meter, TRY_CAST(CAST(${ts} AS VARCHAR) AS TIMESTAMP) AS ts,
         TRY_CAST(CAST(${kwh} AS VARCHAR) AS DOUBLE) AS kwh, ${segment ? `upper(trim(CAST(${segment} AS VARCHAR)))` : quoteLiteral(defaultSegment)} AS segment,
         ${temperature ? `TRY_CAST(CAST(${temperature} AS VARCHAR) AS DOUBLE)` : 'NULL::DOUBLE'} AS temperature_c, CAST(${ts} AS VARCHAR) AS ts_text, CAST(${kwh} AS VARCHAR) AS kwh_text, row_number() OVER () AS line FROM ${relation}`,
    );
    let notInFleet = 0;
    if (source.fleetFile !== undefined) {
      try {
        await warehouse.run(
          `CREATE TEMP TABLE fleet AS SELECT CAST(meter_id AS VARCHAR) AS meter, upper(CAST(segment AS VARCHAR)) AS segment FROM read_parquet(${quoteLiteral(source.fleetFile)})`,
        );
      } catch (e) {
        fail(`fleet file ${source.fleetFile}: not a fleet file (forge fleet import writes one): ${errorText(e)}`);
      }
      notInFleet = await warehouse.number('SELECT count(DISTINCT meter) FROM sample WHERE meter NOT IN (SELECT meter FROM fleet)');
      await warehouse.run('DELETE FROM sample WHERE meter NOT IN (SELECT meter FROM fleet)');
      await warehouse.run('UPDATE sample SET segment = (SELECT f.segment FROM fleet f WHERE f.meter = sample.meter)');
      if ((await warehouse.number('SELECT count(*) FROM sample')) === 0) fail(`none of the readings' meters is in the fleet file ${source.fleetFile}`);
    }
    const rows = await warehouse.number('SELECT count(*) FROM sample');
    if (rows === 0) fail('no readings');
    const bad = (await warehouse.rows(
      `SELECT line, meter IS NULL AS no_meter, ts_text, kwh_text, ts IS NULL AS bad_ts, kwh IS NULL OR NOT isfinite(kwh) AS bad_kwh FROM sample
       WHERE meter IS NULL OR ts IS NULL OR kwh IS NULL OR NOT isfinite(kwh) ORDER BY line LIMIT 1`,
    ))[0];
    if (bad) {
      fail(`row ${bad.line}: ${bad.no_meter ? 'no meter id' : bad.bad_ts ? `"${bad.ts_text}" is not a time (expected YYYY-MM-DD HH:MM[:SS])` : `"${bad.kwh_text ?? ''}" is not a number of kWh`}`);
    }
    if (temperature) {
      const badTemperature = (await warehouse.rows(
        `SELECT line FROM sample WHERE temperature_c IS NULL OR NOT isfinite(temperature_c) OR temperature_c NOT BETWEEN -60 AND 60 ORDER BY line LIMIT 1`,
      ))[0];
      if (badTemperature) fail(`row ${badTemperature.line}: no temperature in degrees C (-60 to 60)`);
    }
    const unknown = (await warehouse.rows(`SELECT DISTINCT segment FROM sample WHERE segment NOT IN (${SEGMENTS.map(quoteLiteral).join(', ')}) LIMIT 3`)).map((r) => String(r.segment));
    if (unknown.length > 0) fail(`unknown segment ${unknown.map((s) => `"${s}"`).join(', ')} (expected ${SEGMENTS.join(', ')})`);
    const duplicate = (await warehouse.rows('SELECT ts FROM sample GROUP BY meter, ts HAVING count(*) > 1 LIMIT 1'))[0];
    if (duplicate) fail(`a meter has two readings for the interval starting ${duplicate.ts}`);
    const twoSegments = await warehouse.number('SELECT count(*) FROM (SELECT meter FROM sample GROUP BY meter HAVING count(DISTINCT segment) > 1)');
    if (twoSegments > 0) fail(`${twoSegments} meters are in more than one segment`);

    // The interval is the commonest step between a meter's consecutive readings.
    const stepMinutes = await warehouse.number(
      `SELECT step FROM (SELECT epoch(ts - lag(ts) OVER (PARTITION BY meter ORDER BY ts)) / 60 AS step FROM sample)
       WHERE step IS NOT NULL GROUP BY step ORDER BY count(*) DESC, step LIMIT 1`,
    );
    if (stepMinutes !== 15 && stepMinutes !== 30 && stepMinutes !== 60) {
      fail(stepMinutes === 0 ? 'no meter has two readings' : `readings are ${stepMinutes} minutes apart; calibration takes 15, 30 or 60`);
    }
    const misaligned = await warehouse.number(`SELECT count(*) FROM sample WHERE (epoch(ts)::BIGINT) % ${stepMinutes * 60} <> 0`);
    if (misaligned > 0) fail(`${misaligned} readings do not start on a ${stepMinutes}-minute boundary`);

    // Whole local days: from the first midnight at or after the first reading to the last midnight the readings reach.
    const range = (await warehouse.rows(`SELECT epoch_ms(min(ts)) AS first, epoch_ms(max(ts)) AS last FROM sample`))[0]!;
    const firstDay = Math.ceil(Number(range.first) / DAY_MS) * DAY_MS;
    const endDay = Math.floor((Number(range.last) + stepMinutes * MINUTE_MS) / DAY_MS) * DAY_MS;
    const days = (endDay - firstDay) / DAY_MS;
    if (days < MIN_DAYS) fail(`the readings cover ${Math.max(0, days)} whole days; calibration needs at least ${MIN_DAYS}`);
    const outMinutes = stepMinutes === 60 ? 60 : 30;
    const slots = (days * 24 * 60) / stepMinutes;

    const panels: Partial<Record<Segment, SamplePanel>> = {};
    let metersTotal = 0;
    let dropped = 0;
    let filled = 0;
    for (const seg of SEGMENTS) {
      const reader = await warehouse.connection.runAndReadAll(
        `WITH m AS (SELECT meter, (dense_rank() OVER (ORDER BY meter))::INTEGER - 1 AS idx FROM (SELECT DISTINCT meter FROM sample WHERE segment = ${quoteLiteral(seg)}))
         SELECT m.idx, ((epoch_ms(s.ts) - ${firstDay}) // ${stepMinutes * MINUTE_MS})::INTEGER AS slot, s.kwh
         FROM sample s JOIN m USING (meter) WHERE epoch_ms(s.ts) >= ${firstDay} AND epoch_ms(s.ts) < ${endDay}`,
      );
      const columnsRead = reader.getColumns() as number[][];
      const [idx = [], slot = [], value = []] = columnsRead;
      const meters = idx.reduce((a, v) => Math.max(a, v + 1), 0);
      if (meters === 0) continue;
      metersTotal += meters;
      if (meters * slots > MAX_SAMPLE_VALUES) fail(`${meters} ${seg} meters x ${slots} intervals is more than ${MAX_SAMPLE_VALUES} values: calibrate on a sample`);
      const series = Array.from({ length: meters }, () => new Float64Array(slots).fill(Number.NaN));
      for (let r = 0; r < idx.length; r++) series[idx[r]!]![slot[r]!] = value[r]!;
      const perDay = slots / days;
      const kept: Float64Array[] = [];
      for (const s of series) {
        let present = 0;
        const hourSum = new Float64Array(perDay);
        const hourN = new Float64Array(perDay);
        s.forEach((v, t) => {
          if (Number.isNaN(v)) return;
          present++;
          hourSum[t % perDay] = hourSum[t % perDay]! + v;
          hourN[t % perDay]!++;
        });
        if (present < MIN_COMPLETENESS * slots) {
          dropped++;
          continue;
        }
        s.forEach((v, t) => {
          if (!Number.isNaN(v)) return;
          s[t] = hourN[t % perDay]! > 0 ? hourSum[t % perDay]! / hourN[t % perDay]! : 0;
          filled++;
        });
        kept.push(s);
      }
      if (kept.length < MIN_METERS) {
        fail(`${kept.length} ${seg} meters have at least ${MIN_COMPLETENESS * 100}% of their readings over the ${days} days; calibration needs at least ${MIN_METERS}`);
      }
      const wallClockMs = Float64Array.from({ length: slots }, (_, t) => firstDay + t * stepMinutes * MINUTE_MS);
      const panel = stepMinutes === 15 ? sumPanelPairs({ wallClockMs, households: kept }) : { wallClockMs, households: kept };
      const temperatureC = temperature ? await outdoorTemperature(warehouse, firstDay, endDay, stepMinutes === 15 ? 30 : stepMinutes) : undefined;
      panels[seg] = { ...panel, intervalMinutes: outMinutes, ...(temperatureC ? { temperatureC } : {}) };
    }
    return { intervalMinutes: stepMinutes as 15 | 30 | 60, days, panels, report: { rows, meters: metersTotal, metersDropped: dropped, valuesFilled: filled, metersNotInFleet: notInFleet } };
  } finally {
    warehouse.close();
  }
}

/** Mean outdoor temperature of every interval of the panel (over the meters reporting it); NaN where none does. */
async function outdoorTemperature(warehouse: Warehouse, firstDay: number, endDay: number, minutes: number): Promise<Float64Array> {
  const reader = await warehouse.connection.runAndReadAll(
    `SELECT ((epoch_ms(ts) - ${firstDay}) // ${minutes * MINUTE_MS})::INTEGER AS slot, avg(temperature_c) AS t FROM sample
     WHERE epoch_ms(ts) >= ${firstDay} AND epoch_ms(ts) < ${endDay} GROUP BY 1`,
  );
  const [slot = [], value = []] = reader.getColumns() as number[][];
  const out = new Float64Array(((endDay - firstDay) / MINUTE_MS) / minutes).fill(Number.NaN);
  for (let r = 0; r < slot.length; r++) out[slot[r]!] = value[r]!;
  return out;
}
