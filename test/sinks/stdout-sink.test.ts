import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FLAT_COLUMNS, nestedReading, type FlatReading, type NestedReading } from '../../src/generator/reading-records.js';
import { StdoutSink, type StdoutSinkOptions } from '../../src/sinks/stdout/stdout-sink.js';
import { quoteLiteral } from '../../src/warehouse/sql-quote.js';
import { Warehouse } from '../../src/warehouse/warehouse.js';
import { testJob, withTempDir, type TestJob } from '../support/fixtures.js';

/** A stream that keeps what it is given; `delayMs` makes it slow, so its buffer fills and it asks for 'drain'. */
class Collector extends Writable {
  text = '';
  constructor(private readonly delayMs = 0, highWaterMark = 16_384) {
    super({ highWaterMark, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.text += String(chunk);
    if (this.delayMs > 0) setTimeout(done, this.delayMs);
    else done();
  }
}

async function runJob(options: StdoutSinkOptions, job: TestJob = testJob()): Promise<Awaited<ReturnType<StdoutSink['close']>>> {
  const sink = new StdoutSink(options);
  await sink.open(job.context);
  for (const { batch, info } of job.batches) await sink.write(batch, info);
  return sink.close();
}

describe('StdoutSink', () => {
  it('writes flat NDJSON lines equal to reading-records.ts records', async () => {
    const job = testJob();
    const stream = new Collector();
    const result = await runJob({ stream }, job);
    const lines = stream.text.trimEnd().split('\n');
    expect(lines).toHaveLength(1920);
    expect(result).toEqual({ sink: 'stdout', rows: 1920, outputs: ['stdout'], bytes: Buffer.byteLength(stream.text) });
    const seen = new Set<string>();
    for (const line of lines) {
      const r = JSON.parse(line) as FlatReading;
      const key = `${r.meter_id} ${r.reading_ts_utc}`;
      expect(r).toEqual(job.expected.get(key));
      seen.add(key);
    }
    expect(seen.size).toBe(1920);
  });

  it('writes nested NDJSON in the head-end message shape', async () => {
    const job = testJob();
    const stream = new Collector();
    await runJob({ stream, shape: 'nested' }, job);
    for (const line of stream.text.trimEnd().split('\n')) {
      const r = JSON.parse(line) as NestedReading;
      const flat = job.expected.get(`${r.meter.meter_id} ${r.reading.reading_ts_utc}`)!;
      expect(r).toEqual(nestedReading(flat, Date.parse(flat.reading_ts_utc)));
    }
  });

  it('writes CSV that DuckDB parses back to the same text values', async () => {
    const job = testJob();
    const stream = new Collector();
    await runJob({ stream, format: 'csv' }, job);
    expect(stream.text.split('\n')[0]).toBe(FLAT_COLUMNS.join(','));
    await withTempDir(async (dir) => {
      const file = join(dir, 'out.csv');
      await writeFile(file, stream.text);
      const w = await Warehouse.open(':memory:');
      try {
        const rows = await w.rows(`SELECT * FROM read_csv(${quoteLiteral(file)}, header = true, all_varchar = true)`);
        expect(rows).toHaveLength(1920);
        for (const row of rows) {
          const want = job.expected.get(`${String(row.meter_id)} ${String(row.reading_ts_utc)}`)!;
          expect(row).toEqual(Object.fromEntries(FLAT_COLUMNS.map((c) => [c, want[c] === null ? null : String(want[c])])));
        }
      } finally {
        w.close();
      }
    });
  });

  it('waits for drain: a slow stream holds back the writer instead of buffering everything', async () => {
    const job = testJob({ batchesPerDate: 1 });
    const stream = new Collector(1, 1024);
    let drains = 0;
    stream.on('drain', () => drains++);
    const sink = new StdoutSink({ stream, end: true });
    await sink.open(job.context);
    let maxBuffered = 0;
    for (const { batch, info } of job.batches) {
      await sink.write(batch, info);
      maxBuffered = Math.max(maxBuffered, stream.writableLength);
    }
    await sink.close();
    expect(drains).toBeGreaterThan(0);
    // One rendered piece (at most 4096 rows) may sit in the buffer; never the whole job.
    expect(maxBuffered).toBeLessThan(stream.text.length / 2);
    expect(stream.writableEnded).toBe(true);
    expect(stream.text.trimEnd().split('\n')).toHaveLength(1920);
  });

  it('fails clearly before open and when the stream has failed', async () => {
    const job = testJob();
    const { batch, info } = job.batches[0]!;
    await expect(new StdoutSink({ stream: new Collector() }).write(batch, info)).rejects.toMatchObject({
      code: 'FORGE_ERR_SINK_STATE', message: 'Sink stdout: write called before open',
    });
    expect(() => new StdoutSink({ format: 'csv', shape: 'nested' })).toThrow(expect.objectContaining({ code: 'FORGE_ERR_INVALID_CONFIG' }));
    const broken = new Collector();
    const sink = new StdoutSink({ stream: broken });
    await sink.open(job.context);
    broken.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await new Promise((r) => setImmediate(r));
    await expect(sink.write(batch, info)).rejects.toMatchObject({ code: 'FORGE_ERR_SINK_WRITE', message: expect.stringContaining('EPIPE') });
    await sink.abort(new Error('stop'));
  });
});
