import type { Fleet } from '../fleet/fleet.js';
import { STREAM } from '../fleet/streams.js';
import { ANOMALY_KINDS, type AnomalyKind } from '../scenario/anomaly-rate.js';
import { serviceAreaOf, type Scenario } from '../scenario/scenario.js';
import { hash32 } from '../util/random.js';
import { DAY_MS, localMidnightUtcMs, MINUTE_MS } from '../util/time-zone.js';
import { anomalyModel, type AnomalyModel, type DayAnomalies } from './meter-anomalies.js';

/**
 * The events a demo scenario (`events: demo`, scenario/event-mode.ts) schedules on top of the natural ones, so that a
 * first run shows what the product does whatever the seed: the scenario's days are cut into weeks from its first day,
 * and each week gets
 * - one outage of a distribution transformer serving three homes or more (where the fleet has one), starting between
 *   09:00 and 17:45 local time and lasting 90 to 150 minutes, so its meters send a last gasp and, the same evening at
 *   the latest, a power restore;
 * - DEMO_PER_KIND events of each anomaly kind, each on its own meter (homes and businesses; industrial meters draw no
 *   meter anomalies), none behind that transformer: a theft episode of 2 to 4 days (the meter records 20 to 60% of
 *   the usage, as a natural episode), a meter fault of 1 to 4 hours (zero or stuck), a communication gap of 2 to 8
 *   intervals (estimated reads), and one usage spike, voltage sag and voltage swell.
 * A week's events fall on its second to last day (a stream's first day starts at "now": earlier hours never show).
 * Everything is a pure function of (seed, week, fleet): any day is generated alone, as the determinism invariant asks.
 * Natural events of the same meter and day give way to the scheduled one (the generator applies it first), so each
 * scheduled event shows unless an outage covers it: a spike, sag or swell moves to the next reading with supply.
 */
export const DEMO_WEEK_DAYS = 7;
/** Scheduled events per anomaly kind per week. */
export const DEMO_PER_KIND = 3;

export interface DemoOutage {
  readonly transformer: number;
  readonly startUtcMs: number;
  readonly endUtcMs: number;
}

export interface DemoAnomaly {
  readonly kind: AnomalyKind;
  readonly meterIndex: number;
  /** Local day numbers (days since 1970-01-01 of the local date) [fromDay, toDay); one day but for theft. */
  readonly fromDay: number;
  readonly toDay: number;
  /** Start as a share of the day's intervals (0 to 1); a fault's or gap's length likewise. */
  readonly at: number;
  readonly length: number;
  /** Theft: the share of usage recorded; a fault: 1 stuck, 0 zero; otherwise 0. */
  readonly value: number;
}

const NONE: readonly DemoAnomaly[] = [];

/** How far a pick walks the fleet before settling for less (keeps a million-meter fleet's plan cheap). */
const MAX_PROBES = 10_000;

export class DemoEvents {
  readonly outages: readonly DemoOutage[];
  readonly anomalies: readonly DemoAnomaly[];
  private readonly outagesByTransformer = new Map<number, DemoOutage[]>();
  /** By meter number (the key dayAnomalies knows a meter by; distinct within a fleet, invented or imported). */
  private readonly byMeterNumber = new Map<number, DemoAnomaly[]>();

  constructor(scenario: Scenario, fleet: Fleet) {
    const seed = scenario.seed;
    const timeZone = serviceAreaOf(scenario).timeZone;
    const firstDay = Math.floor(Date.parse(`${scenario.start}T00:00:00Z`) / DAY_MS);
    const n = fleet.size;
    const segment = fleet.segment;
    const outages: DemoOutage[] = [];
    const anomalies: DemoAnomaly[] = [];
    let anyHome = false;
    let anyNonIndustrial = false;
    for (let m = 0; m < n && !(anyHome && anyNonIndustrial); m++) {
      if (segment[m] === 0) anyHome = true;
      if (segment[m] !== 2) anyNonIndustrial = true;
    }
    const homesBehind = new Uint32Array(fleet.transformerIds.length);
    for (let m = 0; m < n; m++) if (segment[m] === 0) homesBehind[fleet.transformer[m]!]!++;
    const pick = (h: number, ...wishes: ((m: number) => boolean)[]): number => {
      const start = h % n;
      for (const wish of wishes) {
        for (let k = 0; k < Math.min(n, MAX_PROBES); k++) {
          const m = (start + k) % n;
          if (wish(m)) return m;
        }
      }
      return start;
    };
    for (let week = 0; week * DEMO_WEEK_DAYS < scenario.days; week++) {
      const weekFirst = firstDay + week * DEMO_WEEK_DAYS;
      const weekDays = Math.min(DEMO_WEEK_DAYS, scenario.days - week * DEMO_WEEK_DAYS);
      const key = (j: number): number => hash32(seed, STREAM.DEMO_EVENTS, week, j);
      const dayOf = (h: number): number => weekFirst + (weekDays > 1 ? 1 + (h % (weekDays - 1)) : 0);

      const h = key(0);
      // A transformer serving several homes, so the outage takes a few customers out together.
      const home = pick(h, (m) => segment[m] === 0 && homesBehind[fleet.transformer[m]!]! >= 3, (m) => !anyHome || segment[m] === 0);
      const transformer = fleet.transformer[home]!;
      const minutes = (9 + ((h >>> 8) % 9)) * 60 + ((h >>> 16) % 4) * 15;
      const startUtcMs = localMidnightUtcMs(timeZone, ...dateOf(dayOf(key(1)))) + minutes * MINUTE_MS;
      outages.push({ transformer, startUtcMs, endUtcMs: startUtcMs + (90 + ((h >>> 20) % 5) * 15) * MINUTE_MS });

      const used = new Set<number>();
      for (const [k, kind] of ANOMALY_KINDS.entries()) {
        for (let i = 0; i < DEMO_PER_KIND; i++) {
          const j = 2 + k * DEMO_PER_KIND + i;
          const hj = key(j);
          const fits = (m: number): boolean => !anyNonIndustrial || segment[m] !== 2;
          const meterIndex = pick(hj, (m) => fits(m) && !used.has(m) && fleet.transformer[m] !== transformer, (m) => fits(m) && !used.has(m), fits);
          used.add(meterIndex);
          const fromDay = dayOf(hash32(seed, STREAM.DEMO_EVENTS + 1, week, j));
          const u = (hj >>> 12) / 1048576;
          const v = (hj & 0xfff) / 4096;
          switch (kind) {
            case 'theft':
              anomalies.push({ kind, meterIndex, fromDay, toDay: Math.min(weekFirst + weekDays, fromDay + 2 + (hj % 3)), at: 0, length: 1, value: 0.2 + 0.4 * v });
              break;
            case 'meter_fault':
              anomalies.push({ kind, meterIndex, fromDay, toDay: fromDay + 1, at: 0.7 * u, length: (1 + (hj % 4)) / 24, value: v < 0.5 ? 1 : 0 });
              break;
            case 'comm_gap':
              anomalies.push({ kind, meterIndex, fromDay, toDay: fromDay + 1, at: 0.9 * u, length: ((2 + (hj % 7)) * scenario.intervalMinutes) / 1440, value: 0 });
              break;
            default:
              anomalies.push({ kind, meterIndex, fromDay, toDay: fromDay + 1, at: u, length: 0, value: 0 });
          }
        }
      }
    }
    this.outages = outages;
    this.anomalies = anomalies;
    for (const o of outages) {
      const list = this.outagesByTransformer.get(o.transformer) ?? [];
      list.push(o);
      this.outagesByTransformer.set(o.transformer, list);
    }
    for (const a of anomalies) {
      const number = fleet.meterNumber[a.meterIndex]!;
      const list = this.byMeterNumber.get(number) ?? [];
      list.push(a);
      this.byMeterNumber.set(number, list);
    }
  }

  /** Appends (start, end pairs, epoch ms) the scheduled outages of a transformer that overlap [fromMs, toMs). */
  outageWindows(transformer: number, fromMs: number, toMs: number, out: number[]): void {
    const list = this.outagesByTransformer.get(transformer);
    if (!list) return;
    for (const o of list) if (o.endUtcMs > fromMs && o.startUtcMs < toMs) out.push(o.startUtcMs, o.endUtcMs);
  }

  /** The scheduled one-reading events (usage spikes, voltage sags and swells) of a meter on a local day. */
  readingEvents(meterNumber: number, localDay: number): readonly DemoAnomaly[] {
    const list = this.byMeterNumber.get(meterNumber);
    if (!list) return NONE;
    return list.filter((a) => a.fromDay === localDay && (a.kind === 'usage_spike' || a.kind === 'voltage_sag' || a.kind === 'voltage_swell'));
  }

  /**
   * Puts a meter's scheduled theft, fault or communication gap of the day into its drawn anomalies: the scheduled
   * event replaces a natural one of its kind, and a scheduled fault or gap clears the other (a fault hides a gap).
   */
  apply(meterNumber: number, localDay: number, intervals: number, out: DayAnomalies): void {
    const list = this.byMeterNumber.get(meterNumber);
    if (!list) return;
    // In a fleet too small for a meter per event, a meter may have both: then neither clears the other.
    let fault = false;
    let gap = false;
    for (const a of list) {
      if (localDay < a.fromDay || localDay >= a.toDay) continue;
      if (a.kind === 'theft') {
        out.recordedShare = a.value;
      } else if (a.kind === 'meter_fault' || a.kind === 'comm_gap') {
        const start = Math.min(intervals - 1, Math.floor(a.at * intervals));
        const end = Math.min(intervals, start + Math.max(1, Math.round(a.length * intervals)));
        if (a.kind === 'meter_fault') {
          out.faultStart = start;
          out.faultEnd = end;
          out.faultStuck = a.value === 1;
          fault = true;
          if (!gap) {
            out.gapStart = -1;
            out.gapEnd = -1;
          }
        } else {
          out.gapStart = start;
          out.gapEnd = end;
          gap = true;
          if (!fault) {
            out.faultStart = -1;
            out.faultEnd = -1;
          }
        }
      }
    }
  }
}

/** A local day number's year, month and day. */
function dateOf(localDay: number): [number, number, number] {
  const d = new Date(localDay * DAY_MS);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** No anomaly draws at all: a quiet fleet (`events: none`). Vacancy stays (a customer's absence, not an event). */
export const QUIET_ANOMALY_MODEL: AnomalyModel = { theftPerBlock: 0, faultPerDay: 0, commGapPerDay: 0, spike: 0, sag: 0, swell: 0 };

/**
 * The anomaly model of a scenario's fleet: its rates (`anomalyRate` or the model's own), with the scheduled events of
 * a demo scenario, or none at all for a quiet fleet. The generator and the label collector take the same one, so a
 * theft label's severity is the episode's, scheduled or drawn.
 */
export function scenarioAnomalyModel(scenario: Scenario, fleet: Fleet): AnomalyModel {
  if (scenario.events === 'none') return QUIET_ANOMALY_MODEL;
  const model = anomalyModel(scenario.anomalyRate, scenario.intervalMinutes);
  return scenario.events === 'demo' ? { ...model, demo: new DemoEvents(scenario, fleet) } : model;
}
