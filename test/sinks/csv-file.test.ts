import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyStage } from '../../src/sinks/files/copy-stage.js';
import { FileSink } from '../../src/sinks/files/file-sink.js';
import { dictionaryEncodeMeters } from '../../src/warehouse/dictionary-encode-meters.js';
import { readingsSelect } from '../../src/warehouse/readings-select.js';
import { meterTableDdl } from '../../src/warehouse/star-schema.js';
import { upsertMeters } from '../../src/warehouse/upsert-meters.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob, withTempDir, type TestJob } from '../support/fixtures.js';

/**
 * The oracle: the rows of one date written by DuckDB's CSV writer, as the file sink wrote CSV before it encoded the
 * text itself (staged in DuckDB, COPY of readingsSelect with text timestamps).
 */
async function duckdbCsv(job: TestJob, localDate: string, path: string): Promise<void> {
  const w = await Warehouse.open(':memory:');
  try {
    await w.run(meterTableDdl('meters_text'));
    const keys = await upsertMeters(w.connection, job.context.fleet, job.context.scenario.area, 'meters_text');
    await dictionaryEncodeMeters(w.connection, 'meters_text', 'meters');
    const stage = await CopyStage.open(w.connection, 'fact');
    for (const { batch, info } of job.batches) if (info.localDate === localDate) stage.append(batch, keys);
    stage.close();
    const { scenario } = job.context;
    const select = (fact: string): string =>
      readingsSelect({ fact, meters: 'meters', shape: 'flat', timestamps: 'text', enumsAsText: false, constants: scenario });
    await stage.copy(w.connection, select, path, 'FORMAT csv, HEADER true');
  } finally {
    w.close();
  }
}

/** A job whose meters have ids CSV must quote and whose values take every text form of a double. */
function awkwardJob(): TestJob {
  const job = testJob({ batchesPerDate: 3 });
  const { fleet } = job.context;
  const meterIds = fleet.meterIds.map((id, i) => ['MTR,"comma"', '#hash', ' spaced ', 'é-ü', 'line\nbreak'][i] ?? id);
  const transformerIds = fleet.transformerIds.map((id, i) => (i === 0 ? 'XF;"0"' : id));
  const values = [Number.NaN, -0, 0, 1e-7, 0.0001, 1e16, 123456.789, -2.5e-300, Number.POSITIVE_INFINITY, 1 / 3];
  let k = 0;
  for (const { batch } of job.batches) {
    for (let i = 0; i < batch.length; i += 7) batch.usageKwh[i] = values[k++ % values.length]!;
    // A NaN with its sign bit set: DuckDB writes it as -nan.
    new DataView(batch.voltage.buffer, batch.voltage.byteOffset).setFloat64(0, Number.NaN, true);
    new DataView(batch.voltage.buffer, batch.voltage.byteOffset).setUint8(7, 0xff);
  }
  return { ...job, context: { ...job.context, fleet: { ...fleet, meterIds, transformerIds } } };
}

describe('CSV files', () => {
  it('hold, date by date, exactly the bytes of the rows DuckDB\'s CSV writer writes (header first, then the rows in batch order)', async () => {
    await withTempDir(async (dir) => {
      const job = awkwardJob();
      const sink = new FileSink({ format: 'csv', dir: join(dir, 'csv') });
      await sink.open(job.context);
      for (const { batch, info } of job.batches) await sink.write(batch, info);
      await sink.close();
      const dates = [...new Set(job.batches.map((b) => b.info.localDate))];
      expect(dates).toHaveLength(2);
      for (const date of dates) {
        const partDir = join(dir, 'csv', `date=${date}`);
        const [part] = await readdir(partDir);
        const ours = await readFile(join(partDir, part!), 'utf8');
        await duckdbCsv(job, date, join(dir, `${date}.csv`));
        const theirs = await readFile(join(dir, `${date}.csv`), 'utf8');
        expect(ours.length).toBe(theirs.length);
        const header = theirs.slice(0, theirs.indexOf('\n') + 1);
        expect(ours.startsWith(header)).toBe(true);
        // Records split on the newlines that end them (a quoted id holds one): each ends with the emission pattern.
        const records = (text: string): string[] => text.slice(header.length).split(/(?<=UNIFORM)\n/).sort();
        expect(records(ours)).toEqual(records(theirs));
        for (const text of [',-nan,', ',nan,', ',-0.0,', ',1e-07,', ',1e+16,', ',inf,', '"line\nbreak"', '"XF;""0"""', '"#hash",']) expect(ours).toContain(text);
      }
      // Rows in batch order: the first after the header is the first batch's first row.
      const first = await readFile(join(dir, 'csv', `date=${dates[0]}`, (await readdir(join(dir, 'csv', `date=${dates[0]}`)))[0]!), 'utf8');
      expect(first.split('\n')[1]!.startsWith('"MTR,""comma""",2026-03-08 00:00:00,')).toBe(true);
    });
  });
});
