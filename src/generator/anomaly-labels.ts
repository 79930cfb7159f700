import type { Fleet } from '../fleet/fleet.js';
import { eventCode, EVENT_TYPES, type EventType } from '../scenario/enums.js';
import { ANOMALY_KINDS, type AnomalyKind } from '../scenario/anomaly-rate.js';
import { scenarioStartUtcMs, type Scenario } from '../scenario/scenario.js';
import { DAY_MS, MINUTE_MS } from '../util/time-zone.js';
import { scenarioAnomalyModel } from './demo-events.js';
import { dayAnomalies, type AnomalyModel, type DayAnomalies } from './meter-anomalies.js';
import type { ReadingBatch } from './reading-batch.js';

/**
 * Ground truth for ML as event windows (`anomaly_labels`), one row per window rather than per reading, so a model
 * can train on windows: a run of consecutive readings of one meter the model gave the same labelled event. Labels
 * are read off the generated batches' event column, which the model draws deterministically (meter-anomalies.ts,
 * outages.ts), so they agree with the per-row flags by construction: every flagged reading lies in a window of its
 * meter and type, and every window holds its readings.
 *
 * What is labelled, with its severity (0 to 1):
 * - OUTAGE: the meter had no supply (its LAST_GASP reading and the OUTAGE readings after it); severity 1.
 * - TAMPER: theft, the share of the usage the bypass hides (0.4 to 0.8), from the model's episode.
 * - METER_FAULT: the register read zero or stuck; severity 1 (nothing it read is usage).
 * - ESTIMATED_READ: a communication gap the head end filled with estimates; severity 0.25 (values plausible, not measured).
 * - USAGE_SPIKE, VOLTAGE_SAG, VOLTAGE_SWELL: one-reading events; a sag or swell's severity is its worst deviation
 *   from the 120 V nominal in per unit (0.05 = 6 V), a spike's 1.
 * POWER_RESTORE is the first reading after an outage, part of the outage's story, not a window of its own.
 */
export const LABEL_SOURCE = 'injected';

/** The event types labels carry, in EVENT_TYPES' order; LAST_GASP readings belong to the OUTAGE window. */
export const LABEL_TYPES = ['OUTAGE', 'ESTIMATED_READ', 'USAGE_SPIKE', 'VOLTAGE_SAG', 'VOLTAGE_SWELL', 'TAMPER', 'METER_FAULT'] as const satisfies readonly EventType[];
export type LabelType = (typeof LABEL_TYPES)[number];

/** The columns of a batch that labels are read from (a ReadingBatch, or a view of some of its rows). */
export type LabelRows = Pick<ReadingBatch, 'length' | 'eventType' | 'meterIndex' | 'tsUtcMs' | 'tsLocalMs' | 'voltage'>;

export interface AnomalyLabel {
  /** Index into the fleet. */
  readonly meterIndex: number;
  readonly eventType: LabelType;
  /** First labelled interval's start, and the end of the last one (exclusive), epoch ms UTC. */
  readonly startUtcMs: number;
  readonly endUtcMs: number;
  /** The same instants as local wall-clock fields (like reading_ts): start of the first, end of the last interval. */
  readonly startLocalMs: number;
  readonly endLocalMs: number;
  /** Readings in the window. */
  readonly readings: number;
  readonly severity: number;
}

/** The columns a sink writes for a label, in order (plus job_id first in tables holding several jobs). */
export const LABEL_COLUMNS = ['meter_id', 'event_type', 'start_ts', 'end_ts', 'start_ts_utc', 'end_ts_utc', 'readings', 'severity', 'source'] as const;

/** Code of the event column -> index into LABEL_TYPES (-1: not labelled). */
const LABEL_OF_CODE: Int8Array = (() => {
  const table = new Int8Array(EVENT_TYPES.length + 1).fill(-1);
  for (const [i, type] of LABEL_TYPES.entries()) table[eventCode(type)] = i;
  table[eventCode('LAST_GASP')] = LABEL_TYPES.indexOf('OUTAGE');
  return table;
})();
const TAMPER = LABEL_TYPES.indexOf('TAMPER');
const SAG = LABEL_TYPES.indexOf('VOLTAGE_SAG');
const SWELL = LABEL_TYPES.indexOf('VOLTAGE_SWELL');
const SEVERITY: readonly number[] = LABEL_TYPES.map((t) => (t === 'ESTIMATED_READ' ? 0.25 : 1));
const NOMINAL_VOLTS = 120;

interface OpenRun {
  meterIndex: number;
  type: number;
  startUtcMs: number;
  startLocalMs: number;
  endUtcMs: number;
  endLocalMs: number;
  readings: number;
  severity: number;
}

/** A meter's open windows: theft apart, as it runs under the other events (see LabelCollector). */
interface MeterRuns {
  tamper: OpenRun | null;
  other: OpenRun | null;
  /** End of the meter's last reading seen: a reading elsewhere breaks every run. */
  nextUtcMs: number;
}

/**
 * Turns batches, in the job's order (day by day, meter-major within a batch), into label windows. A run that reaches
 * the end of a meter's day stays open until that meter's next day shows whether it goes on (theft lasts weeks, a
 * storm outage days), so the collector holds only the runs open at a day's end and the windows closed since they
 * were last taken: bounded by the day's events, not the job's.
 *
 * Theft is a state of the meter under which other events happen: an outage, a fault or a communication gap during an
 * episode label those readings instead (the generator gives each reading one event), so a TAMPER window spans them
 * and closes only at a reading with no event at all. Its readings are its TAMPER readings.
 */
export class LabelCollector {
  private readonly stepMs: number;
  private readonly model: AnomalyModel;
  private readonly seed: number;
  private readonly fleet: Fleet;
  private readonly closed: AnomalyLabel[] = [];
  /** Meters with a run open at the end of their last batch, by meter index. */
  private carried = new Map<number, MeterRuns>();
  private readonly nextCarried = new Map<number, MeterRuns>();
  private readonly anomalies: DayAnomalies = { recordedShare: 1, vacant: false, faultStart: -1, faultEnd: -1, faultStuck: false, gapStart: -1, gapEnd: -1 };
  /** Windows per label type (index into LABEL_TYPES), and those of them that began after the scenario's first reading. */
  private readonly windows: number[] = LABEL_TYPES.map(() => 0);
  private readonly begun: number[] = LABEL_TYPES.map(() => 0);
  private readonly firstUtcMs: number;

  constructor(scenario: Scenario, fleet: Fleet) {
    this.firstUtcMs = scenarioStartUtcMs(scenario);
    this.stepMs = scenario.intervalMinutes * MINUTE_MS;
    // The generator's own model: a demo's scheduled theft episodes have their severity like drawn ones.
    this.model = scenarioAnomalyModel(scenario, fleet);
    this.seed = scenario.seed;
    this.fleet = fleet;
  }

  /**
   * Reads one batch's labels. Its meters' runs carried from the day before close or go on. Readings of intervals
   * starting before `fromUtcMs` or at or after `toUtcMs` are not seen (a stream's window, a stopped stream's
   * completeness point): a run reaching `toUtcMs` stays open.
   */
  add(batch: LabelRows, fromUtcMs = Number.NEGATIVE_INFINITY, toUtcMs = Number.POSITIVE_INFINITY): void {
    const { eventType, meterIndex, tsUtcMs, tsLocalMs, voltage } = batch;
    const step = this.stepMs;
    // Null while the meter has no open run: its unlabelled readings (nearly all) then cost a read and a compare.
    let runs: MeterRuns | null = null;
    let meter = -1;
    const n = batch.length;
    for (let i = 0; i < n; i++) {
      // No run open: rows without an event are skipped on the event column alone. A meter carried from the day before
      // whose day starts without one has ended its runs: left in `carried`, they close at endDay (or, if the meter has
      // a labelled reading later, when that reading finds its runs no longer contiguous).
      if (runs === null) {
        while (i < n && eventType[i] === 0) i++;
        if (i === n) break;
      }
      if (tsUtcMs[i]! < fromUtcMs || tsUtcMs[i]! >= toUtcMs) continue;
      const m = meterIndex[i]!;
      if (m !== meter) {
        if (runs) this.keep(runs, meter);
        meter = m;
        runs = this.carried.get(m) ?? null;
        if (runs) this.carried.delete(m);
      }
      const code = eventType[i]!;
      const type = LABEL_OF_CODE[code]!;
      if (runs === null) {
        if (type < 0) continue;
        runs = { tamper: null, other: null, nextUtcMs: tsUtcMs[i]! };
      }
      const r = runs;
      const utc = tsUtcMs[i]!;
      const local = tsLocalMs[i]!;
      if (r.nextUtcMs !== utc) this.closeRuns(r);
      r.nextUtcMs = utc + step;
      if (type !== TAMPER && r.other && r.other.type !== type) {
        this.close(r.other);
        r.other = null;
      }
      if (type < 0) {
        // A reading with no event ends a theft window too; POWER_RESTORE (an event, not labelled) does not.
        if (code === 0 && r.tamper) {
          this.close(r.tamper);
          r.tamper = null;
        }
        if (!r.tamper && !r.other) runs = null;
        continue;
      }
      if (type === TAMPER && r.other) {
        this.close(r.other);
        r.other = null;
      }
      let run = type === TAMPER ? r.tamper : r.other;
      if (!run) {
        run = { meterIndex: m, type, startUtcMs: utc, startLocalMs: local, endUtcMs: utc, endLocalMs: local, readings: 0, severity: this.startSeverity(type, m, local) };
        this.windows[type] = this.windows[type]! + 1;
        if (utc > this.firstUtcMs) this.begun[type] = this.begun[type]! + 1;
        if (type === TAMPER) r.tamper = run;
        else r.other = run;
      }
      run.endUtcMs = utc + step;
      run.endLocalMs = local + step;
      run.readings++;
      if (type === SAG || type === SWELL) run.severity = Math.max(run.severity, Math.abs(voltage[i]! - NOMINAL_VOLTS) / NOMINAL_VOLTS);
    }
    if (runs) this.keep(runs, meter);
  }

  /**
   * Ends a day (after its last batch): runs of meters the day did not continue close, the others stay open. Returns
   * the windows closed since the last call and forgets them.
   */
  endDay(): AnomalyLabel[] {
    for (const runs of this.carried.values()) this.closeRuns(runs);
    this.carried = new Map(this.nextCarried);
    this.nextCarried.clear();
    return this.take();
  }

  /** Ends the job: every open run closes at the last reading seen. Returns the windows not yet taken. */
  finish(): AnomalyLabel[] {
    for (const runs of this.carried.values()) this.closeRuns(runs);
    for (const runs of this.nextCarried.values()) this.closeRuns(runs);
    this.carried.clear();
    this.nextCarried.clear();
    return this.take();
  }

  /**
   * Forgets the windows counted and closed so far, keeping the runs open: a resumed job's collector after it was
   * brought to the resume point (label-history.ts) counts only what the resumed run generates.
   */
  restart(): void {
    this.take();
    this.windows.fill(0);
    this.begun.fill(0);
  }

  /** Windows so far by label type. */
  windowsByType(): Record<LabelType, number> {
    return Object.fromEntries(LABEL_TYPES.map((t, i) => [t, this.windows[i]!])) as Record<LabelType, number>;
  }

  /**
   * Windows that began during the scenario by label type: not those already running at its first reading (a theft
   * episode weeks old), which the scenario's rates did not start.
   */
  begunByType(): Record<LabelType, number> {
    return Object.fromEntries(LABEL_TYPES.map((t, i) => [t, this.begun[i]!])) as Record<LabelType, number>;
  }

  /** A meter's runs at the end of its part of a batch: kept for its next day when one is open. */
  private keep(runs: MeterRuns, meter: number): void {
    if (runs.tamper || runs.other) this.nextCarried.set(meter, runs);
  }

  private closeRuns(runs: MeterRuns): void {
    if (runs.other) this.close(runs.other);
    if (runs.tamper) this.close(runs.tamper);
    runs.other = null;
    runs.tamper = null;
  }

  private take(): AnomalyLabel[] {
    return this.closed.splice(0, this.closed.length);
  }

  private close(run: OpenRun): void {
    this.closed.push({
      meterIndex: run.meterIndex,
      eventType: LABEL_TYPES[run.type]!,
      startUtcMs: run.startUtcMs,
      endUtcMs: run.endUtcMs,
      startLocalMs: run.startLocalMs,
      endLocalMs: run.endLocalMs,
      readings: run.readings,
      severity: Math.round(run.severity * 1000) / 1000,
    });
  }

  private startSeverity(type: number, meter: number, localMs: number): number {
    if (type === SAG || type === SWELL) return 0;
    if (type !== TAMPER) return SEVERITY[type]!;
    const day = dayAnomalies(this.seed, this.fleet.meterNumber[meter]!, Math.floor(localMs / DAY_MS), 1, this.anomalies, this.model);
    return 1 - day.recordedShare;
  }
}

/** The label type each `anomalyRate` kind injects. */
export const LABEL_OF_KIND: Readonly<Record<AnomalyKind, LabelType>> = {
  theft: 'TAMPER',
  meter_fault: 'METER_FAULT',
  comm_gap: 'ESTIMATED_READ',
  usage_spike: 'USAGE_SPIKE',
  voltage_sag: 'VOLTAGE_SAG',
  voltage_swell: 'VOLTAGE_SWELL',
};

/**
 * The rate a job achieved per `anomalyRate` kind (and outages): windows begun per meter-day (LabelCollector.begunByType),
 * comparable with the rates asked for. A theft episode that a gap or outage interrupts is still one window.
 */
export function achievedRates(started: Readonly<Record<LabelType, number>>, meterDays: number): Record<AnomalyKind | 'outage', number> {
  const rate = (n: number): number => (meterDays > 0 ? n / meterDays : 0);
  const out = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, rate(started[LABEL_OF_KIND[k]])])) as Record<AnomalyKind | 'outage', number>;
  out.outage = rate(started.OUTAGE);
  return out;
}
