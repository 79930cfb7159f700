import type { Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
import type { LabelRows } from '../generator/anomaly-labels.js';
import type { GenerationDay } from '../generator/calendar.js';
import { allocateBatch, BATCH_COLUMNS, batchBuffers, type ReadingBatch } from '../generator/reading-batch.js';
import { ReadingGenerator } from '../generator/reading-generator.js';
import { emittedMeters, type Scenario } from '../scenario/scenario.js';
import { hash32 } from '../util/random.js';
import { MINUTE_MS } from '../util/time-zone.js';
import { EmissionSchedule, type Emission, DELIVERY } from './emission-schedule.js';
import type { EmissionSettings } from './emission-settings.js';

/** A window of simulated time: readings of intervals starting in [fromUtcMs, toUtcMs) are streamed. */
export interface StreamWindow {
  readonly fromUtcMs: number;
  /** Exclusive; readings of intervals starting at or after it are not streamed. */
  readonly toUtcMs: number;
}

/** Rows of one simulated day a stream holds at once, at most (row index bits of the emission key). */
export const MAX_DAY_ROWS = 2 ** 24;
const DUPLICATE_BIT = 2 ** 24;

/** A day's deliveries in emission order: each reading of the window (a second copy again) with its emission time. */
export type OrderedDeliveries = ReadingBatch & { readonly emittedUtcMs: Float64Array; readonly redelivery: Uint8Array };

/** One simulated day of a stream: its readings as a batch job makes them, and the same readings as they are emitted. */
export interface EmissionDay {
  readonly day: GenerationDay;
  /**
   * The whole day's readings, meter-major, as much of them as labels need (the streamed meters; a caller clips them
   * to the window): the other columns are only in `ordered`.
   */
  readonly rows: LabelRows;
  /** The readings in the window, in emission order (ties: by row, a first copy before a second). */
  readonly ordered: OrderedDeliveries;
  /** How each ordered reading was delivered (DELIVERY; a second copy has its first copy's). */
  readonly delivery: Uint8Array;
  /** Readings of the day in the window (second copies not counted). */
  readonly readings: number;
}

/**
 * Makes a stream's days: each day generated whole by the engine (the same readings a batch job of the scenario makes),
 * each reading given its emission time by the EmissionSchedule, and the day's readings put in emission order. A pure
 * function of the day: a worker thread makes the same day as the stream's own thread (emission-day-source.ts).
 */
export class EmissionDayMaker {
  private readonly generator: ReadingGenerator;
  private readonly schedule: EmissionSchedule;
  private readonly stepMs: number;
  private readonly emission: Emission = { delayMs: 0, duplicateDelayMs: -1, delivery: DELIVERY.ON_TIME };
  private readonly phase: Float64Array;
  private readonly keyOf: Uint32Array;
  private readonly meterStart: number;
  private readonly meterEnd: number;

  constructor(
    scenario: Scenario,
    fleet: Fleet,
    settings: EmissionSettings,
    private readonly window: StreamWindow,
  ) {
    this.generator = new ReadingGenerator(scenario, fleet);
    this.schedule = new EmissionSchedule(settings, scenario.seed, scenario.intervalMinutes);
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    ({ start: this.meterStart, end: this.meterEnd } = emittedMeters(scenario));
    this.phase = Float64Array.from(fleet.meterNumber, (n) => this.schedule.phaseMs(n));
    this.keyOf = Uint32Array.from(fleet.meterNumber, (n) => hash32(scenario.seed, STREAM.EMISSION, n, 0));
  }

  make(day: GenerationDay): EmissionDay {
    const rows = this.generator.generate(day, this.meterStart, this.meterEnd);
    const { fromUtcMs, toUtcMs } = this.window;
    // Each reading's emission (ms after the day's start) and row, first copies before second copies (a second copy's
    // row carries DUPLICATE_BIT), each in row order; then a stable sort by emission: emission order, ties by row, a
    // first copy before a second.
    const firstMs = new Uint32Array(rows.length);
    const firstRow = new Uint32Array(rows.length);
    let seconds: { ms: Uint32Array; row: Uint32Array } = { ms: new Uint32Array(1024), row: new Uint32Array(1024) };
    let n1 = 0;
    let n2 = 0;
    const kindOf = new Uint8Array(rows.length);
    const e = this.emission;
    const T = day.intervals;
    const stepMs = this.stepMs;
    for (let m = this.meterStart, row = 0; m < this.meterEnd; m++) {
      const key = this.keyOf[m]!;
      const phase = this.phase[m]!;
      for (let t = 0; t < T; t++, row++) {
        const ts = rows.tsUtcMs[row]!;
        if (ts < fromUtcMs || ts >= toUtcMs) continue;
        this.schedule.emission(key, phase, ts, e);
        const rel = ts + stepMs - day.firstUtcMs;
        kindOf[row] = e.delivery;
        firstMs[n1] = rel + e.delayMs;
        firstRow[n1++] = row;
        if (e.duplicateDelayMs >= 0) {
          if (n2 === seconds.ms.length) seconds = { ms: grow(seconds.ms), row: grow(seconds.row) };
          seconds.ms[n2] = rel + e.duplicateDelayMs;
          seconds.row[n2++] = DUPLICATE_BIT + row;
        }
      }
    }
    const n = n1 + n2;
    const ms = new Uint32Array(n);
    const low = new Uint32Array(n);
    ms.set(firstMs.subarray(0, n1));
    ms.set(seconds.ms.subarray(0, n2), n1);
    low.set(firstRow.subarray(0, n1));
    low.set(seconds.row.subarray(0, n2), n1);
    const sorted = sortByEmission(ms, low);
    const out = allocateBatch(n, rows.intervalMinutes);
    const ordered: OrderedDeliveries = { ...out, emittedUtcMs: new Float64Array(n), redelivery: new Uint8Array(n) };
    const delivery = new Uint8Array(n);
    const rowOf = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const tagged = sorted.low[i]!;
      const row = tagged & (DUPLICATE_BIT - 1);
      rowOf[i] = row;
      ordered.emittedUtcMs[i] = day.firstUtcMs + sorted.ms[i]!;
      ordered.redelivery[i] = tagged >= DUPLICATE_BIT ? 1 : 0;
      delivery[i] = kindOf[row]!;
    }
    // Column by column, one gather function per array type (a loop that saw several types would be slow for all).
    for (const c of BATCH_COLUMNS) {
      const target = ordered[c];
      if (target instanceof Float64Array) gather64(rows[c] as Float64Array, rowOf, target);
      else if (target instanceof Uint32Array) gather32(rows[c] as Uint32Array, rowOf, target);
      else gather8(rows[c] as Uint8Array, rowOf, target);
    }
    const { length, eventType, meterIndex, tsUtcMs, tsLocalMs, voltage } = rows;
    return { day, rows: { length, eventType, meterIndex, tsUtcMs, tsLocalMs, voltage }, ordered, delivery, readings: n1 };
  }
}

/** The buffers to list as transferables when posting a day to another thread. */
export function emissionDayBuffers(day: EmissionDay): ArrayBuffer[] {
  const { ordered } = day;
  const { rows } = day;
  const labelBuffers = [rows.eventType, rows.meterIndex, rows.tsUtcMs, rows.tsLocalMs, rows.voltage].map((c) => c.buffer as ArrayBuffer);
  return [...labelBuffers, ...batchBuffers(ordered), ordered.emittedUtcMs.buffer as ArrayBuffer, ordered.redelivery.buffer as ArrayBuffer, day.delivery.buffer as ArrayBuffer];
}

function gather64(source: Float64Array, rowOf: Uint32Array, target: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = source[rowOf[i]!]!;
}

function gather32(source: Uint32Array, rowOf: Uint32Array, target: Uint32Array): void {
  for (let i = 0; i < target.length; i++) target[i] = source[rowOf[i]!]!;
}

function gather8(source: Uint8Array, rowOf: Uint32Array, target: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = source[rowOf[i]!]!;
}

const DIGIT_BITS = 14;
const DIGITS = 1 << DIGIT_BITS;

/**
 * `ms` and `low` (same length) reordered by `ms`, stably: a least-significant-digit radix sort, 14 bits a pass (an
 * emission within 74 hours of its day's start takes two passes). The arrays given are overwritten.
 */
function sortByEmission(ms: Uint32Array, low: Uint32Array): { ms: Uint32Array; low: Uint32Array } {
  const n = ms.length;
  let max = 0;
  for (let i = 0; i < n; i++) if (ms[i]! > max) max = ms[i]!;
  let from: { ms: Uint32Array; low: Uint32Array } = { ms, low };
  let to: { ms: Uint32Array; low: Uint32Array } = { ms: new Uint32Array(n), low: new Uint32Array(n) };
  const count = new Uint32Array(DIGITS);
  for (let shift = 0; shift === 0 || max >>> shift > 0; shift += DIGIT_BITS) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(from.ms[i]! >>> shift) & (DIGITS - 1)]!++;
    let sum = 0;
    for (let d = 0; d < DIGITS; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const v = from.ms[i]!;
      const at = count[(v >>> shift) & (DIGITS - 1)]!++;
      to.ms[at] = v;
      to.low[at] = from.low[i]!;
    }
    [from, to] = [to, from];
    if (shift + DIGIT_BITS >= 32) break;
  }
  return from;
}

function grow(values: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(values.length * 2);
  bigger.set(values);
  return bigger;
}
