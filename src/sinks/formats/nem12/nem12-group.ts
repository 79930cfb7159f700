import type { Fleet } from '../../../fleet/fleet.js';
import type { ReadingBatch } from '../../../generator/reading-batch.js';
import { serviceAreaOf, type Scenario } from '../../../scenario/scenario.js';
import { DAY_MS, MINUTE_MS } from '../../../util/time-zone.js';
import { date8OfDay, standardOffsetMinutes } from './market-time.js';
import { NEM12_QUALITIES, NULL_STATE, nem12State } from './nem12-quality.js';
import { intervalsPerDay, isNem12Interval, type Nem12DataStream, type Nem12Day, type Nem12Header, type Nem12Interval, type Nem12IntervalEvent } from './nem12-records.js';
import type { Nem12Source } from './nem12-render.js';
import { needsEvents } from './nem12-rules.js';
import { meterSerialOf, nmiOf } from './nmi.js';

/** The participants a file is from and to (MDFF header; up to 10 characters each). */
export interface Nem12Participants {
  readonly fromParticipant: string;
  readonly toParticipant: string;
}

/** The readings of a file: whole meter-days, meter by meter in fleet order, in time order within a meter. */
export interface Nem12Readings {
  readonly scenario: Scenario;
  readonly fleet: Fleet;
  /** The local date the file is of (YYYY-MM-DD): its header's DateTime is the next day at 06:00. */
  readonly localDate: string;
  readonly readings: ReadingBatch;
  readonly meters: Uint32Array;
  readonly rowStart: Uint32Array;
}

/**
 * A NEM12 file of readings, as datastreams made one meter at a time:
 * - each meter is an NMI (nmi.ts) with datastream E1 (energy from the market: usage_kwh when positive) and, for a
 *   meter with rooftop PV (or any negative reading), B1 (energy into the market: -usage_kwh when negative), so
 *   usage_kwh = E1 - B1 for every interval (MDFF values are never negative). NMIConfiguration E1 or E1B1, RegisterID
 *   and suffix the same, MDMDataStreamIdentifier N1 and N2, UOM kWh;
 * - each market day (market-time.ts: the area's standard time) the meter has readings in is a 300 record; an interval
 *   of that day without a reading in this file (the other local date's part of a standard day in daylight-saving
 *   season) is 0 with quality N (null data);
 * - a day of one quality takes it in its 300 record (A 79 with its 400 record); a day of several is V with a 400
 *   record per run of equal quality (nem12-quality.ts);
 * - no 500 records: they are for manual reads, and these meters are read remotely.
 * The header's DateTime and every UpdateDateTime are 06:00 of the day after the file's local date: deterministic (no
 * clock), as a meter data provider's morning run would stamp them.
 */
export function nem12FromReadings(group: Nem12Readings, participants: Nem12Participants): Nem12Source {
  const { scenario } = group;
  const minutes = group.readings.intervalMinutes;
  if (!isNem12Interval(minutes)) throw new Error(`NEM12 has no ${minutes}-minute interval`);
  const intervalMinutes: Nem12Interval = minutes;
  const area = serviceAreaOf(scenario);
  const year = Number(group.localDate.slice(0, 4));
  const offsetMin = standardOffsetMinutes(area.timeZone, year);
  const next = date8OfDay(Date.parse(`${group.localDate}T00:00:00Z`) / DAY_MS + 1);
  const header: Nem12Header = { dateTime: `${next}0600`, fromParticipant: participants.fromParticipant, toParticipant: participants.toParticipant };
  const stamp = `${next}060000`;
  function* dataStreams(): Generator<Nem12DataStream> {
    for (let k = 0; k < group.meters.length; k++) {
      yield* meterStreams(group, k, intervalMinutes, offsetMin, area.code, stamp);
    }
  }
  return { header, dataStreams: dataStreams() };
}

interface MeterDay {
  readonly day: number;
  readonly imported: Float64Array;
  readonly exported: Float64Array;
  readonly states: Uint8Array;
}

function meterStreams(group: Nem12Readings, k: number, intervalMinutes: Nem12Interval, offsetMin: number, areaCode: string, stamp: string): Nem12DataStream[] {
  const { fleet, readings: r } = group;
  const meter = group.meters[k]!;
  const n = intervalsPerDay(intervalMinutes);
  const intervalMs = intervalMinutes * MINUTE_MS;
  const days: MeterDay[] = [];
  let exports = fleet.traits.pvKw[meter]! > 0;
  for (let i = group.rowStart[k]!; i < group.rowStart[k + 1]!; i++) {
    const market = r.tsUtcMs[i]! + offsetMin * MINUTE_MS;
    const day = Math.floor(market / DAY_MS);
    const slot = (market - day * DAY_MS) / intervalMs;
    if (!Number.isInteger(slot)) throw new Error(`reading at ${new Date(r.tsUtcMs[i]!).toISOString()} is not on the ${intervalMinutes}-minute grid of market time`);
    let current = days[days.length - 1];
    if (!current || current.day !== day) {
      current = { day, imported: new Float64Array(n), exported: new Float64Array(n), states: new Uint8Array(n) };
      days.push(current);
    }
    const usage = r.usageKwh[i]!;
    if (usage >= 0) current.imported[slot] = usage;
    else {
      current.exported[slot] = -usage;
      exports = true;
    }
    current.states[slot] = nem12State(r.dataQuality[i]!, r.eventType[i]!);
  }
  const nmi = nmiOf(fleet, meter, areaCode);
  const configuration = exports ? 'E1B1' : 'E1';
  const serial = meterSerialOf(fleet, meter);
  const stream = (suffix: 'E1' | 'B1', values: (d: MeterDay) => Float64Array): Nem12DataStream => ({
    nmi,
    nmiConfiguration: configuration,
    registerId: suffix,
    nmiSuffix: suffix,
    mdmDataStreamIdentifier: suffix === 'E1' ? 'N1' : 'N2',
    meterSerialNumber: serial,
    uom: 'kWh',
    intervalLength: intervalMinutes,
    days: days.map((d) => dayRecord(d, values(d), stamp)),
  });
  const streams = [stream('E1', (d) => d.imported)];
  if (exports) streams.push(stream('B1', (d) => d.exported));
  return streams;
}

/** A 300 record (and its 400 records) from a day's values and interval states. */
function dayRecord(d: MeterDay, values: Float64Array, stamp: string): Nem12Day {
  const states = d.states;
  const n = states.length;
  const base = { intervalDate: date8OfDay(d.day), values, updateDateTime: stamp, b2b: [] };
  const runs: Nem12IntervalEvent[] = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && states[i] === states[start]) continue;
    runs.push({ startInterval: start + 1, endInterval: i, ...qualityOfState(states[start]!) });
    start = i;
  }
  if (runs.length === 1) {
    const q = qualityOfState(states[0]!);
    return { ...base, ...q, events: needsEvents(q.qualityMethod, q.reasonCode) ? runs : [] };
  }
  return { ...base, qualityMethod: 'V', events: runs };
}

function qualityOfState(state: number): { qualityMethod: string; reasonCode?: number; reasonDescription?: string } {
  if (state === NULL_STATE) return { qualityMethod: 'N' };
  const q = NEM12_QUALITIES[state - 1]!;
  return { qualityMethod: q.qualityMethod, reasonCode: q.reasonCode, reasonDescription: q.reasonDescription };
}
