import type { Writable } from 'node:stream';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingBatch } from '../../generator/reading-batch.js';
import { RecordJson } from '../../generator/record-json.js';
import { FLAT_COLUMNS, flatReading, type Shape } from '../../generator/reading-records.js';
import type { ServiceAreaName } from '../../scenario/service-areas.js';
import { errorText } from '../../util/error-text.js';
import { ForgeError } from '../../util/forge-error.js';
import type { BatchInfo, Sink, SinkContext, SinkResult } from '../sink.js';
import { SinkState } from '../sink-state.js';

export const STDOUT_FORMATS = ['ndjson', 'csv'] as const;
export type StdoutFormat = (typeof STDOUT_FORMATS)[number];

export interface StdoutSinkOptions {
  /** Default 'ndjson'. */
  readonly format?: StdoutFormat;
  /** NDJSON record shape (reading-records.ts); CSV is flat only. Default 'flat'. */
  readonly shape?: Shape;
  /** Default process.stdout. */
  readonly stream?: Writable;
  /** End the stream on close. Default false: process.stdout must stay open, and a caller's stream is the caller's. */
  readonly end?: boolean;
}

/** Rows rendered per string handed to the stream: bounds the text held at once, whatever the batch size. */
const ROWS_PER_WRITE = 4096;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Readings as text on a stream (for piping into other tools): NDJSON lines of reading-records.ts records, or CSV with
 * a header and the same text forms as the CSV file sink (empty for null, true/false). Text is built in bulk, a few
 * thousand rows to a string; `write` resolves when the stream has taken it all, waiting for 'drain' whenever the
 * stream says its buffer is full (backpressure reaches the generator). Nothing is written before the first batch, so a
 * job refused by another sink in `open` leaves no stray CSV header.
 */
export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private readonly format: StdoutFormat;
  private readonly shape: Shape;
  private readonly stream: Writable;
  private readonly endStream: boolean;
  private fleet: Fleet | null = null;
  private area: ServiceAreaName | null = null;
  private json: RecordJson | null = null;
  private headerWritten = false;
  private rows = 0;
  private bytes = 0;
  private streamError: Error | null = null;
  private readonly onError = (e: Error): void => {
    this.streamError ??= e;
  };
  private readonly state = new SinkState(this);

  constructor(options: StdoutSinkOptions = {}) {
    this.format = options.format ?? 'ndjson';
    if (!STDOUT_FORMATS.includes(this.format)) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [`stdout format "${String(this.format)}" is not one of ${STDOUT_FORMATS.join(', ')}`]);
    }
    this.shape = options.shape ?? 'flat';
    if (this.shape === 'nested' && this.format === 'csv') {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', ['shape "nested" is available for ndjson; csv is flat only']);
    }
    this.stream = options.stream ?? process.stdout;
    this.endStream = options.end ?? false;
  }

  async open(context: SinkContext): Promise<void> {
    this.state.opening();
    this.fleet = context.fleet;
    this.area = context.scenario.area;
    // A closed pipe (`forge ... | head`) emits 'error' (EPIPE); unheard, it would crash the process.
    this.stream.on('error', this.onError);
    this.state.opened();
  }

  async write(batch: ReadingBatch, _info: BatchInfo): Promise<void> {
    this.state.assertOpen('write');
    if (this.format === 'csv' && !this.headerWritten) {
      this.headerWritten = true;
      await this.put(`${FLAT_COLUMNS.join(',')}\n`);
    }
    for (let start = 0; start < batch.length; start += ROWS_PER_WRITE) {
      const end = Math.min(batch.length, start + ROWS_PER_WRITE);
      await this.put(this.format === 'csv' ? this.csv(batch, start, end) : this.ndjson(batch, start, end));
    }
    this.rows += batch.length;
  }

  /** Everything written so far has been handed to the stream (there is no buffer of our own). */
  async flush(): Promise<void> {
    this.state.assertOpen('flush');
    this.checkStream();
  }

  async close(): Promise<SinkResult> {
    this.state.assertOpen('close');
    this.checkStream();
    this.state.closing();
    if (this.endStream) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('error', reject);
        this.stream.end(() => resolve());
      });
    }
    this.stream.off('error', this.onError);
    return { sink: this.name, rows: this.rows, outputs: ['stdout'], bytes: this.bytes };
  }

  async abort(_reason: unknown): Promise<void> {
    if (this.state.closing()) this.stream.off('error', this.onError);
  }

  private ndjson(batch: ReadingBatch, start: number, end: number): string {
    let text = '';
    const json = (this.json ??= new RecordJson(this.fleet!, this.area!, this.shape));
    for (let row = start; row < end; row++) text += `${json.of(batch, row)}\n`;
    return text;
  }

  private csv(batch: ReadingBatch, start: number, end: number): string {
    let text = '';
    for (let row = start; row < end; row++) {
      const r = flatReading(batch, row, this.fleet!, this.area!);
      let line = '';
      for (let c = 0; c < FLAT_COLUMNS.length; c++) {
        const v = r[FLAT_COLUMNS[c]!];
        const cell = v === null ? '' : typeof v === 'string' ? (NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v) : String(v);
        line += c === 0 ? cell : `,${cell}`;
      }
      text += `${line}\n`;
    }
    return text;
  }

  /** Hands text to the stream; waits for 'drain' when the stream asks, and fails if the stream failed or closed. */
  private async put(text: string): Promise<void> {
    this.checkStream();
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, 'the stream is closed']);
    }
    this.bytes += Buffer.byteLength(text);
    if (this.stream.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onFail);
        this.stream.off('close', onClose);
        if (e) reject(e);
        else resolve();
      };
      const onDrain = (): void => done();
      const onFail = (e: Error): void => done(e);
      const onClose = (): void => done(new Error('the stream closed before taking all readings'));
      this.stream.on('drain', onDrain);
      this.stream.on('error', onFail);
      this.stream.on('close', onClose);
    }).catch((e: unknown) => {
      throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(e)], { cause: e });
    });
  }

  private checkStream(): void {
    if (this.streamError) throw new ForgeError('FORGE_ERR_SINK_WRITE', [this.name, errorText(this.streamError)], { cause: this.streamError });
  }
}
