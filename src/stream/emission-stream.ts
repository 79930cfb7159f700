import type { Fleet } from '../fleet/fleet.js';
import type { LabelRows } from '../generator/anomaly-labels.js';
import type { GenerationDay } from '../generator/calendar.js';
import { allocateBatch, copyRows } from '../generator/reading-batch.js';
import { emittedMeters, type Scenario } from '../scenario/scenario.js';
import { ForgeError } from '../util/forge-error.js';
import { MINUTE_MS } from '../util/time-zone.js';
import { MAX_DAY_ROWS, type OrderedDeliveries, type StreamWindow } from './emission-day.js';
import { emissionDaySource, type EmissionDaySource } from './emission-day-source.js';
import { DELIVERY } from './emission-schedule.js';
import type { EmissionSettings } from './emission-settings.js';

export { MAX_DAY_ROWS, type StreamWindow } from './emission-day.js';

/**
 * A stream batch is cut at whole ticks of simulated time from the window's start: the unit of checkpoints. A tick is
 * one millisecond, the resolution of emission times, so whatever instant the clock has reached when a batch is taken
 * (any real-time or accelerated clock reading), the batch ends on a whole tick: no tick is ever split between two
 * batches, and a checkpoint (the last tick of a committed batch) says exactly which readings a sink holds.
 */
export const TICK_MS = 1;

export interface StreamBatch {
  readonly batch: OrderedDeliveries;
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
  /** The whole day, meter-major. */
  readonly rows: LabelRows;
  readonly ordered: OrderedDeliveries;
  readonly delivery: Uint8Array;
  /** Tick of the day's last emission (-1: none in the window). */
  readonly lastTick: number;
  /** The next ordered reading to take. */
  pos: number;
}

/** Readings [from, to) of a day's ordered deliveries, taken into a batch. */
interface Run {
  readonly day: LoadedDay;
  readonly from: number;
  readonly to: number;
}

export interface EmissionStreamOptions {
  /** Worker threads making the window's days ahead of the stream (emission-day-source.ts); 0 (default): on this thread. */
  readonly workers?: number;
}

/**
 * The readings of a stream window in emission order. Each day comes whole from a day source (emission-day.ts: the
 * day's readings as a batch job makes them, put in emission order), made on this thread or ahead in worker threads;
 * days are merged as their emissions interleave (late readings of one day arrive during the next). Memory: the days
 * whose readings are still to be emitted, usually two, and those made ahead (about 95 bytes a reading each).
 *
 * Taking readings may wait for a day to be made: `nextEmissionMs`, `take` and `skipBefore` are asynchronous; what
 * they return does not depend on where or when days are made.
 */
export class EmissionStream {
  private readonly loaded: LoadedDay[] = [];
  private readonly source: EmissionDaySource;
  private nextDay = 0;
  private readonly stepMs: number;
  generated = 0;
  /**
   * Told when every reading of a day in the window (and every second copy) has been taken, days in order (a day
   * whose last reading leaves before an earlier day's is told after it), with the day's rows (meter-major, the
   * whole day: a caller clips them to the window) and the tick by which the day and all before it were taken.
   */
  onDayComplete?: (day: GenerationDay, rows: LabelRows, tick: number) => void;
  /** The highest tick told to onDayComplete so far. */
  private completedTick = -1;

  constructor(
    private readonly scenario: Scenario,
    fleet: Fleet,
    settings: EmissionSettings,
    private readonly days: readonly GenerationDay[],
    readonly window: StreamWindow,
    options: EmissionStreamOptions = {},
  ) {
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    const { start, end } = emittedMeters(scenario);
    const biggest = Math.max(0, ...days.map((d) => d.intervals)) * (end - start);
    if (biggest > MAX_DAY_ROWS) {
      throw new ForgeError('FORGE_ERR_INVALID_CONFIG', [
        `a stream holds one simulated day at a time, at most ${MAX_DAY_ROWS.toLocaleString('en-US')} readings; ${end - start} meters at ${scenario.intervalMinutes} minutes make ${biggest.toLocaleString('en-US')} (split the fleet with --shard)`,
      ]);
    }
    // Days wholly before the window are never made, nor days starting at or after its end.
    while (this.nextDay < days.length && days[this.nextDay]!.firstUtcMs + days[this.nextDay]!.intervals * this.stepMs <= window.fromUtcMs) this.nextDay++;
    const wanted = days.slice(this.nextDay).filter((d) => d.firstUtcMs < window.toUtcMs);
    this.source = emissionDaySource({ scenario, fleet, settings, window, days: wanted, workers: options.workers ?? 0 });
  }

  tickOf(emittedUtcMs: number): number {
    return Math.floor((emittedUtcMs - this.window.fromUtcMs) / TICK_MS);
  }

  /** The next emission time, or Infinity when every reading of the window has been taken. */
  async nextEmissionMs(): Promise<number> {
    for (;;) {
      const next = this.loadedNext();
      if (!this.pendingDayNeeded(next)) return next;
      await this.loadNextDay();
    }
  }

  /** The earliest next emission among the loaded days (Infinity if none). */
  private loadedNext(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.loaded) if (d.pos < d.ordered.length) next = Math.min(next, d.ordered.emittedUtcMs[d.pos]!);
    return next;
  }

  /**
   * Whether the day not yet loaded must be before `next` is known to be the next emission: its first reading is due
   * at its first interval's end at the earliest (emission delays are never negative).
   */
  private pendingDayNeeded(next: number): boolean {
    const pending = this.days[this.nextDay];
    if (pending && pending.firstUtcMs < this.window.toUtcMs) return pending.firstUtcMs + this.stepMs <= next;
    this.nextDay = this.days.length;
    return false;
  }

  /**
   * Takes the readings emitted before `limitMs`, in emission order, in whole ticks: at most about `maxRows` (a tick
   * is never split, so a batch may exceed it by one tick's readings) and never past tick `barrier` when given.
   */
  async take(limitMs: number, maxRows: number, barrier?: number): Promise<StreamBatch | null> {
    const runs: Run[] = [];
    let count = 0;
    const limit = Math.min(limitMs, barrier === undefined ? Number.POSITIVE_INFINITY : this.window.fromUtcMs + (barrier + 1) * TICK_MS);
    let lastMs = Number.NaN;
    taking: for (;;) {
      let next = this.loadedNext();
      if (this.pendingDayNeeded(next)) next = await this.nextEmissionMs();
      if (next >= limit || next === Number.POSITIVE_INFINITY) break;
      // A run from the day that emits next, up to the next reading of another day, loaded or not yet (emission order
      // across days).
      const day = this.dayEmitting(next);
      const until = Math.min(limit, this.otherDaysNext(day), this.pendingDayFirstMs());
      const emitted = day.ordered.emittedUtcMs;
      const end = day.ordered.length;
      const from = day.pos;
      let p = from;
      let full = false;
      do {
        const ms = emitted[p]!;
        // Full: stop at the end of the current tick (emission times are whole milliseconds, a tick is one).
        if (count >= maxRows && ms !== lastMs) {
          full = true;
          break;
        }
        p++;
        count++;
        lastMs = ms;
      } while (p < end && emitted[p]! < until);
      day.pos = p;
      if (p > from) runs.push({ day, from, to: p });
      if (full) break taking;
    }
    this.release();
    if (count === 0) return null;
    return this.assemble(runs, count, this.tickOf(lastMs));
  }

  /** The earliest a day not yet loaded can emit (its first interval's end), or Infinity when no day is pending. */
  private pendingDayFirstMs(): number {
    const pending = this.days[this.nextDay];
    return pending && pending.firstUtcMs < this.window.toUtcMs ? pending.firstUtcMs + this.stepMs : Number.POSITIVE_INFINITY;
  }

  /** The loaded day whose next reading is emitted at `next`. */
  private dayEmitting(next: number): LoadedDay {
    return this.loaded.find((d) => d.pos < d.ordered.length && d.ordered.emittedUtcMs[d.pos] === next)!;
  }

  /** The earliest next emission among the loaded days other than `day` (Infinity if none). */
  private otherDaysNext(day: LoadedDay): number {
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.loaded) if (d !== day && d.pos < d.ordered.length) next = Math.min(next, d.ordered.emittedUtcMs[d.pos]!);
    return next;
  }

  /** Drops every reading emitted before tick `tick` (a resumed stream starts after its checkpoint). */
  async skipBefore(tick: number): Promise<number> {
    let skipped = 0;
    for (;;) {
      const next = await this.nextEmissionMs();
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
      const ts = d.ordered.tsUtcMs;
      for (let i = d.pos; i < ts.length; i++) through = Math.min(through, ts[i]!);
    }
    return through;
  }

  /** Stops making days ahead (worker threads end). The stream takes nothing more. */
  close(): Promise<void> {
    return this.source.close();
  }

  private async loadNextDay(): Promise<void> {
    const made = await this.source.get(this.days[this.nextDay++]!);
    const { ordered } = made;
    this.generated += made.readings;
    const n = ordered.length;
    const lastTick = n > 0 ? this.tickOf(ordered.emittedUtcMs[n - 1]!) : -1;
    this.loaded.push({ day: made.day, rows: made.rows, ordered, delivery: made.delivery, lastTick, pos: 0 });
  }

  /**
   * The earliest day with readings still to be taken, or null: at a stop, the only day with some readings taken
   * and some not before completeThroughMs.
   */
  firstPendingDay(): { readonly day: GenerationDay; readonly rows: LabelRows } | null {
    const front = this.loaded.find((d) => d.pos < d.ordered.length);
    return front ? { day: front.day, rows: front.rows } : null;
  }

  /** Drops the days wholly taken, in day order (a taken day waits for the days before it: onDayComplete). */
  private release(): void {
    while (this.loaded.length > 0 && this.loaded[0]!.pos >= this.loaded[0]!.ordered.length) {
      const done = this.loaded.shift()!;
      this.completedTick = Math.max(this.completedTick, done.lastTick);
      this.onDayComplete?.(done.day, done.rows, this.completedTick);
    }
  }

  /** The runs' readings as one batch: each column copied run by run (the days hold them in emission order). */
  private assemble(runs: readonly Run[], n: number, lastTick: number): StreamBatch {
    const out = allocateBatch(n, this.scenario.intervalMinutes);
    const batch = { ...out, emittedUtcMs: new Float64Array(n), redelivery: new Uint8Array(n) };
    let late = 0;
    let backfilled = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    let at = 0;
    for (const { day, from, to } of runs) {
      const { ordered, delivery } = day;
      copyRows(ordered, from, to, batch, at);
      batch.redelivery.set(ordered.redelivery.subarray(from, to), at);
      at += to - from;
      for (let i = from; i < to; i++) {
        if (ordered.redelivery[i] === 1) {
          duplicates++;
          continue;
        }
        const kind = delivery[i]!;
        if (kind === DELIVERY.LATE) late++;
        else if (kind === DELIVERY.BACKFILL) backfilled++;
        else if (kind === DELIVERY.OUT_OF_ORDER) outOfOrder++;
      }
    }
    return { batch, lastTick, late, backfilled, outOfOrder, duplicates };
  }
}
