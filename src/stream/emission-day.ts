import type { Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
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
const INDEX_SPAN = 2 ** 25;
const DUPLICATE_BIT = 2 ** 24;

/** A day's deliveries in emission order: each reading of the window (a second copy again) with its emission time. */
export type OrderedDeliveries = ReadingBatch & { readonly emittedUtcMs: Float64Array; readonly redelivery: Uint8Array };

/** One simulated day of a stream: its readings as a batch job makes them, and the same readings as they are emitted. */
export interface EmissionDay {
  readonly day: GenerationDay;
  /** The whole day's readings, meter-major (the streamed meters; a caller clips them to the window). */
  readonly rows: ReadingBatch;
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
    // Emission keys: (emission - the day's start) * 2^25 + duplicate bit * 2^24 + row, sorted: emission order.
    let keys: Float64Array = new Float64Array(rows.length + 1024);
    let n = 0;
    let readings = 0;
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
        readings++;
        if (n + 2 > keys.length) keys = grow(keys);
        keys[n++] = (rel + e.delayMs) * INDEX_SPAN + row;
        if (e.duplicateDelayMs >= 0) keys[n++] = (rel + e.duplicateDelayMs) * INDEX_SPAN + DUPLICATE_BIT + row;
      }
    }
    const sorted = keys.subarray(0, n).sort();
    const out = allocateBatch(n, rows.intervalMinutes);
    const ordered: OrderedDeliveries = { ...out, emittedUtcMs: new Float64Array(n), redelivery: new Uint8Array(n) };
    const delivery = new Uint8Array(n);
    const rowOf = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const key = sorted[i]!;
      const rest = key % INDEX_SPAN;
      const row = rest % DUPLICATE_BIT;
      rowOf[i] = row;
      ordered.emittedUtcMs[i] = day.firstUtcMs + Math.floor(key / INDEX_SPAN);
      ordered.redelivery[i] = rest >= DUPLICATE_BIT ? 1 : 0;
      delivery[i] = kindOf[row]!;
    }
    // Column by column, one gather function per array type (a loop that saw several types would be slow for all).
    for (const c of BATCH_COLUMNS) {
      const target = ordered[c];
      if (target instanceof Float64Array) gather64(rows[c] as Float64Array, rowOf, target);
      else if (target instanceof Uint32Array) gather32(rows[c] as Uint32Array, rowOf, target);
      else gather8(rows[c] as Uint8Array, rowOf, target);
    }
    return { day, rows, ordered, delivery, readings };
  }
}

/** The buffers to list as transferables when posting a day to another thread. */
export function emissionDayBuffers(day: EmissionDay): ArrayBuffer[] {
  const { ordered } = day;
  return [...batchBuffers(day.rows), ...batchBuffers(ordered), ordered.emittedUtcMs.buffer as ArrayBuffer, ordered.redelivery.buffer as ArrayBuffer, day.delivery.buffer as ArrayBuffer];
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

function grow(keys: Float64Array): Float64Array {
  const bigger = new Float64Array(keys.length * 2);
  bigger.set(keys);
  return bigger;
}
