import type { Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
import type { GenerationDay } from '../generator/calendar.js';
import { allocateBatch, BATCH_COLUMNS, type ReadingBatch } from '../generator/reading-batch.js';
import { ReadingGenerator } from '../generator/reading-generator.js';
import { emittedMeters, type Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { hash32 } from '../util/random.js';
import { MINUTE_MS } from '../util/time-zone.js';
import { DELIVERY, EmissionSchedule, type Emission } from './emission-schedule.js';
import type { EmissionSettings } from './emission-settings.js';

/**
 * A stream batch is cut at whole ticks of simulated time from the window's start: the unit of checkpoints. A tick is
 * one millisecond, the resolution of emission times, so whatever instant the clock has reached when a batch is taken
 * (any real-time or accelerated clock reading), the batch ends on a whole tick: no tick is ever split between two
 * batches, and a checkpoint (the last tick of a committed batch) says exactly which readings a sink holds.
 */
export const TICK_MS = 1;
/** Rows of one simulated day a stream holds at once, at most (row index bits of the emission key). */
export const MAX_DAY_ROWS = 2 ** 24;
const INDEX_SPAN = 2 ** 25;
const DUPLICATE_BIT = 2 ** 24;

export interface StreamWindow {
  readonly fromUtcMs: number;
  /** Exclusive; readings of intervals starting at or after it are not streamed. */
  readonly toUtcMs: number;
}

export interface StreamBatch {
  readonly batch: ReadingBatch & { readonly emittedUtcMs: Float64Array; readonly redelivery: Uint8Array };
  /** Last tick included: the batch's checkpoint sequence. */
  readonly lastTick: number;
  /** Counts by delivery kind, for the stream's statistics. */
  readonly late: number;
  readonly backfilled: number;
  readonly outOfOrder: number;
  readonly duplicates: number;
}

interface LoadedDay {
  readonly day: GenerationDay;
  readonly rows: ReadingBatch;
  readonly delivery: Uint8Array;
  /** Sorted emission keys: (emission - base) * 2^25 + duplicate bit * 2^24 + row. */
  readonly keys: Float64Array<ArrayBufferLike>;
  readonly baseMs: number;
  /** Tick of the day's last emission (-1: none in the window). */
  readonly lastTick: number;
  pos: number;
}

/**
 * The readings of a stream window in emission order. Days are generated whole by the engine (the same readings a
 * batch job of the scenario makes), each reading given its emission time by the EmissionSchedule, and the day's
 * readings sorted by it; days are merged as their emissions interleave (late readings of one day arrive during the
 * next). Memory: the days whose readings are still to be emitted, usually two (about 64 bytes a reading).
 */
export class EmissionStream {
  private readonly generator: ReadingGenerator;
  private readonly schedule: EmissionSchedule;
  private readonly loaded: LoadedDay[] = [];
  private nextDay = 0;
  private readonly stepMs: number;
  private readonly emission: Emission = { delayMs: 0, duplicateDelayMs: -1, delivery: DELIVERY.ON_TIME };
  private readonly phase: Float64Array;
  private readonly keyOf: Uint32Array;
  /** The fleet indexes [meterStart, meterEnd) streamed: the scenario's shard, or the whole fleet. */
  private readonly meterStart: number;
  private readonly meterEnd: number;
  generated = 0;
  /**
   * Told when every reading of a day in the window (and every second copy) has been taken, days in order (a day
   * whose last reading leaves before an earlier day's is told after it), with the day's rows (meter-major, the
   * whole day: a caller clips them to the window) and the tick by which the day and all before it were taken.
   */
  onDayComplete?: (day: GenerationDay, rows: ReadingBatch, tick: number) => void;
  /** The highest tick told to onDayComplete so far. */
  private completedTick = -1;

  constructor(
    private readonly scenario: Scenario,
    private readonly fleet: Fleet,
    settings: EmissionSettings,
    private readonly days: readonly GenerationDay[],
    readonly window: StreamWindow,
  ) {
    this.generator = new ReadingGenerator(scenario, fleet);
    this.schedule = new EmissionSchedule(settings, scenario.seed, scenario.intervalMinutes);
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    ({ start: this.meterStart, end: this.meterEnd } = emittedMeters(scenario));
    const streamed = this.meterEnd - this.meterStart;
    const biggest = Math.max(0, ...days.map((d) => d.intervals)) * streamed;
    if (biggest > MAX_DAY_ROWS) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
        `a stream holds one simulated day at a time, at most ${MAX_DAY_ROWS.toLocaleString('en-US')} readings; ${streamed} meters at ${scenario.intervalMinutes} minutes make ${biggest.toLocaleString('en-US')} (split the fleet with --shard)`,
      ]);
    }
    this.phase = Float64Array.from(fleet.meterNumber, (n) => this.schedule.phaseMs(n));
    this.keyOf = Uint32Array.from(fleet.meterNumber, (n) => hash32(scenario.seed, STREAM.EMISSION, n, 0));
    // Days wholly before the window are never generated.
    while (this.nextDay < days.length && days[this.nextDay]!.firstUtcMs + days[this.nextDay]!.intervals * this.stepMs <= window.fromUtcMs) this.nextDay++;
  }

  tickOf(emittedUtcMs: number): number {
    return Math.floor((emittedUtcMs - this.window.fromUtcMs) / TICK_MS);
  }

  /** The next emission time, or Infinity when every reading of the window has been taken. */
  nextEmissionMs(): number {
    for (;;) {
      let next = Number.POSITIVE_INFINITY;
      for (const d of this.loaded) if (d.pos < d.keys.length) next = Math.min(next, d.baseMs + Math.floor(d.keys[d.pos]! / INDEX_SPAN));
      // A day not yet loaded may emit before `next`: its first reading is due at its first interval's end at the
      // earliest (emission delays are never negative).
      const pending = this.days[this.nextDay];
      if (pending && pending.firstUtcMs < this.window.toUtcMs && pending.firstUtcMs + this.stepMs <= next) {
        this.loadNextDay();
        continue;
      }
      if (!pending || pending.firstUtcMs >= this.window.toUtcMs) this.nextDay = this.days.length;
      return next;
    }
  }

  /**
   * Takes the readings emitted before `limitMs`, in emission order, in whole ticks: at most about `maxRows` (a tick
   * is never split, so a batch may exceed it by one tick's readings) and never past tick `barrier` when given.
   */
  take(limitMs: number, maxRows: number, barrier?: number): StreamBatch | null {
    const pickDay: LoadedDay[] = [];
    const pickKey: number[] = [];
    const limit = Math.min(limitMs, barrier === undefined ? Number.POSITIVE_INFINITY : this.window.fromUtcMs + (barrier + 1) * TICK_MS);
    let lastMs = Number.NaN;
    taking: for (;;) {
      const next = this.nextEmissionMs();
      if (next >= limit || next === Number.POSITIVE_INFINITY) break;
      // A run from the day that emits next, up to the next reading of another day, loaded or not yet (emission order
      // across days).
      const day = this.dayEmitting(next);
      const until = Math.min(limit, this.otherDaysNext(day), this.pendingDayFirstMs());
      do {
        const ms = day.baseMs + Math.floor(day.keys[day.pos]! / INDEX_SPAN);
        // Full: stop at the end of the current tick (emission times are whole milliseconds, a tick is one).
        if (pickKey.length >= maxRows && ms !== lastMs) break taking;
        pickDay.push(day);
        pickKey.push(day.keys[day.pos++]!);
        lastMs = ms;
      } while (day.pos < day.keys.length && day.baseMs + Math.floor(day.keys[day.pos]! / INDEX_SPAN) < until);
    }
    this.release();
    if (pickKey.length === 0) return null;
    return this.assemble(pickDay, pickKey, this.tickOf(lastMs));
  }

  /** The earliest a day not yet loaded can emit (its first interval's end), or Infinity when no day is pending. */
  private pendingDayFirstMs(): number {
    const pending = this.days[this.nextDay];
    return pending && pending.firstUtcMs < this.window.toUtcMs ? pending.firstUtcMs + this.stepMs : Number.POSITIVE_INFINITY;
  }

  /** The loaded day whose next reading is emitted at `next`. */
  private dayEmitting(next: number): LoadedDay {
    return this.loaded.find((d) => d.pos < d.keys.length && d.baseMs + Math.floor(d.keys[d.pos]! / INDEX_SPAN) === next)!;
  }

  /** The earliest next emission among the loaded days other than `day` (Infinity if none). */
  private otherDaysNext(day: LoadedDay): number {
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.loaded) if (d !== day && d.pos < d.keys.length) next = Math.min(next, d.baseMs + Math.floor(d.keys[d.pos]! / INDEX_SPAN));
    return next;
  }

  /** Drops every reading emitted before tick `tick` (a resumed stream starts after its checkpoint). */
  skipBefore(tick: number): number {
    let skipped = 0;
    for (;;) {
      const next = this.nextEmissionMs();
      if (next === Number.POSITIVE_INFINITY || this.tickOf(next) >= tick) break;
      this.dayEmitting(next).pos++;
      skipped++;
    }
    this.release();
    return skipped;
  }

  /**
   * Every reading with an interval start before this instant has been taken (or the window is exhausted): the
   * earliest interval still waiting in a loaded day, or the next day's start.
   */
  completeThroughMs(): number {
    let through = Math.min(this.window.toUtcMs, this.days[this.nextDay]?.firstUtcMs ?? Number.POSITIVE_INFINITY);
    for (const d of this.loaded) {
      for (let i = d.pos; i < d.keys.length; i++) {
        const row = d.keys[i]! % DUPLICATE_BIT;
        through = Math.min(through, d.rows.tsUtcMs[row]!);
      }
    }
    return through;
  }

  private loadNextDay(): void {
    const day = this.days[this.nextDay++]!;
    const rows = this.generator.generate(day, this.meterStart, this.meterEnd);
    const { fromUtcMs, toUtcMs } = this.window;
    let keys: Float64Array = new Float64Array(rows.length + 1024);
    let n = 0;
    const delivery = new Uint8Array(rows.length);
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
        delivery[row] = e.delivery;
        this.generated++;
        if (n + 2 > keys.length) keys = grow(keys);
        keys[n++] = (rel + e.delayMs) * INDEX_SPAN + row;
        if (e.duplicateDelayMs >= 0) keys[n++] = (rel + e.duplicateDelayMs) * INDEX_SPAN + DUPLICATE_BIT + row;
      }
    }
    const sorted = keys.subarray(0, n).sort();
    const lastTick = n > 0 ? this.tickOf(day.firstUtcMs + Math.floor(sorted[n - 1]! / INDEX_SPAN)) : -1;
    this.loaded.push({ day, rows, delivery, keys: sorted, baseMs: day.firstUtcMs, lastTick, pos: 0 });
  }

  /**
   * The earliest day with readings still to be taken, or null: at a stop, the only day with some readings taken
   * and some not before completeThroughMs.
   */
  firstPendingDay(): { readonly day: GenerationDay; readonly rows: ReadingBatch } | null {
    const front = this.loaded.find((d) => d.pos < d.keys.length);
    return front ? { day: front.day, rows: front.rows } : null;
  }

  /** Drops the days wholly taken, in day order (a taken day waits for the days before it: onDayComplete). */
  private release(): void {
    while (this.loaded.length > 0 && this.loaded[0]!.pos >= this.loaded[0]!.keys.length) {
      const done = this.loaded.shift()!;
      this.completedTick = Math.max(this.completedTick, done.lastTick);
      this.onDayComplete?.(done.day, done.rows, this.completedTick);
    }
  }

  private assemble(pickDay: readonly LoadedDay[], pickKey: readonly number[], lastTick: number): StreamBatch {
    const n = pickKey.length;
    const out = allocateBatch(n, this.scenario.intervalMinutes);
    const emitted = new Float64Array(n);
    const redelivery = new Uint8Array(n);
    const rowOf = new Uint32Array(n);
    let late = 0;
    let backfilled = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    for (let i = 0; i < n; i++) {
      const key = pickKey[i]!;
      const day = pickDay[i]!;
      const rest = key % INDEX_SPAN;
      const row = rest % DUPLICATE_BIT;
      rowOf[i] = row;
      emitted[i] = day.baseMs + Math.floor(key / INDEX_SPAN);
      if (rest >= DUPLICATE_BIT) {
        redelivery[i] = 1;
        duplicates++;
        continue;
      }
      const kind = day.delivery[row]!;
      if (kind === DELIVERY.LATE) late++;
      else if (kind === DELIVERY.BACKFILL) backfilled++;
      else if (kind === DELIVERY.OUT_OF_ORDER) outOfOrder++;
    }
    // Column by column (each loop sees one array type): a gather of the picked rows.
    for (const c of BATCH_COLUMNS) {
      const target = out[c] as Float64Array;
      let i = 0;
      while (i < n) {
        const source = pickDay[i]!.rows[c] as Float64Array;
        const day = pickDay[i];
        for (; i < n && pickDay[i] === day; i++) target[i] = source[rowOf[i]!]!;
      }
    }
    return { batch: { ...out, emittedUtcMs: emitted, redelivery }, lastTick, late, backfilled, outOfOrder, duplicates };
  }
}

function grow(keys: Float64Array): Float64Array {
  const bigger = new Float64Array(keys.length * 2);
  bigger.set(keys);
  return bigger;
}
